"""SQL for users, groups and memberships; every function takes the caller's connection (and transaction)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from homeport.accounts.models import USERS, Group, User
from homeport.core.paging import Page, PageRequest, like_anywhere

_SELECT_USERS = (
    "SELECT id, name, full_name, email, enabled, builtin, password_hash, must_change_password,"
    " created_at, updated_at, password_changed_at FROM users"
)


def _groups_by_user(conn: sqlite3.Connection, user_ids: Iterable[int] | None = None) -> dict[int, list[str]]:
    query = "SELECT m.user_id, g.name FROM memberships m JOIN groups g ON g.id = m.group_id"
    params: tuple[int, ...] = ()
    if user_ids is not None:
        ids = tuple(user_ids)
        query += f" WHERE m.user_id IN ({','.join('?' * len(ids))})"
        params = ids
    result: dict[int, list[str]] = {}
    for row in conn.execute(query + " ORDER BY g.name", params):
        result.setdefault(int(row[0]), []).append(str(row[1]))
    return result


def _user(row: sqlite3.Row, groups: list[str]) -> User:
    return User(
        id=int(row["id"]),
        name=str(row["name"]),
        full_name=str(row["full_name"]),
        email=str(row["email"]),
        enabled=bool(row["enabled"]),
        builtin=bool(row["builtin"]),
        groups=tuple(groups),
        password_hash=row["password_hash"],
        must_change_password=bool(row["must_change_password"]),
        created_at=float(row["created_at"]),
        updated_at=float(row["updated_at"]),
        password_changed_at=row["password_changed_at"],
    )


def list_users(conn: sqlite3.Connection) -> list[User]:
    rows = conn.execute(_SELECT_USERS + " ORDER BY builtin DESC, name").fetchall()
    groups = _groups_by_user(conn)
    return [_user(row, groups.get(int(row["id"]), [])) for row in rows]


USER_SORTS = {"name": "name", "full_name": "full_name COLLATE NOCASE", "created_at": "created_at",
              "enabled": "enabled"}  # fmt: skip


def page_users(conn: sqlite3.Connection, request: PageRequest) -> Page[User]:
    """One page of accounts, matching `q` in the name, full name or email; only that page's groups are read."""
    where, params = "", []
    if request.q.strip():
        needle = like_anywhere(request.q.strip())
        where = " WHERE name LIKE ? ESCAPE '\\' OR full_name LIKE ? ESCAPE '\\' OR email LIKE ? ESCAPE '\\'"
        params = [needle] * 3
    field, descending = request.order(list(USER_SORTS), "name")
    order = f"{USER_SORTS[field]} {'DESC' if descending else 'ASC'}, name"
    total = int(conn.execute("SELECT COUNT(*) FROM users" + where, params).fetchone()[0])  # noqa: S608 - fixed texts
    rows = conn.execute(
        _SELECT_USERS + where + f" ORDER BY {order} LIMIT ? OFFSET ?",
        (*params, request.limit, request.offset),
    ).fetchall()
    groups = _groups_by_user(conn, [int(row["id"]) for row in rows])
    return Page([_user(row, groups.get(int(row["id"]), [])) for row in rows], total, request)


def users_awaiting_password(conn: sqlite3.Connection) -> list[str]:
    """Names of the accounts without a password that need one (see `User.awaits_password`)."""
    rows = conn.execute(
        "SELECT name FROM users WHERE (password_hash IS NULL OR password_hash = '') AND builtin = 0 ORDER BY name"
    )
    return [str(row[0]) for row in rows]


def find_user(conn: sqlite3.Connection, name: str) -> User | None:
    row = conn.execute(_SELECT_USERS + " WHERE name = ?", (name,)).fetchone()
    if row is None:
        return None
    return _user(row, _groups_by_user(conn, [int(row["id"])]).get(int(row["id"]), []))


def find_user_by_id(conn: sqlite3.Connection, user_id: int) -> User | None:
    row = conn.execute(_SELECT_USERS + " WHERE id = ?", (user_id,)).fetchone()
    if row is None:
        return None
    return _user(row, _groups_by_user(conn, [user_id]).get(user_id, []))


def insert_user(
    conn: sqlite3.Connection,
    *,
    name: str,
    full_name: str,
    email: str,
    now: float,
) -> int:
    """A new account, enabled and without a password yet: accounts/credentials.py writes that."""
    cursor = conn.execute(
        "INSERT INTO users (name, full_name, email, enabled, created_at, updated_at) VALUES (?, ?, ?, 1, ?, ?)",
        (name, full_name, email, now, now),
    )
    return int(cursor.lastrowid or 0)


def update_profile(
    conn: sqlite3.Connection, user_id: int, *, full_name: str, email: str, enabled: bool, now: float
) -> None:
    conn.execute(
        "UPDATE users SET full_name = ?, email = ?, enabled = ?, updated_at = ? WHERE id = ?",
        (full_name, email, int(enabled), now, user_id),
    )


def delete_user(conn: sqlite3.Connection, user_id: int) -> None:
    conn.execute("DELETE FROM users WHERE id = ?", (user_id,))


def set_groups(conn: sqlite3.Connection, user_id: int, groups: Iterable[str]) -> None:
    """Replace the user's memberships; every account stays in `users`."""
    names = sorted({*groups, USERS})
    conn.execute("DELETE FROM memberships WHERE user_id = ?", (user_id,))
    conn.executemany(
        "INSERT INTO memberships (user_id, group_id) SELECT ?, id FROM groups WHERE name = ?",
        [(user_id, name) for name in names],
    )


def list_groups(conn: sqlite3.Connection) -> list[Group]:
    members: dict[str, list[str]] = {}
    for row in conn.execute(
        "SELECT g.name AS g, u.name AS u FROM memberships m JOIN groups g ON g.id = m.group_id"
        " JOIN users u ON u.id = m.user_id ORDER BY u.name"
    ):
        members.setdefault(str(row["g"]), []).append(str(row["u"]))
    return [
        Group(
            name=str(row["name"]),
            description=str(row["description"]),
            builtin=bool(row["builtin"]),
            members=tuple(members.get(str(row["name"]), [])),
        )
        for row in conn.execute("SELECT name, description, builtin FROM groups ORDER BY builtin DESC, name")
    ]


def group_names(conn: sqlite3.Connection) -> list[str]:
    return [str(row[0]) for row in conn.execute("SELECT name FROM groups ORDER BY builtin DESC, name")]


def existing_group_names(conn: sqlite3.Connection) -> set[str]:
    return {str(row[0]) for row in conn.execute("SELECT name FROM groups")}


def insert_group(conn: sqlite3.Connection, name: str, description: str, now: float) -> None:
    conn.execute("INSERT INTO groups (name, description, created_at) VALUES (?, ?, ?)", (name, description, now))


def delete_group(conn: sqlite3.Connection, name: str) -> None:
    conn.execute("DELETE FROM groups WHERE name = ? AND builtin = 0", (name,))
