"""The one place a password credential is written: set, upgraded, cleared. Every path that changes a password
(an account, a sign-in's rehash, a restore, a reset, first aid) comes here, so a credential derived from the
same password (the file service's, later) has exactly one place to be made, and none can drift.

Each function works in the caller's transaction; hashing is done before (Argon2 is slow)."""

from __future__ import annotations

import sqlite3


def write_password(
    conn: sqlite3.Connection, user_id: int, password_hash: str, *, must_change: bool, now: float
) -> None:
    """A new password for an account: the browsers that knew the old one are strangers again, and no browser
    skips the second step any more."""
    conn.execute(
        "UPDATE users SET password_hash = ?, must_change_password = ?, password_changed_at = ?,"
        " updated_at = ? WHERE id = ?",
        (password_hash, int(must_change), now, now, user_id),
    )
    _forget_browsers(conn, user_id)


def upgrade_password(conn: sqlite3.Connection, user_id: int, old_hash: str, new_hash: str) -> None:
    """The same password hashed with the current parameters, unless it changed meanwhile."""
    conn.execute("UPDATE users SET password_hash = ? WHERE id = ? AND password_hash = ?", (new_hash, user_id, old_hash))


def clear_password(conn: sqlite3.Connection, user_id: int) -> None:
    """No password at all: an administrator restored from a backup, the built-in admin after a factory reset."""
    conn.execute("UPDATE users SET password_hash = NULL, must_change_password = 0 WHERE id = ?", (user_id,))
    _forget_browsers(conn, user_id)


def _forget_browsers(conn: sqlite3.Connection, user_id: int) -> None:
    conn.execute("DELETE FROM device_tokens WHERE user_id = ?", (user_id,))
    conn.execute("DELETE FROM remembered_browsers WHERE user_id = ?", (user_id,))
