"""Network settings: numbered snapshots of every applied configuration, and DHCP lease history."""

from __future__ import annotations

import sqlite3

_SCHEMA = [
    """CREATE TABLE network_snapshots (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at REAL NOT NULL,
        actor TEXT NOT NULL,
        reason TEXT NOT NULL,
        config TEXT NOT NULL
    )""",
    """CREATE TABLE dhcp_leases (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at REAL NOT NULL,
        interface TEXT NOT NULL,
        event TEXT NOT NULL,
        address TEXT NOT NULL DEFAULT '',
        router TEXT NOT NULL DEFAULT '',
        dns TEXT NOT NULL DEFAULT '',
        server TEXT NOT NULL DEFAULT '',
        lease_seconds INTEGER NOT NULL DEFAULT 0
    )""",
]


def upgrade(conn: sqlite3.Connection) -> None:
    for statement in _SCHEMA:
        conn.execute(statement)
