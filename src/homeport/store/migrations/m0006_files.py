"""Files: the file service's copy of each password (the NT hash SMB signs in with), shared folders and who may
use them.

The NT hash is password-equivalent for SMB, so it is sealed like a one-time code secret (auth/sealing.py). It is
written in the same transaction as the Argon2id hash, from the same plaintext, and `synced_at` says whether Samba's
passdb was last seen holding exactly this value.
"""

from __future__ import annotations

import sqlite3

_SCHEMA = [
    """CREATE TABLE smb_passwords (
        user_id INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
        sealed_nt_hash BLOB NOT NULL,
        changed_at REAL NOT NULL,
        synced_at REAL
    )""",
    """CREATE TABLE shares (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        name TEXT NOT NULL UNIQUE COLLATE NOCASE,
        volume TEXT NOT NULL,
        folder TEXT NOT NULL,
        description TEXT NOT NULL DEFAULT '',
        hidden INTEGER NOT NULL DEFAULT 0 CHECK (hidden IN (0, 1)),
        recycle_bin INTEGER NOT NULL DEFAULT 0 CHECK (recycle_bin IN (0, 1)),
        time_machine INTEGER NOT NULL DEFAULT 0 CHECK (time_machine IN (0, 1)),
        time_machine_limit_gb INTEGER,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL,
        UNIQUE (volume, folder)
    )""",
    """CREATE TABLE share_user_access (
        share_id INTEGER NOT NULL REFERENCES shares(id) ON DELETE CASCADE,
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        access TEXT NOT NULL CHECK (access IN ('rw', 'ro', 'none')),
        PRIMARY KEY (share_id, user_id)
    )""",
    """CREATE TABLE share_group_access (
        share_id INTEGER NOT NULL REFERENCES shares(id) ON DELETE CASCADE,
        group_id INTEGER NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
        access TEXT NOT NULL CHECK (access IN ('rw', 'ro', 'none')),
        PRIMARY KEY (share_id, group_id)
    )""",
]


# What the file services render from: any change bumps one counter, so the file service's worker, woken after
# each commit, reads one row to know whether its configuration or passdb may need to change.
_WATCHED = {
    "users": ("INSERT", "DELETE", "UPDATE OF name, enabled, password_hash"),
    "smb_passwords": ("INSERT", "DELETE", "UPDATE OF sealed_nt_hash"),
    "memberships": ("INSERT", "DELETE"),
    "groups": ("INSERT", "DELETE", "UPDATE OF name"),
    "shares": ("INSERT", "DELETE", "UPDATE"),
    "share_user_access": ("INSERT", "DELETE", "UPDATE"),
    "share_group_access": ("INSERT", "DELETE", "UPDATE"),
    "blocked_addresses": ("INSERT", "DELETE", "UPDATE OF until"),
}


def upgrade(conn: sqlite3.Connection) -> None:
    for statement in _SCHEMA:
        conn.execute(statement)
    conn.execute("CREATE TABLE files_generation (id INTEGER PRIMARY KEY CHECK (id = 1), value INTEGER NOT NULL)")
    conn.execute("INSERT INTO files_generation (id, value) VALUES (1, 0)")
    bump = "UPDATE files_generation SET value = value + 1 WHERE id = 1;"
    for table, events in _WATCHED.items():
        for n, event in enumerate(events):
            conn.execute(f"CREATE TRIGGER files_watch_{table}_{n} AFTER {event} ON {table} BEGIN {bump} END")
    for n, event in enumerate(("INSERT", "UPDATE")):
        conn.execute(
            f"CREATE TRIGGER files_watch_settings_{n} AFTER {event} ON settings WHEN NEW.key IN ('smb', 'system.name')"
            f" BEGIN {bump} END"
        )
