"""Secure SignIn: one-time code (TOTP) secrets, recovery codes, passkeys, remembered browsers, factor suspension
(Mode 1) and the Security Advisor's kept runs.

Secrets that must be read back (TOTP) are sealed with AES-GCM under the key file in the home (auth/sealing.py);
what only needs comparing (recovery codes, remembered-browser tokens) is kept as a keyed digest.
"""

from __future__ import annotations

import sqlite3

_SCHEMA = [
    """CREATE TABLE totp_factors (
        user_id INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
        secret BLOB NOT NULL,
        confirmed INTEGER NOT NULL DEFAULT 0 CHECK (confirmed IN (0, 1)),
        last_step INTEGER NOT NULL DEFAULT -1,
        created_at REAL NOT NULL,
        last_used_at REAL
    )""",
    """CREATE TABLE recovery_codes (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        digest TEXT NOT NULL UNIQUE,
        created_at REAL NOT NULL,
        used_at REAL
    )""",
    "CREATE INDEX recovery_codes_by_user ON recovery_codes(user_id)",
    """CREATE TABLE passkeys (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        credential_id TEXT NOT NULL UNIQUE,
        public_key BLOB NOT NULL,
        sign_count INTEGER NOT NULL DEFAULT 0,
        name TEXT NOT NULL,
        rp_id TEXT NOT NULL,
        transports TEXT NOT NULL DEFAULT '',
        created_at REAL NOT NULL,
        last_used_at REAL
    )""",
    "CREATE INDEX passkeys_by_user ON passkeys(user_id)",
    """CREATE TABLE remembered_browsers (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        token_hash TEXT NOT NULL UNIQUE,
        created_at REAL NOT NULL,
        expires_at REAL NOT NULL,
        last_used_at REAL,
        client TEXT NOT NULL DEFAULT '',
        user_agent TEXT NOT NULL DEFAULT ''
    )""",
    "CREATE INDEX remembered_browsers_by_user ON remembered_browsers(user_id)",
    # Set by Mode 1 on the recovered account: its factors are kept but not asked for until re-enabled.
    "ALTER TABLE users ADD COLUMN factors_suspended INTEGER NOT NULL DEFAULT 0",
    # The WebAuthn user handle (random, not the account id: RP-side identifiers must not be guessable).
    "ALTER TABLE users ADD COLUMN user_handle TEXT",
    """CREATE TABLE advisor_runs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        ran_at REAL NOT NULL,
        reason TEXT NOT NULL DEFAULT '',
        result TEXT NOT NULL
    )""",
]


def upgrade(conn: sqlite3.Connection) -> None:
    for statement in _SCHEMA:
        conn.execute(statement)
