"""Server-Sent Events over a plain StreamingResponse: a comment every HEARTBEAT_SECONDS keeps proxies and
browsers from closing an idle stream; every CHECK_SECONDS the stream asks whether it may go on (its session
still live), off the event loop, and ends when not. Starlette (ASGI spec 2.3 under uvicorn) ends the generator
as soon as the client goes away.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from homeport.core.live import Ended, LiveEvent, Subscription

HEARTBEAT_SECONDS = 15.0
CHECK_SECONDS = 5.0
RETRY_MS = 5000  # how long a browser waits before it reconnects a broken stream
MEDIA_TYPE = "text/event-stream"


async def _events(
    subscription: Subscription,
    first: list[LiveEvent],
    still_on: Callable[[], Awaitable[bool]],
    heartbeat: float,
    check: float,
) -> AsyncIterator[bytes]:
    try:
        yield f"retry: {RETRY_MS}\n\n".encode()
        for event in first:
            yield event.encode()
        loop_time = asyncio.get_running_loop().time
        next_beat, next_check = loop_time() + heartbeat, loop_time() + check
        while True:
            try:
                found = await subscription.next(min(next_beat, next_check) - loop_time())
            except Ended:
                return
            if found is not None:
                yield found.encode()
            now = loop_time()
            if now >= next_check:
                if not await still_on():
                    return
                next_check = now + check
            if now >= next_beat:
                yield b": keep-alive\n\n"
                next_beat = now + heartbeat
    finally:
        subscription.close()


class EventStreamResponse(StreamingResponse):
    """Closes its subscription however the response ends (even one cancelled before its body began)."""

    def __init__(self, subscription: Subscription, body: AsyncIterator[bytes]) -> None:
        super().__init__(body, media_type=MEDIA_TYPE, headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})
        self.subscription = subscription

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self.subscription.close()


def event_stream(
    subscription: Subscription,
    still_on: Callable[[], Awaitable[bool]],
    *,
    first: list[LiveEvent] | None = None,
    heartbeat: float = HEARTBEAT_SECONDS,
    check: float = CHECK_SECONDS,
) -> EventStreamResponse:
    """The response for a stream; `first` is sent at once (the current state, so a reconnect misses nothing)."""
    return EventStreamResponse(subscription, _events(subscription, first or [], still_on, heartbeat, check))
