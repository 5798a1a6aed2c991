"""Refuse sign-ins from auto-blocked addresses before anything else runs, and slow every throttled answer.

A blocked address is answered on the event loop itself (no routing, body parsing, validation or worker
thread). Every throttled sign-in answer (429) leaves only after a pause (a tarpit) that costs the device
nothing but slows the guesser's loop, so a flood cannot slow down anyone else's sign-in. Past MAX_TARPITTED
waiting answers the pause is skipped: waiting requests must not pile up without bound.
"""

from __future__ import annotations

import asyncio
import json

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from homeport.auth.blocklist import throttle_key
from homeport.services import Services

SIGN_IN_PATHS = frozenset({"/api/v1/auth/login", "/login"})
TARPIT_SECONDS = 1.0
MAX_TARPITTED = 256
MESSAGE = (
    "Too many failed sign-ins from this address; it is blocked for now. "
    "Try again later or ask an administrator to remove the block."
)
PAGE = (
    "<!doctype html><meta charset=utf-8><title>Blocked</title><link rel=stylesheet href=/static/style.css>"
    f"<main class=narrow><p class='notice bad'>{MESSAGE}</p><p><a href=/login>Back to sign-in</a></p></main>"
)


class SignInGate:
    def __init__(self, app: ASGIApp, services: Services, tarpit_seconds: float = TARPIT_SECONDS) -> None:
        self.app = app
        self.services = services
        self.tarpit_seconds = tarpit_seconds
        self._waiting = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] not in SIGN_IN_PATHS:
            await self.app(scope, receive, send)
            return

        async def refusals_after_a_pause(message: Message) -> None:
            """Every throttled answer (blocked address, delayed account) waits before it leaves."""
            if message["type"] == "http.response.start" and message["status"] == 429:
                await self._tarpit()
            await send(message)

        client = scope.get("client")
        address = str(client[0]) if client else ""
        if self.services.settings.security().auto_block_enabled:
            until = self.services.throttle.blocklist.blocked_until(throttle_key(address))
            if until is not None:
                if self.services.login.blocked_note_due(address):  # in memory; the write is rare
                    await run_in_threadpool(self.services.login.record_blocked, "", address, "address_blocked")
                retry_after = int(until - self.services.clock.now()) + 1
                await _too_many(refusals_after_a_pause, scope["path"], retry_after)
                return
        await self.app(scope, receive, refusals_after_a_pause)

    async def _tarpit(self) -> None:
        if self.tarpit_seconds <= 0 or self._waiting >= MAX_TARPITTED:
            return
        self._waiting += 1
        try:
            await asyncio.sleep(self.tarpit_seconds)
        finally:
            self._waiting -= 1


async def _too_many(send: Send, path: str, retry_after: int) -> None:
    if path.startswith("/api/"):
        body = json.dumps({"error": {"code": "address_blocked", "message": MESSAGE}}).encode()
        kind = b"application/json"
    else:
        body, kind = PAGE.encode(), b"text/html; charset=utf-8"
    await send(
        {
            "type": "http.response.start",
            "status": 429,
            "headers": [
                (b"content-type", kind),
                (b"content-length", str(len(body)).encode()),
                (b"retry-after", str(retry_after).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
