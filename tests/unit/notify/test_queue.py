"""The notices and their queue in a real store: pruning keeps what is still to be read or sent."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from homeport.notify import queue
from homeport.notify.models import NoticeDraft
from homeport.store.db import connect
from homeport.store.migrate import migrate
from homeport.store.migrations import MIGRATIONS

DAY = 24 * 3600.0


@pytest.fixture
def conn(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    connection = connect(tmp_path / "store.db")
    migrate(connection, tmp_path / "store.db", tmp_path / "backups", MIGRATIONS, lambda _: None)
    yield connection
    connection.close()


def draft(n: int) -> NoticeDraft:
    return NoticeDraft("backup.failed", f"Backup {n} failed", "Disk full.", "warning")


def test_prune_keeps_unread_notices_and_pending_deliveries(conn: sqlite3.Connection) -> None:
    read_sent = queue.add_notice(conn, draft(1), 0.0, ["email"])
    read_pending = queue.add_notice(conn, draft(2), 0.0, ["webhook"])
    unread = queue.add_notice(conn, draft(3), 0.0, [])
    queue.mark_sent(conn, 1, 10.0)
    queue.mark_read(conn, 20.0, read_sent)
    queue.mark_read(conn, 20.0, read_pending)
    queue.prune(conn, 100 * DAY)
    left = {n.id for n in queue.notices(conn)}
    assert left == {read_pending, unread}
    assert [d.channel for d in queue.deliveries(conn)] == ["webhook"]


def test_a_delivery_is_given_up_three_days_after_its_notice(conn: sqlite3.Connection) -> None:
    queue.add_notice(conn, draft(1), 0.0, ["email"])
    (delivery,) = queue.due(conn, 0.0)
    assert queue.mark_failed_attempt(conn, delivery, "refused", 3 * DAY - 1) == "pending"
    (delivery,) = queue.deliveries(conn)
    assert queue.mark_failed_attempt(conn, delivery, "refused" * 100, 3 * DAY) == "failed"
    (delivery,) = queue.deliveries(conn)
    assert delivery.attempts == 2 and len(delivery.last_error) == queue.ERROR_MAX
    assert queue.due(conn, 10 * DAY) == [] and queue.next_due_at(conn) is None
