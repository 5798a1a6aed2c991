"""The recovery window of Mode 1: while it is open, an administrator may sign in with an empty password, from
a directly attached subnet only, into a session that can only set that account's new password. Auto block is
off while it is open and comes back on when it closes (if it was on before the reset)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from homeport.audit.log import SYSTEM, AuditLog
from homeport.recovery import journal
from homeport.system.settings import SettingsService, read_value, write_value

WINDOW_KEY = "recovery.window"


@dataclass(frozen=True)
class Window:
    reset_id: int
    opens_at: float
    closes_at: float

    def open_at(self, now: float) -> bool:
        return self.opens_at <= now < self.closes_at


def current(conn: sqlite3.Connection) -> Window | None:
    value = read_value(conn, WINDOW_KEY)
    if not value:
        return None
    return Window(int(value["reset_id"]), float(value["opens_at"]), float(value["closes_at"]))


def open_window(conn: sqlite3.Connection, reset_id: int, now: float, minutes: int) -> Window:
    window = Window(reset_id, now, now + minutes * 60)
    write_value(conn, WINDOW_KEY, window.__dict__)
    return window


def close(conn: sqlite3.Connection, settings: SettingsService, audit: AuditLog, reason: str) -> Window | None:
    """Close the window in the caller's transaction; auto block comes back on if the reset turned it off."""
    opened = current(conn)
    write_value(conn, WINDOW_KEY, None)
    if opened is None:
        return None
    reset = journal.find(conn, opened.reset_id)
    if reset is not None and reset.before.get("auto_block_enabled") and not settings.security().auto_block_enabled:
        settings.update_security(conn, {"auto_block_enabled": True})
        journal.mark_restored(conn, reset.id, "auto_block")
        audit.record(conn, "settings.auto_block_restored", SYSTEM, target=f"#{reset.id}", reason=reason)
    return opened
