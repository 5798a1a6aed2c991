"""No lockout by configuration: the last administrator who can sign in stays one (recovery.md, "Promises").

Checked before anything is saved, inside the same transaction as the change.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from homeport.accounts import repository
from homeport.accounts.models import User
from homeport.accounts.passwords import can_verify
from homeport.core.errors import Conflict


def can_sign_in_as_admin(user: User) -> bool:
    """Enabled, in `administrators`, with a password hash this code can verify."""
    return user.enabled and user.is_admin and can_verify(user.password_hash)


def ensure_an_administrator_remains(users: Sequence[User], affected: User, after: User | None, what: str) -> None:
    """Refuse a change that turns `affected` into `after` (None: deleted) if it removes the last working admin."""
    if not can_sign_in_as_admin(affected) or (after is not None and can_sign_in_as_admin(after)):
        return
    others = [u for u in users if u.id != affected.id and can_sign_in_as_admin(u)]
    if not others:
        raise Conflict(
            f"'{affected.name}' is the last enabled administrator who can sign in, so it cannot be {what}. "
            "First make another account an administrator (and check that it can sign in).",
            code="last_administrator",
        )


def ensure_not_locking_oneself_out(acting_as: str, affected: User, after: User | None) -> None:
    """Refuse disabling or deleting the account the caller is signed in with: the change would end their own
    session halfway through. Another administrator, or root, can do it. (Stepping down from administrators is
    allowed: the session goes on.)"""
    if acting_as != affected.name:
        return
    if after is None:
        what = "deleting it would end this session and remove the account you are using"
    elif affected.enabled and not after.enabled:
        what = "disabling it would end this session and lock you out of it"
    else:
        return
    raise Conflict(
        f"You are signed in as '{affected.name}': {what}. Sign in as another administrator to do this "
        "(or, on the device, use 'homeport user' as root).",
        code="own_account",
    )


def sign_in_problem(conn: sqlite3.Connection) -> str | None:
    """None if at least one enabled administrator has a credential this code can verify (migration invariant)."""
    if any(can_sign_in_as_admin(user) for user in repository.list_users(conn)):
        return None
    return "no enabled administrator has a password this version of Homeport can verify"
