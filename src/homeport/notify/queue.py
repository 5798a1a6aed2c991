"""The notices and their delivery queue in the store: plain SQL on a connection the caller holds, so a notice is
queued in the transaction of the action that caused it."""

from __future__ import annotations

import sqlite3
from typing import cast

from homeport.notify.models import Channel, Delivery, DeliveryState, Notice, NoticeDraft, Severity

FIRST_RETRY_SECONDS = 30.0
LONGEST_RETRY_SECONDS = 3600.0
GIVE_UP_SECONDS = 3 * 24 * 3600.0
KEEP_READ_SECONDS = 90 * 24 * 3600.0
KEEP_FINISHED_SECONDS = 30 * 24 * 3600.0
KEEP_NOTICES = 1000  # unread ones too: a flood must not grow the store without bound
ERROR_MAX = 300

_DELIVERY_COLUMNS = (
    "d.id, d.channel, d.state, d.attempts, d.next_attempt_at, d.last_error, d.finished_at,"
    " n.id AS notice_id, n.kind, n.title, n.body, n.severity, n.created_at, n.read_at"
)


def retry_delay(attempts: int) -> float:
    """30 s after the first failure, doubling up to an hour."""
    return float(min(LONGEST_RETRY_SECONDS, FIRST_RETRY_SECONDS * 2 ** max(0, attempts - 1)))


def _notice(row: sqlite3.Row, id_column: str = "id") -> Notice:
    return Notice(
        id=int(row[id_column]),
        kind=str(row["kind"]),
        title=str(row["title"]),
        body=str(row["body"]),
        severity=cast(Severity, row["severity"]),
        created_at=float(row["created_at"]),
        read_at=None if row["read_at"] is None else float(row["read_at"]),
    )


def _delivery(row: sqlite3.Row) -> Delivery:
    return Delivery(
        id=int(row["id"]),
        notice=_notice(row, "notice_id"),
        channel=cast(Channel, row["channel"]),
        state=cast(DeliveryState, row["state"]),
        attempts=int(row["attempts"]),
        next_attempt_at=float(row["next_attempt_at"]),
        last_error=str(row["last_error"]),
        finished_at=None if row["finished_at"] is None else float(row["finished_at"]),
    )


def add_notice(conn: sqlite3.Connection, draft: NoticeDraft, now: float, channels: list[Channel]) -> int:
    """Keep the notice and queue one delivery per enabled channel, due now."""
    cursor = conn.execute(
        "INSERT INTO notices (kind, title, body, severity, created_at) VALUES (?, ?, ?, ?, ?)",
        (draft.kind, draft.title, draft.body, draft.severity, now),
    )
    notice_id = int(cursor.lastrowid or 0)
    for channel in channels:
        conn.execute(
            "INSERT INTO notice_deliveries (notice_id, channel, state, next_attempt_at) VALUES (?, ?, 'pending', ?)",
            (notice_id, channel, now),
        )
    return notice_id


def notices(conn: sqlite3.Connection, *, unread_only: bool = False, limit: int = 100) -> list[Notice]:
    where = "WHERE read_at IS NULL" if unread_only else ""
    rows = conn.execute(
        f"SELECT id, kind, title, body, severity, created_at, read_at FROM notices {where}"  # noqa: S608
        " ORDER BY id DESC LIMIT ?",
        (limit,),
    ).fetchall()
    return [_notice(r) for r in rows]


def unread_count(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT COUNT(*) FROM notices WHERE read_at IS NULL").fetchone()[0])


def mark_read(conn: sqlite3.Connection, now: float, notice_id: int | None = None) -> int:
    """One notice, or every unread one (`notice_id` None); how many were unread."""
    if notice_id is None:
        return conn.execute("UPDATE notices SET read_at = ? WHERE read_at IS NULL", (now,)).rowcount
    return conn.execute("UPDATE notices SET read_at = ? WHERE id = ? AND read_at IS NULL", (now, notice_id)).rowcount


def notice_exists(conn: sqlite3.Connection, notice_id: int) -> bool:
    return conn.execute("SELECT 1 FROM notices WHERE id = ?", (notice_id,)).fetchone() is not None


def due(conn: sqlite3.Connection, now: float, limit: int = 20) -> list[Delivery]:
    rows = conn.execute(
        f"SELECT {_DELIVERY_COLUMNS} FROM notice_deliveries d JOIN notices n ON n.id = d.notice_id"  # noqa: S608
        " WHERE d.state = 'pending' AND d.next_attempt_at <= ? ORDER BY d.next_attempt_at, d.id LIMIT ?",
        (now, limit),
    ).fetchall()
    return [_delivery(r) for r in rows]


def next_due_at(conn: sqlite3.Connection) -> float | None:
    row = conn.execute("SELECT MIN(next_attempt_at) FROM notice_deliveries WHERE state = 'pending'").fetchone()
    return None if row[0] is None else float(row[0])


def mark_sent(conn: sqlite3.Connection, delivery_id: int, now: float) -> None:
    conn.execute(
        "UPDATE notice_deliveries SET state = 'sent', attempts = attempts + 1, last_error = '', finished_at = ?"
        " WHERE id = ?",
        (now, delivery_id),
    )


def mark_failed_attempt(conn: sqlite3.Connection, delivery: Delivery, error: str, now: float) -> DeliveryState:
    """Another try later (30 s doubling to an hour), or given up once the notice is three days old."""
    attempts = delivery.attempts + 1
    error = error[:ERROR_MAX]
    if now - delivery.notice.created_at >= GIVE_UP_SECONDS:
        conn.execute(
            "UPDATE notice_deliveries SET state = 'failed', attempts = ?, last_error = ?, finished_at = ? WHERE id = ?",
            (attempts, error, now, delivery.id),
        )
        return "failed"
    conn.execute(
        "UPDATE notice_deliveries SET attempts = ?, last_error = ?, next_attempt_at = ? WHERE id = ?",
        (attempts, error, now + retry_delay(attempts), delivery.id),
    )
    return "pending"


def give_up(conn: sqlite3.Connection, delivery_id: int, reason: str, now: float) -> None:
    conn.execute(
        "UPDATE notice_deliveries SET state = 'failed', last_error = ?, finished_at = ? WHERE id = ?",
        (reason[:ERROR_MAX], now, delivery_id),
    )


def deliveries(conn: sqlite3.Connection, *, limit: int = 50) -> list[Delivery]:
    """Pending and failed first, then the latest sent."""
    rows = conn.execute(
        f"SELECT {_DELIVERY_COLUMNS} FROM notice_deliveries d JOIN notices n ON n.id = d.notice_id"  # noqa: S608
        " ORDER BY d.state = 'sent', d.id DESC LIMIT ?",
        (limit,),
    ).fetchall()
    return [_delivery(r) for r in rows]


def counts(conn: sqlite3.Connection) -> dict[str, int]:
    found = {"pending": 0, "sent": 0, "failed": 0}
    for state, count in conn.execute("SELECT state, COUNT(*) FROM notice_deliveries GROUP BY state"):
        found[str(state)] = int(count)
    return found


def prune(conn: sqlite3.Connection, now: float) -> int:
    """Finished deliveries after 30 days; notices read 90 days ago with nothing left to send; beyond the newest
    1000, the oldest read ones first."""
    removed = conn.execute(
        "DELETE FROM notice_deliveries WHERE state != 'pending' AND finished_at < ?", (now - KEEP_FINISHED_SECONDS,)
    ).rowcount
    removed += conn.execute(
        "DELETE FROM notices WHERE read_at IS NOT NULL AND read_at < ?"
        " AND NOT EXISTS (SELECT 1 FROM notice_deliveries d WHERE d.notice_id = notices.id AND d.state = 'pending')",
        (now - KEEP_READ_SECONDS,),
    ).rowcount
    removed += conn.execute(
        "DELETE FROM notices WHERE id NOT IN (SELECT id FROM notices ORDER BY read_at IS NULL DESC, id DESC LIMIT ?)",
        (KEEP_NOTICES,),
    ).rowcount
    return removed
