"""The queue is in the store: a notice that could not go out before the daemon stopped goes out after it starts
again, from the dispatcher task that start_services runs (not a test's hand)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from homeport.audit.log import Actor
from homeport.core.events import NoticeRaised
from homeport.daemon import BuildOptions, build_services, close_services, start_services, stop_services
from homeport.home import Home
from homeport.notify.models import NoticeDraft
from homeport.services import Services
from homeport.tls.issue import issue
from tests.conftest import FLOOR
from tests.support.clock import FakeClock
from tests.support.fakes import StaticInterfaces
from tests.support.mail import free_port
from tests.support.receiver import webhook_receiver

WAIT_SECONDS = 10.0
ROOT = Actor("root@local", "local")


def build(home: Home, volume: Path, clock: FakeClock) -> Services:
    options = BuildOptions(volumes=(volume,), argon2=FLOOR, hash_workers=1, tls_issuer=issue, discovery=False)
    return build_services(home, options, clock=clock, interfaces=StaticInterfaces())


async def until(condition: object, what: str) -> None:
    """Poll a condition (a callable) a bounded number of times."""
    for _ in range(int(WAIT_SECONDS / 0.05)):
        if condition():  # type: ignore[operator]
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"not within {WAIT_SECONDS} s: {what}")


def test_a_pending_notice_goes_out_after_a_restart(home: Home, short_tmp: Path) -> None:
    volume = short_tmp / "volume1"
    volume.mkdir()
    clock = FakeClock()
    port = free_port()
    url = f"http://127.0.0.1:{port}/hook"

    first = build(home, volume, clock)
    try:
        first.notices.service.change_settings(ROOT, None, None, {"enabled": True, "url": url}, None)

        async def while_the_receiver_is_down() -> None:
            await start_services(first)
            first.bus.publish(NoticeRaised("backup.failed", "The backup failed", "volume1 is full.", "warning"))
            await until(lambda: first.notices.service.queue_summary().recent[0].attempts == 1, "a first try")
            await stop_services(first)

        asyncio.run(while_the_receiver_is_down())
        (delivery,) = first.notices.service.queue_summary().recent
        assert delivery.state == "pending" and "refused the connection" in delivery.last_error
    finally:
        close_services(first)

    clock.advance(30)
    with webhook_receiver(port) as receiver:
        second = build(home, volume, clock)
        try:

            async def after_the_restart() -> None:
                await start_services(second)
                await until(lambda: receiver.requests, "the webhook's request")
                # A new notice goes out at once too: the dispatcher wakes when the store commits.
                second.notices.service.raise_notice(NoticeDraft("update.committed", "Updated", "Trial passed."))
                await until(lambda: len(receiver.requests) == 2, "the second request")
                await stop_services(second)

            asyncio.run(after_the_restart())
        finally:
            close_services(second)
    assert [json.loads(r.body)["kind"] for r in receiver.requests] == ["backup.failed", "update.committed"]
