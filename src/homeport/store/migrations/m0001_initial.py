"""The first schema: settings, users, groups, sessions, audit log, auto block list; the built-in `admin`."""

from __future__ import annotations

import json
import sqlite3
import time

_SCHEMA = [
    """CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    )""",
    """CREATE TABLE users (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE COLLATE NOCASE,
        full_name TEXT NOT NULL DEFAULT '',
        email TEXT NOT NULL DEFAULT '',
        enabled INTEGER NOT NULL CHECK (enabled IN (0, 1)),
        builtin INTEGER NOT NULL DEFAULT 0 CHECK (builtin IN (0, 1)),
        password_hash TEXT,
        must_change_password INTEGER NOT NULL DEFAULT 0 CHECK (must_change_password IN (0, 1)),
        password_changed_at REAL,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL
    )""",
    """CREATE TABLE groups (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE COLLATE NOCASE,
        description TEXT NOT NULL DEFAULT '',
        builtin INTEGER NOT NULL DEFAULT 0 CHECK (builtin IN (0, 1)),
        created_at REAL NOT NULL
    )""",
    """CREATE TABLE memberships (
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        group_id INTEGER NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
        PRIMARY KEY (user_id, group_id)
    )""",
    """CREATE TABLE sessions (
        id TEXT PRIMARY KEY,
        token_hash TEXT NOT NULL UNIQUE,
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        csrf_token TEXT NOT NULL,
        created_at REAL NOT NULL,
        last_seen REAL NOT NULL,
        client TEXT NOT NULL DEFAULT '',
        user_agent TEXT NOT NULL DEFAULT ''
    )""",
    "CREATE INDEX sessions_by_user ON sessions(user_id)",
    """CREATE TABLE audit_log (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at REAL NOT NULL,
        action TEXT NOT NULL,
        outcome TEXT NOT NULL,
        actor TEXT NOT NULL DEFAULT '',
        client TEXT NOT NULL DEFAULT '',
        target TEXT NOT NULL DEFAULT '',
        detail TEXT NOT NULL DEFAULT '{}'
    )""",
    """CREATE TABLE blocked_addresses (
        address TEXT PRIMARY KEY,
        blocked_at REAL NOT NULL,
        until REAL NOT NULL,
        reason TEXT NOT NULL DEFAULT ''
    )""",
]


def upgrade(conn: sqlite3.Connection) -> None:
    for statement in _SCHEMA:
        conn.execute(statement)
    now = time.time()
    conn.executemany(
        "INSERT INTO groups (name, description, builtin, created_at) VALUES (?, ?, 1, ?)",
        [
            ("administrators", "Members may manage the device and every account.", now),
            ("users", "Every account is a member.", now),
        ],
    )
    # The built-in administrator always exists, starts disabled and has no password: it is usable only
    # inside a physical recovery window.
    conn.execute(
        "INSERT INTO users (name, full_name, enabled, builtin, created_at, updated_at)"
        " VALUES ('admin', 'Built-in administrator', 0, 1, ?, ?)",
        (now, now),
    )
    conn.execute(
        "INSERT INTO memberships (user_id, group_id)"
        " SELECT users.id, groups.id FROM users, groups WHERE users.name = 'admin'"
    )
    conn.execute("INSERT INTO settings (key, value) VALUES ('system.state', ?)", (json.dumps("not-installed"),))
