"""Unix ids of their own: the uid behind an account's SMB files comes from a counter that only grows.

Until now the uid was 70000 + the account's id, and SQLite gives a new account the id of the newest deleted one:
that account would have owned the deleted account's files. Every account gets its uid when it is made (a trigger,
so no path that makes accounts can forget it); existing accounts keep the uid they had.
"""

from __future__ import annotations

import sqlite3

FIRST_UID = 70001  # 70000 is the SMB accounts' group


def upgrade(conn: sqlite3.Connection) -> None:
    conn.execute(
        """CREATE TABLE unix_ids (
            user_id INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
            uid INTEGER NOT NULL UNIQUE
        )"""
    )
    conn.execute("CREATE TABLE unix_id_counter (id INTEGER PRIMARY KEY CHECK (id = 1), next_uid INTEGER NOT NULL)")
    conn.execute("INSERT INTO unix_ids (user_id, uid) SELECT id, 70000 + id FROM users")
    conn.execute(
        "INSERT INTO unix_id_counter (id, next_uid) SELECT 1, MAX(?, COALESCE(MAX(uid) + 1, 0)) FROM unix_ids",
        (FIRST_UID,),
    )
    conn.execute(
        "CREATE TRIGGER unix_id_of_new_user AFTER INSERT ON users BEGIN"
        " INSERT INTO unix_ids (user_id, uid) SELECT NEW.id, next_uid FROM unix_id_counter WHERE id = 1;"
        " UPDATE unix_id_counter SET next_uid = next_uid + 1 WHERE id = 1;"
        " END"
    )
