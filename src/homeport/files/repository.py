"""Shared folders in the store."""

from __future__ import annotations

import sqlite3
from typing import cast

from homeport.files.models import Access, Share, ShareDraft


def _access(conn: sqlite3.Connection, share_ids: list[int]) -> tuple[dict[int, dict[str, Access]], ...]:
    users: dict[int, dict[str, Access]] = {i: {} for i in share_ids}
    groups: dict[int, dict[str, Access]] = {i: {} for i in share_ids}
    for row in conn.execute(
        "SELECT a.share_id, u.name, a.access FROM share_user_access a JOIN users u ON u.id = a.user_id"
    ):
        if row[0] in users:
            users[row[0]][row[1]] = cast(Access, row[2])
    for row in conn.execute(
        "SELECT a.share_id, g.name, a.access FROM share_group_access a JOIN groups g ON g.id = a.group_id"
    ):
        if row[0] in groups:
            groups[row[0]][row[1]] = cast(Access, row[2])
    return users, groups


def list_shares(conn: sqlite3.Connection) -> list[Share]:
    rows = conn.execute("SELECT * FROM shares ORDER BY name COLLATE NOCASE").fetchall()
    users, groups = _access(conn, [r["id"] for r in rows])
    return [
        Share(
            id=r["id"],
            name=r["name"],
            volume=r["volume"],
            folder=r["folder"],
            description=r["description"],
            hidden=bool(r["hidden"]),
            recycle_bin=bool(r["recycle_bin"]),
            time_machine=bool(r["time_machine"]),
            time_machine_limit_gb=r["time_machine_limit_gb"],
            users=dict(sorted(users[r["id"]].items())),
            groups=dict(sorted(groups[r["id"]].items())),
        )
        for r in rows
    ]


def find_share(conn: sqlite3.Connection, name: str) -> Share | None:
    return next((s for s in list_shares(conn) if s.name.casefold() == name.casefold()), None)


def insert_share(conn: sqlite3.Connection, draft: ShareDraft, now: float) -> int:
    cursor = conn.execute(
        "INSERT INTO shares (name, volume, folder, description, hidden, recycle_bin, time_machine,"
        " time_machine_limit_gb, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            draft.name, draft.volume, draft.folder, draft.description, int(draft.hidden), int(draft.recycle_bin),
            int(draft.time_machine), draft.time_machine_limit_gb, now, now,
        ),
    )  # fmt: skip
    share_id = int(cursor.lastrowid or 0)
    set_access(conn, share_id, draft)
    return share_id


def update_share(conn: sqlite3.Connection, share_id: int, draft: ShareDraft, now: float) -> None:
    conn.execute(
        "UPDATE shares SET name = ?, description = ?, hidden = ?, recycle_bin = ?, time_machine = ?,"
        " time_machine_limit_gb = ?, updated_at = ? WHERE id = ?",
        (
            draft.name, draft.description, int(draft.hidden), int(draft.recycle_bin), int(draft.time_machine),
            draft.time_machine_limit_gb, now, share_id,
        ),
    )  # fmt: skip
    set_access(conn, share_id, draft)


def set_access(conn: sqlite3.Connection, share_id: int, draft: ShareDraft) -> None:
    conn.execute("DELETE FROM share_user_access WHERE share_id = ?", (share_id,))
    conn.execute("DELETE FROM share_group_access WHERE share_id = ?", (share_id,))
    for name, access in draft.users.items():
        conn.execute(
            "INSERT INTO share_user_access (share_id, user_id, access) SELECT ?, id, ? FROM users WHERE name = ?",
            (share_id, access, name),
        )
    for name, access in draft.groups.items():
        conn.execute(
            "INSERT INTO share_group_access (share_id, group_id, access) SELECT ?, id, ? FROM groups WHERE name = ?",
            (share_id, access, name),
        )


def delete_share(conn: sqlite3.Connection, share_id: int) -> None:
    conn.execute("DELETE FROM shares WHERE id = ?", (share_id,))


def memberships(conn: sqlite3.Connection) -> dict[str, list[str]]:
    """Every account's group names (enabled or not: Samba refuses a disabled account itself)."""
    found: dict[str, list[str]] = {r[0]: [] for r in conn.execute("SELECT name FROM users")}
    for user, group in conn.execute(
        "SELECT u.name, g.name FROM memberships m JOIN users u ON u.id = m.user_id JOIN groups g ON g.id = m.group_id"
    ):
        found[user].append(group)
    return found
