"""Recovery: the journal of resets (Mode 1, Mode 2) and the kind of a session (normal or recovery)."""

from __future__ import annotations

import sqlite3

_SCHEMA = [
    "ALTER TABLE sessions ADD COLUMN kind TEXT NOT NULL DEFAULT 'normal'",
    """CREATE TABLE recovery_resets (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        mode TEXT NOT NULL CHECK (mode IN ('mode1', 'mode2')),
        decided_at REAL NOT NULL,
        stage TEXT NOT NULL CHECK (stage IN ('intended', 'committed', 'applied', 'abandoned')),
        before TEXT NOT NULL DEFAULT '{}',
        restored TEXT NOT NULL DEFAULT '[]',
        acknowledged INTEGER NOT NULL DEFAULT 0
    )""",
]


def upgrade(conn: sqlite3.Connection) -> None:
    for statement in _SCHEMA:
        conn.execute(statement)
