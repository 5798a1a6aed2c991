"""Runs the daily backup: at start when the last daily is over a day old (catch-up), then at the chosen local time.

The loop only wakes every `poll_seconds` and asks `tick()`; tick compares the injected clock with the next due
time, so tests drive it by moving a fake clock, and a changed time of day or a clock jump is followed within one
poll."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import Callable

import structlog

from homeport.backups.schedule import DAY, catch_up_due, next_daily
from homeport.backups.service import BackupService
from homeport.core.clock import Clock

_log = structlog.get_logger("homeport.backups")


class BackupScheduler:
    def __init__(
        self, backups: BackupService, clock: Clock, in_service: Callable[[], bool], *, poll_seconds: float = 30.0,
        zone: dt.tzinfo | None = None,
    ) -> None:  # fmt: skip
        self._backups = backups
        self._clock = clock
        self._in_service = in_service
        self._poll = poll_seconds
        self._zone = zone
        self._next: float | None = None
        self._planned_for: str | None = None
        self._task: asyncio.Task[None] | None = None

    def next_due(self) -> float:
        """When the next daily backup runs (recomputed when the time of day changes)."""
        daily_at = self._backups.settings().daily_at
        jumped_back = self._next is not None and self._next - self._clock.now() > DAY + 3600  # the clock was set back
        if self._next is None or daily_at != self._planned_for or jumped_back:
            hour, minute = (int(part) for part in daily_at.split(":"))
            self._next, self._planned_for = next_daily(self._clock.now(), hour, minute, self._zone), daily_at
        return self._next

    def catch_up(self) -> bool:
        """At start: the daily backup a device that was off at its time missed. True if one was made."""
        if not self._in_service() or not catch_up_due(self._clock.now(), self._backups.last_daily()):
            return False
        self._backups.create("daily")
        return True

    def tick(self) -> bool:
        """The daily backup if it is due (and the device is in service). True if one was made."""
        due = self.next_due()
        now = self._clock.now()
        if now < due:
            return False
        hour, minute = (int(part) for part in (self._planned_for or "03:00").split(":"))
        self._next = next_daily(now, hour, minute, self._zone)
        if not self._in_service():
            return False
        self._backups.create("daily")
        return True

    async def _run(self) -> None:
        try:
            await asyncio.to_thread(self.catch_up)
        except Exception:
            _log.exception("the catch-up daily backup failed")
        while True:
            await asyncio.sleep(self._poll)
            try:
                await asyncio.to_thread(self.tick)
            except Exception:  # one failed run must not end the schedule
                _log.exception("the daily backup failed")

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
