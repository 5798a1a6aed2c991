"""Refuse sign-ins from auto-blocked addresses before anything else runs.

A blocked address is answered on the event loop itself (no routing, body parsing, validation or worker
thread), so a flood of guesses from it costs next to nothing and cannot slow down anyone else's sign-in.
"""

from __future__ import annotations

import json

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from homeport.auth.blocklist import throttle_key
from homeport.services import Services

SIGN_IN_PATHS = frozenset({"/api/v1/auth/login", "/login"})
MESSAGE = (
    "Too many failed sign-ins from this address; it is blocked for now. "
    "Try again later or ask an administrator to remove the block."
)
PAGE = (
    "<!doctype html><meta charset=utf-8><title>Blocked</title><link rel=stylesheet href=/static/style.css>"
    f"<main class=narrow><p class='notice bad'>{MESSAGE}</p><p><a href=/login>Back to sign-in</a></p></main>"
)


class SignInGate:
    def __init__(self, app: ASGIApp, services: Services) -> None:
        self.app = app
        self.services = services

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and scope["path"] in SIGN_IN_PATHS:
            client = scope.get("client")
            address = str(client[0]) if client else ""
            if self.services.settings.security().auto_block_enabled:
                until = self.services.throttle.blocklist.blocked_until(throttle_key(address))
                if until is not None:
                    retry_after = int(until - self.services.clock.now()) + 1
                    await run_in_threadpool(self.services.login.note_blocked, "", address, "address_blocked")
                    await _too_many(send, scope["path"], retry_after)
                    return
        await self.app(scope, receive, send)


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
