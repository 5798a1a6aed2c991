"""The dispatcher: one task on the event loop that sends due deliveries one at a time in a worker thread, wakes
on every commit to the store (a new notice goes out at once) or when the next retry is due, and checks the
volumes every few minutes. The queue is in the store, so a restart resumes where it stopped."""

from __future__ import annotations

import asyncio
import contextlib

import structlog

from homeport.core.clock import Clock
from homeport.notify.service import NotifyService
from homeport.notify.volumes import CHECK_SECONDS

_log = structlog.get_logger("homeport.notify")

IDLE_SECONDS = 60.0
STOP_SECONDS = 5.0  # a delivery under way may finish; a hanging server does not hold up the stop for long


class Dispatcher:
    def __init__(self, service: NotifyService, clock: Clock, *, check_seconds: float = CHECK_SECONDS) -> None:
        self._service = service
        self._clock = clock
        self._check_seconds = check_seconds
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    def poke(self) -> None:
        """Look at the queue now (from any thread: the store calls it after each commit)."""
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop is closing
                loop.call_soon_threadsafe(wake.set)

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self._stopping = False
        self._task = self._loop.create_task(self._run(), name="notice dispatcher")

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is None:
            return
        self._stopping = True
        self.poke()
        try:
            await asyncio.wait_for(asyncio.shield(task), STOP_SECONDS)
        except TimeoutError:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._loop = self._wake = None

    async def send_due(self) -> int:
        """Every delivery due now, one at a time; how many were tried."""
        tried = 0
        while not self._stopping:
            due = await asyncio.to_thread(self._service.due)
            if not due:
                break
            for delivery in due:
                if self._stopping:
                    break
                await asyncio.to_thread(self._service.deliver, delivery)
                tried += 1
        return tried

    async def _housekeeping(self) -> None:
        await asyncio.to_thread(self._service.check_volumes)
        await asyncio.to_thread(self._service.prune)

    async def _run(self) -> None:
        assert self._wake is not None
        checked_at: float | None = None
        while not self._stopping:
            self._wake.clear()
            try:
                now = self._clock.monotonic()
                if checked_at is None or now - checked_at >= self._check_seconds:
                    checked_at = now
                    await self._housekeeping()
                await self.send_due()
                next_at = await asyncio.to_thread(self._service.next_due_at)
            except Exception:
                _log.exception("the notice dispatcher failed a round; it tries again")
                next_at = None
            wait = IDLE_SECONDS if next_at is None else min(IDLE_SECONDS, max(0.05, next_at - self._clock.now()))
            wait = min(wait, self._check_seconds)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), wait)
