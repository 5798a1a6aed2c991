"""Notices for the administrators: each kept for the overview until read, and a delivery queue per channel.

The queue lives in the store so a notice is queued in the transaction of the action that caused it, and a
delivery not yet made survives a restart. Channel settings are kept here too; their secrets (the SMTP password,
the webhook token) only sealed.
"""

from __future__ import annotations

import sqlite3


def upgrade(conn: sqlite3.Connection) -> None:
    conn.execute(
        """CREATE TABLE notices (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            title TEXT NOT NULL,
            body TEXT NOT NULL,
            severity TEXT NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
            created_at REAL NOT NULL,
            read_at REAL
        )"""
    )
    conn.execute("CREATE INDEX notices_unread ON notices (read_at, id)")
    conn.execute(
        """CREATE TABLE notice_deliveries (
            id INTEGER PRIMARY KEY,
            notice_id INTEGER NOT NULL REFERENCES notices(id) ON DELETE CASCADE,
            channel TEXT NOT NULL CHECK (channel IN ('email', 'webhook')),
            state TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'failed')),
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at REAL NOT NULL,
            last_error TEXT NOT NULL DEFAULT '',
            finished_at REAL,
            UNIQUE (notice_id, channel)
        )"""
    )
    conn.execute("CREATE INDEX notice_deliveries_due ON notice_deliveries (state, next_attempt_at)")
    conn.execute(
        """CREATE TABLE notice_channels (
            channel TEXT PRIMARY KEY CHECK (channel IN ('email', 'webhook')),
            config TEXT NOT NULL,
            secret BLOB
        )"""
    )
    # Conditions told once while they last (a volume missing, nearly full), so a restart does not tell them again.
    conn.execute("CREATE TABLE notice_conditions (key TEXT PRIMARY KEY, since REAL NOT NULL)")
