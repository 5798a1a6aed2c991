"""Device tokens: a browser or client that has signed in to an account before is recognised by a token
(kept only as a digest) and is exempt from the account-wide pause that strangers can cause."""

from __future__ import annotations

import sqlite3

_SCHEMA = [
    """CREATE TABLE device_tokens (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        token_hash TEXT NOT NULL UNIQUE,
        created_at REAL NOT NULL,
        last_used_at REAL NOT NULL,
        user_agent TEXT NOT NULL DEFAULT ''
    )""",
    "CREATE INDEX device_tokens_by_user ON device_tokens(user_id)",
]


def upgrade(conn: sqlite3.Connection) -> None:
    for statement in _SCHEMA:
        conn.execute(statement)
