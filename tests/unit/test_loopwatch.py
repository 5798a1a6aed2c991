"""The event-loop guard itself: it must fail a test that blocks the loop, and pass one that awaits."""

from __future__ import annotations

import time

import pytest
from anyio.from_thread import start_blocking_portal

from tests.support.loopwatch import loop_never_blocked


def test_the_guard_catches_a_blocked_loop() -> None:
    with (
        start_blocking_portal() as portal,
        pytest.raises(AssertionError, match="blocked"),
        loop_never_blocked(portal, limit=0.2),
    ):
        portal.call(lambda: time.sleep(0.5))  # runs on the loop's thread: blocks it


def test_the_guard_passes_a_loop_that_awaits() -> None:
    import anyio

    with start_blocking_portal() as portal, loop_never_blocked(portal, limit=0.2):
        portal.call(anyio.sleep, 0.3)
