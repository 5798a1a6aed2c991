"""Live events for open pages: small messages fanned out to the streams (Server-Sent Events) listening on a
channel, such as an account's sessions or one waiting sign-in.

Publishing is thread-safe and never waits: the services publish from worker threads, and each stream's queue
lives on the event loop that opened it (`call_soon_threadsafe`). Memory is bounded: at most MAX_STREAMS
streams, PER_OWNER per owner (a session, a waiting sign-in), QUEUE_SIZE events waiting in each; a stream that
falls that far behind is ended (the browser reconnects and reads the current state again).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from dataclasses import dataclass, field
from typing import Any

MAX_STREAMS = 256
PER_OWNER = 4
QUEUE_SIZE = 32


@dataclass(frozen=True)
class LiveEvent:
    name: str
    data: dict[str, Any] = field(default_factory=dict)

    def encode(self) -> bytes:
        """As a Server-Sent Event (one `data:` line: the JSON has no newline)."""
        return f"event: {self.name}\ndata: {json.dumps(self.data, separators=(',', ':'))}\n\n".encode()


class TooManyStreams(Exception):
    """Refused: the owner (or the whole device) has as many open streams as it may."""

    def __init__(self, message: str, *, everyone: bool) -> None:
        super().__init__(message)
        self.everyone = everyone


_END = LiveEvent("__end__")


class Subscription:
    """One stream's end of a channel; `next` waits for its next event, None on a timeout, `Ended` when closed."""

    def __init__(self, hub: LiveHub, channel: str, owner: str, loop: asyncio.AbstractEventLoop) -> None:
        self.channel = channel
        self.owner = owner
        self._hub = hub
        self._loop = loop
        self._queue: asyncio.Queue[LiveEvent] = asyncio.Queue(QUEUE_SIZE + 1)  # room for the final _END
        self.ended = False

    async def next(self, timeout: float) -> LiveEvent | None:
        if self.ended and self._queue.empty():
            raise Ended
        try:
            event = await asyncio.wait_for(self._queue.get(), max(0.0, timeout))
        except TimeoutError:
            return None
        if event is _END:
            self.ended = True
            raise Ended
        return event

    def close(self) -> None:
        self._hub.remove(self)

    def deliver(self, event: LiveEvent) -> None:
        """On the stream's loop: queue the event, or end a stream that cannot keep up."""
        if self.ended:
            return
        if event is _END or self._queue.qsize() >= QUEUE_SIZE:
            self.ended = True
            self._queue.put_nowait(_END)
            return
        self._queue.put_nowait(event)

    def send_threadsafe(self, event: LiveEvent) -> None:
        with contextlib.suppress(RuntimeError):  # the loop has closed: nobody is listening any more
            self._loop.call_soon_threadsafe(self.deliver, event)


class Ended(Exception):
    """The stream was ended (its owner signed out, the device stops, it fell behind)."""


class LiveHub:
    def __init__(self, max_streams: int = MAX_STREAMS, per_owner: int = PER_OWNER) -> None:
        self._max_streams = max_streams
        self._per_owner = per_owner
        self._lock = threading.Lock()
        self._streams: list[Subscription] = []

    def subscribe(self, channel: str, owner: str) -> Subscription:
        """Open a stream on `channel`; call it on the event loop that will read it."""
        subscription = Subscription(self, channel, owner, asyncio.get_running_loop())
        with self._lock:
            if sum(1 for s in self._streams if s.owner == owner) >= self._per_owner:
                raise TooManyStreams(
                    f"This browser already has {self._per_owner} live pages open; close one (or reload it later).",
                    everyone=False,
                )
            if len(self._streams) >= self._max_streams:
                raise TooManyStreams("Too many live pages are open on the device right now; try again soon.",
                                     everyone=True)  # fmt: skip
            self._streams.append(subscription)
        return subscription

    def remove(self, subscription: Subscription) -> None:
        with self._lock, contextlib.suppress(ValueError):
            self._streams.remove(subscription)

    def publish(self, channel: str, event: LiveEvent) -> int:
        """Send to every stream on `channel`, from any thread; returns how many there were."""
        with self._lock:
            targets = [s for s in self._streams if s.channel == channel]
        for subscription in targets:
            subscription.send_threadsafe(event)
        return len(targets)

    def listening(self, channel: str) -> int:
        with self._lock:
            return sum(1 for s in self._streams if s.channel == channel)

    def end(self, *, channel: str | None = None, owner: str | None = None) -> None:
        """End the streams of a channel or of an owner (or, with neither, every stream: the device stops)."""
        with self._lock:
            targets = [
                s for s in self._streams
                if (channel is None or s.channel == channel) and (owner is None or s.owner == owner)
            ]  # fmt: skip
        for subscription in targets:
            subscription.send_threadsafe(_END)

    def __len__(self) -> int:
        with self._lock:
            return len(self._streams)
