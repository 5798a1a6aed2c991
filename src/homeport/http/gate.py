"""Refuse sign-ins from auto-blocked addresses before anything else runs, give each address one sign-in at a
time, let in no more strangers than the hashing pool can hold, and slow every throttled or busy answer.

A blocked address is answered on the event loop itself (no routing, body parsing, validation or worker
thread). An address with a sign-in in flight waits for it before its next one may queue for the password
hashing pool (a fair share: a flood from a few addresses cannot fill the pool); past MAX_WAITING_PER_ADDRESS
waiting requests it is refused, and that counts against it. Sign-ins from browsers without a device token of
ours are let into the application only while the hashing pool could hold them all; past that they are
answered busy here, before they take a worker thread that a known device's sign-in then waits for. Every
throttled (429) or busy (503) sign-in answer leaves only after a pause (a tarpit) that costs the device
nothing but slows the guesser's loop, so a flood cannot slow down anyone else's sign-in. Past MAX_TARPITTED
waiting answers the pause is skipped: waiting requests must not pile up without bound.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field

from starlette.concurrency import run_in_threadpool
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from homeport.accounts.passwords import BUSY_MESSAGE
from homeport.auth.devices import DEVICE_COOKIE
from homeport.services import Services

SIGN_IN_PATHS = frozenset({"/api/v1/auth/login", "/login"})
TARPIT_SECONDS = 1.0
MAX_TARPITTED = 256
MAX_WAITING_PER_ADDRESS = 4
SLOWED_STATUSES = frozenset({429, 503})
MESSAGE = (
    "Too many failed sign-ins from this address; it is blocked for now. "
    "Try again later or ask an administrator to remove the block."
)
TOO_MANY_AT_ONCE = "Too many sign-ins at once from this address; wait for one to finish, then try again."
PAGE = (
    "<!doctype html><meta charset=utf-8><title>Blocked</title><link rel=stylesheet href=/static/style.css>"
    "<main class=narrow><p class='notice bad'>{message}</p><p><a href=/login>Back to sign-in</a></p></main>"
)


@dataclass
class _Turn:
    """The sign-ins of one address: one runs, the others wait in order."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    inside: int = 0  # the one running and those waiting behind it


class SignInGate:
    def __init__(self, app: ASGIApp, services: Services, tarpit_seconds: float = TARPIT_SECONDS) -> None:
        self.app = app
        self.services = services
        self.tarpit_seconds = tarpit_seconds
        self._tarpitted = 0
        self._turns: dict[str, _Turn] = {}
        self._strangers = 0  # sign-ins without a device token inside the application right now

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] not in SIGN_IN_PATHS:
            await self.app(scope, receive, send)
            return

        async def refusals_after_a_pause(message: Message) -> None:
            """Every throttled or busy answer waits before it leaves."""
            if message["type"] == "http.response.start" and message["status"] in SLOWED_STATUSES:
                await self._tarpit()
            await send(message)

        client = scope.get("client")
        address = str(client[0]) if client else ""
        throttle = self.services.throttle
        key = throttle.key_of(address)
        settings = self.services.settings.security()
        if settings.auto_block_enabled:
            until = throttle.blocklist.blocked_until(key)
            if until is not None:
                if self.services.login.blocked_note_due(address):  # in memory; the write is rare
                    await run_in_threadpool(self.services.login.record_blocked, "", address, "address_blocked")
                retry_after = int(until - self.services.clock.now()) + 1
                await _refuse(refusals_after_a_pause, scope["path"], 429, "address_blocked", MESSAGE, retry_after)
                return
        turn = self._turns.setdefault(key, _Turn())
        if turn.inside > MAX_WAITING_PER_ADDRESS:
            throttle.refused(address, settings)  # in memory; a block's write is rare
            await _refuse(refusals_after_a_pause, scope["path"], 429, "too_many_at_once", TOO_MANY_AT_ONCE, 1)
            return
        turn.inside += 1
        try:
            async with turn.lock:
                await self._let_in(scope, receive, refusals_after_a_pause, address)
        finally:
            turn.inside -= 1
            if turn.inside == 0:
                self._turns.pop(key, None)

    async def _let_in(self, scope: Scope, receive: Receive, send: Send, address: str) -> None:
        """Into the application: a known device always; a stranger while the hashing pool has room for it."""
        cookie = cookie_parser(_header(scope, b"cookie")).get(DEVICE_COOKIE)
        if self.services.login.devices.issued(cookie):
            await self.app(scope, receive, send)
            return
        if self._strangers >= self.services.hasher.capacity:
            self.services.throttle.refused(address, self.services.settings.security())
            await _refuse(send, scope["path"], 503, "busy", BUSY_MESSAGE, 1)
            return
        self._strangers += 1
        counted = True

        async def release_when_answered(message: Message) -> None:
            nonlocal counted
            if counted and message["type"] == "http.response.start":
                counted = False  # the answer is decided: the next stranger may come in during its pause
                self._strangers -= 1
            await send(message)

        try:
            await self.app(scope, receive, release_when_answered)
        finally:
            if counted:
                self._strangers -= 1

    async def _tarpit(self) -> None:
        if self.tarpit_seconds <= 0 or self._tarpitted >= MAX_TARPITTED:
            return
        self._tarpitted += 1
        try:
            await asyncio.sleep(self.tarpit_seconds)
        finally:
            self._tarpitted -= 1


def _header(scope: Scope, name: bytes) -> str:
    return next((v.decode("latin-1") for k, v in scope.get("headers", []) if k.lower() == name), "")


async def _refuse(send: Send, path: str, status: int, code: str, message: str, retry_after: int) -> None:
    if path.startswith("/api/"):
        body = json.dumps({"error": {"code": code, "message": message}}).encode()
        kind = b"application/json"
    else:
        body, kind = PAGE.format(message=message).encode(), b"text/html; charset=utf-8"
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", kind),
                (b"content-length", str(len(body)).encode()),
                (b"retry-after", str(retry_after).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
