"""The one place a password credential is written: set, upgraded, cleared. Every path that changes a password
(an account, a sign-in's rehash, a restore, a reset, first aid) comes here, so the file service's copy (the NT hash
SMB signs in with) is made from the same plaintext in the same transaction, and neither can change alone.

Each function works in the caller's transaction; hashing is done before (Argon2 is slow)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from homeport.accounts.nt_hash import nt_hash
from homeport.auth.sealing import Sealer

NT_HASH_PURPOSE = "nt-hash"


@dataclass(frozen=True, repr=False)
class NewPassword:
    """A password made ready to store: the console's Argon2id hash and the file service's NT hash, both from one
    plaintext. `nt_hash` is None for a hash restored without its plaintext: SMB then waits for a new password."""

    argon2_hash: str
    nt_hash: bytes | None

    @classmethod
    def derive(cls, argon2_hash: str, typed: str) -> NewPassword:
        return cls(argon2_hash, nt_hash(typed))


def write_password(
    conn: sqlite3.Connection, sealer: Sealer, user_id: int, new: NewPassword, *, must_change: bool, now: float
) -> None:
    """A new password for an account: the browsers that knew the old one are strangers again, no browser skips
    the second step any more, and SMB's copy is replaced (marked not yet in Samba until the sync says so)."""
    conn.execute(
        "UPDATE users SET password_hash = ?, must_change_password = ?, password_changed_at = ?,"
        " updated_at = ? WHERE id = ?",
        (new.argon2_hash, int(must_change), now, now, user_id),
    )
    if new.nt_hash is None:
        conn.execute("DELETE FROM smb_passwords WHERE user_id = ?", (user_id,))
    else:
        _write_nt_hash(conn, sealer, user_id, new.nt_hash, now)
    _forget_browsers(conn, user_id)


def upgrade_password(conn: sqlite3.Connection, user_id: int, old_hash: str, new_hash: str) -> None:
    """The same password hashed with the current parameters, unless it changed meanwhile."""
    conn.execute("UPDATE users SET password_hash = ? WHERE id = ? AND password_hash = ?", (new_hash, user_id, old_hash))


def add_missing_nt_hash(
    conn: sqlite3.Connection, sealer: Sealer, user_id: int, password_hash: str, typed: str, now: float
) -> bool:
    """After a successful sign-in with `typed`: give SMB its copy if the account has none (made before the file
    service existed, or restored without the key), unless the password changed meanwhile. True if one was added."""
    current = conn.execute("SELECT password_hash FROM users WHERE id = ?", (user_id,)).fetchone()
    if current is None or current[0] != password_hash or has_nt_hash(conn, user_id):
        return False
    _write_nt_hash(conn, sealer, user_id, nt_hash(typed), now)
    return True


def has_nt_hash(conn: sqlite3.Connection, user_id: int) -> bool:
    return conn.execute("SELECT 1 FROM smb_passwords WHERE user_id = ?", (user_id,)).fetchone() is not None


def clear_password(conn: sqlite3.Connection, user_id: int) -> None:
    """No password at all: an administrator restored from a backup, the built-in admin after a factory reset."""
    conn.execute("UPDATE users SET password_hash = NULL, must_change_password = 0 WHERE id = ?", (user_id,))
    conn.execute("DELETE FROM smb_passwords WHERE user_id = ?", (user_id,))
    _forget_browsers(conn, user_id)


def _write_nt_hash(conn: sqlite3.Connection, sealer: Sealer, user_id: int, value: bytes, now: float) -> None:
    sealed = sealer.seal(value, user_id=user_id, purpose=NT_HASH_PURPOSE)
    conn.execute(
        "INSERT INTO smb_passwords (user_id, sealed_nt_hash, changed_at, synced_at) VALUES (?, ?, ?, NULL)"
        " ON CONFLICT(user_id) DO UPDATE SET sealed_nt_hash = excluded.sealed_nt_hash,"
        " changed_at = excluded.changed_at, synced_at = NULL",
        (user_id, sealed, now),
    )


def _forget_browsers(conn: sqlite3.Connection, user_id: int) -> None:
    conn.execute("DELETE FROM device_tokens WHERE user_id = ?", (user_id,))
    conn.execute("DELETE FROM remembered_browsers WHERE user_id = ?", (user_id,))
