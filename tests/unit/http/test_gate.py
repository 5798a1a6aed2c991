"""The sign-in gate on its own: one sign-in at a time per address, a bounded wait, a pause on refusals."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from homeport.auth.devices import DEVICE_COOKIE
from homeport.core.ids import new_token
from homeport.http.gate import MAX_WAITING_PER_ADDRESS, SignInGate
from homeport.services import Services


class Inner:
    """The application behind the gate: each sign-in waits until the test lets it answer."""

    def __init__(self, status: int = 401) -> None:
        self.status = status
        self.running: dict[str, int] = {}
        self.most_at_once: dict[str, int] = {}
        self.release = asyncio.Event()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        address = scope["client"][0]
        self.running[address] = self.running.get(address, 0) + 1
        self.most_at_once[address] = max(self.most_at_once.get(address, 0), self.running[address])
        await self.release.wait()
        self.running[address] -= 1
        await send({"type": "http.response.start", "status": self.status, "headers": []})
        await send({"type": "http.response.body", "body": b""})


async def sign_in(gate: SignInGate, address: str, cookie: str = "") -> int:
    statuses: list[int] = []

    async def send(message: Any) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    headers = [(b"cookie", f"{DEVICE_COOKIE}={cookie}".encode())] if cookie else []
    scope = {"type": "http", "method": "POST", "path": "/api/v1/auth/login", "client": (address, 1), "headers": headers}
    await gate(scope, None, send)  # type: ignore[arg-type]
    return statuses[0]


def test_an_address_has_one_sign_in_at_a_time_and_a_bounded_queue(services: Services) -> None:
    async def scenario() -> tuple[list[int], Inner]:
        inner = Inner()
        gate = SignInGate(inner, services, tarpit_seconds=0)
        flood = [asyncio.create_task(sign_in(gate, "203.0.113.9")) for _ in range(MAX_WAITING_PER_ADDRESS + 3)]
        other = asyncio.create_task(sign_in(gate, "192.168.1.10"))
        await asyncio.sleep(0.05)
        # The other address is not held up by the flood: it runs beside the flood's one sign-in.
        assert inner.running == {"203.0.113.9": 1, "192.168.1.10": 1}
        inner.release.set()
        return [*await asyncio.gather(*flood), await other], inner

    statuses, inner = asyncio.run(scenario())
    assert inner.most_at_once == {"203.0.113.9": 1, "192.168.1.10": 1}
    # One runs and MAX_WAITING_PER_ADDRESS wait their turn; the rest are refused at once.
    assert statuses.count(401) == 1 + MAX_WAITING_PER_ADDRESS + 1  # the flood's admitted ones and the other
    assert statuses.count(429) == 2
    # The refused ones counted against the flooding address, not against the other.
    assert (
        services.throttle._addresses[services.throttle.key_of("203.0.113.9")].count(services.clock.monotonic(), 300)
        >= 2
    )


def test_busy_and_throttled_answers_leave_after_the_pause(services: Services) -> None:
    async def timed(status: int) -> float:
        inner = Inner(status)
        inner.release.set()
        gate = SignInGate(inner, services, tarpit_seconds=0.2)
        started = time.monotonic()
        await sign_in(gate, "203.0.113.10")
        return time.monotonic() - started

    assert asyncio.run(timed(503)) >= 0.2 and asyncio.run(timed(429)) >= 0.2
    assert asyncio.run(timed(401)) < 0.2


def test_no_more_strangers_get_in_than_the_hashing_pool_holds_but_known_devices_always_do(services: Services) -> None:
    with services.db.write() as conn:
        known = services.login.devices.remember(conn, 1, None, "a browser")  # user 1: the built-in admin
    capacity = services.hasher.capacity

    async def scenario() -> tuple[list[int], int, int, Inner]:
        inner = Inner()
        gate = SignInGate(inner, services, tarpit_seconds=0)
        strangers = [asyncio.create_task(sign_in(gate, f"203.0.113.{n}")) for n in range(1, capacity + 1)]
        await asyncio.sleep(0.05)
        refused = await sign_in(gate, "203.0.113.200")  # one stranger too many: answered at once
        forged = await sign_in(gate, "203.0.113.201", cookie=new_token())  # a made-up token is a stranger
        owner = asyncio.create_task(sign_in(gate, "192.168.1.10", cookie=known))
        await asyncio.sleep(0.05)
        assert inner.running.get("192.168.1.10") == 1  # the owner got in beside the full house
        inner.release.set()
        return [*await asyncio.gather(*strangers), await owner], refused, forged, inner

    statuses, refused, forged, _ = asyncio.run(scenario())
    assert refused == 503 and forged == 503
    assert statuses == [401] * (capacity + 1)
