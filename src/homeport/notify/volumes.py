"""The periodic volume check: a volume missing, or over 90 % full, is told once while it lasts (kept in the store,
so a restart does not tell it again); a volume is full again only above 90 %, after it went below 85 %."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from homeport.notify.models import NoticeDraft
from homeport.system.volumes import Volume

FULL_PERCENT = 90.0
CLEAR_PERCENT = 85.0
CHECK_SECONDS = 300.0


def used_percent(volume: Volume) -> float:
    if not volume.total_bytes:
        return 0.0
    return 100.0 * (volume.total_bytes - volume.free_bytes) / volume.total_bytes


def _begins(conn: sqlite3.Connection, key: str, now: float) -> bool:
    """True the first time a condition is seen (until it clears)."""
    return conn.execute("INSERT OR IGNORE INTO notice_conditions (key, since) VALUES (?, ?)", (key, now)).rowcount > 0


def _clears(conn: sqlite3.Connection, key: str) -> None:
    conn.execute("DELETE FROM notice_conditions WHERE key = ?", (key,))


Enqueue = Callable[[sqlite3.Connection, NoticeDraft], object]


def check(conn: sqlite3.Connection, volumes: list[Volume], now: float, enqueue: Enqueue) -> None:
    for volume in volumes:
        missing, full = f"volume.missing:{volume.path}", f"volume.full:{volume.path}"
        if not volume.available:
            if _begins(conn, missing, now):
                enqueue(
                    conn,
                    NoticeDraft(
                        "volume.missing",
                        f"The volume {volume.name} is missing",
                        f"{volume.path} cannot be read: a disk removed, failed or not mounted. Its shared folders are "
                        "unavailable until it comes back; nothing on it is deleted.",
                        "critical",
                    ),
                )
            continue
        _clears(conn, missing)
        percent = used_percent(volume)
        if percent >= FULL_PERCENT and _begins(conn, full, now):
            enqueue(
                conn,
                NoticeDraft(
                    "volume.nearly_full",
                    f"The volume {volume.name} is {percent:.0f} % full",
                    f"{volume.path} has {volume.free_bytes // 2**20} MiB free. When it is full, writes to its shared "
                    "folders fail: free some space or add a disk.",
                    "warning",
                ),
            )
        elif percent < CLEAR_PERCENT:
            _clears(conn, full)
