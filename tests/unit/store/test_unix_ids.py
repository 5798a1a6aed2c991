"""Unix ids (m0007): existing accounts keep 70000 + id, new ones come from a counter that never goes back."""

from __future__ import annotations

import sqlite3

from homeport.store.migrations import MIGRATIONS


def store_at(version: int) -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:")
    conn.execute("PRAGMA foreign_keys = ON")
    for migration in MIGRATIONS:
        if migration.number <= version:
            migration.upgrade(conn)
    return conn


def add_user(conn: sqlite3.Connection, name: str) -> int:
    made = conn.execute(
        "INSERT INTO users (name, enabled, created_at, updated_at) VALUES (?, 1, 0, 0) RETURNING id", (name,)
    )
    return int(made.fetchone()[0])


def uid_of(conn: sqlite3.Connection, user_id: int) -> int:
    return int(conn.execute("SELECT uid FROM unix_ids WHERE user_id = ?", (user_id,)).fetchone()[0])


def test_accounts_made_before_keep_the_uid_they_had() -> None:
    conn = store_at(6)
    ids = [add_user(conn, name) for name in ("alice", "bob", "carol")]
    conn.execute("DELETE FROM users WHERE name = 'carol'")
    MIGRATIONS[6].upgrade(conn)
    assert [uid_of(conn, i) for i in ids[:2]] == [70000 + ids[0], 70000 + ids[1]]
    dave = add_user(conn, "dave")
    assert dave == ids[2]  # SQLite hands out carol's id again...
    assert uid_of(conn, dave) == 70000 + ids[1] + 1  # ...the counter starts above the highest uid kept


def test_a_new_account_never_gets_a_deleted_accounts_uid() -> None:
    conn = store_at(MIGRATIONS[-1].number)
    first = add_user(conn, "erin")
    gone = add_user(conn, "frank")
    gone_uid = uid_of(conn, gone)
    conn.execute("DELETE FROM users WHERE id = ?", (gone,))
    assert conn.execute("SELECT COUNT(*) FROM unix_ids WHERE uid = ?", (gone_uid,)).fetchone()[0] == 0
    again = add_user(conn, "gina")
    assert again == gone  # the same account id...
    assert uid_of(conn, again) > gone_uid > uid_of(conn, first)  # ...but a uid never used before
