"""A guard that fails a test whose code blocked the application's event loop: a heartbeat on that loop notes
every late beat; a beat more than LIMIT late means something ran on the loop that should have been awaited
or sent to a thread (a hash, a subprocess, a slow file)."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Iterator
from typing import Any

BEAT = 0.02
LIMIT = 1.0


@contextlib.contextmanager
def loop_never_blocked(portal: Any, limit: float = LIMIT) -> Iterator[list[float]]:
    late: list[float] = []
    stop = threading.Event()

    async def heartbeat() -> None:
        expected = time.monotonic() + BEAT
        while not stop.is_set():
            await asyncio.sleep(BEAT)
            now = time.monotonic()
            late.append(now - expected)
            expected = now + BEAT

    running = portal.start_task_soon(heartbeat)
    try:
        yield late
    finally:
        stop.set()
        with contextlib.suppress(Exception):
            running.result(timeout=5)
    worst = max(late, default=0.0)
    assert worst < limit, f"the event loop was blocked for {worst:.2f} s"
