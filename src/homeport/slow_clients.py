"""Deadlines for clients that send a request slowly (slowloris), for every listener the daemon runs.

uvicorn bounds only the idle time after a response (`timeout_keep_alive`); nothing bounds how long a request
takes to arrive, so a client trickling bytes (or one that connects and says nothing) holds a connection for
ever. `GuardedHttpProtocol` adds one deadline per request: the headers within `headers` seconds and the whole
request within `body` seconds, both counted from the connection opening or, on a kept-alive connection, from
the request's first byte. When it passes, the client gets 408 Request Timeout if it has sent part of a
request and no response is under way, and the connection is closed (RFC 9110 section 15.5.9).

The TLS handshake happens before the protocol sees the connection, and uvicorn 0.54 has no way to pass
`ssl_handshake_timeout` to `loop.create_server` (asyncio's default is 60 s): the daemon's event loop
(`HandshakeBoundLoop`) sets it for every TLS listener instead.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol
from uvicorn.server import ServerState

_TIMEOUT_BODY = b"The request took too long to arrive; send it again.\n"
_log = logging.getLogger("uvicorn.error")

Phase = Literal["headers", "body"]


@dataclass(frozen=True)
class ClientTimeouts:
    """Seconds a client is given (the defaults are the daemon's); tests pass fractions of a second."""

    headers: float = 10.0  # a browser sends its headers in one packet; 10 s allows for a lossy Wi-Fi link
    body: float = 30.0  # bodies are at most 256 KiB (api.middleware.MAX_BODY_BYTES): about 9 KB/s at worst
    keep_alive: float = 15.0  # idle between requests: covers a page's follow-up requests, frees sockets soon
    handshake: float = 10.0  # a TLS handshake is a few round trips


DAEMON_TIMEOUTS = ClientTimeouts()


class GuardedHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with deadlines on each request's headers and body (see the module)."""

    timeouts: ClassVar[ClientTimeouts] = DAEMON_TIMEOUTS

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.timeout_keep_alive = self.timeouts.keep_alive  # type: ignore[assignment]  # uvicorn says int, uses float
        self._deadline: asyncio.TimerHandle | None = None
        self._started: float | None = None  # loop time the current request began; None between requests
        self._received = False  # the current request has begun (not just stray CRLFs), so a 408 answers it

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._begin_request()  # a client that connects and says nothing is bounded too

    def data_received(self, data: bytes) -> None:
        if self._started is None:
            self._begin_request()  # any byte ends the idle time, even a CRLF the parser skips without a callback
        super().data_received(data)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._started is None:  # a pipelined request, in the same read as the end of the previous one
            self._begin_request()
        self._received = True

    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        if self._started is not None:  # on_message_complete follows at once when there is no body
            self._arm(self._started + self.timeouts.body, "body")

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._end_request()

    def handle_websocket_upgrade(self) -> None:
        self._end_request()  # the WebSocket protocol takes the transport over; connection_lost is then not ours
        super().handle_websocket_upgrade()

    def connection_lost(self, exc: Exception | None) -> None:
        self._end_request()
        super().connection_lost(exc)

    def _begin_request(self) -> None:
        self._started = self.loop.time()
        self._received = False
        self._arm(self._started + self.timeouts.headers, "headers")

    def _end_request(self) -> None:
        self._started = None
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _arm(self, when: float, phase: Phase) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        self._deadline = None if self.transport.is_closing() else self.loop.call_at(when, self._expire, phase)

    def _expire(self, phase: Phase) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        if self._may_answer(phase):
            self._send_408()
        _log.debug("%s: closed a connection whose request %s took too long", self.client, phase)
        self.transport.close()

    def _may_answer(self, phase: Phase) -> bool:
        """Whether a 408 can be written without landing inside, or being taken for, another response."""
        if self.pipeline:  # an earlier request is still being answered
            return False
        if phase == "headers":
            return self._received and (self.cycle is None or self.cycle.response_complete)
        if self.cycle is None or self.cycle.response_started:  # answered before reading the whole body
            return False
        self.cycle.disconnected = True  # its receive() now says http.disconnect and its send() writes nothing
        self.cycle.message_event.set()
        return True

    def _send_408(self) -> None:
        content = [STATUS_LINE[408]]
        for name, value in self.server_state.default_headers:
            content.extend([name, b": ", value, b"\r\n"])
        content.extend(
            [
                b"content-type: text/plain; charset=utf-8\r\n",
                b"content-length: %d\r\n" % len(_TIMEOUT_BODY),
                b"connection: close\r\n\r\n",
                _TIMEOUT_BODY,
            ]
        )
        self.transport.write(b"".join(content))


@functools.cache
def guarded_protocol(timeouts: ClientTimeouts) -> type[GuardedHttpProtocol]:
    """The protocol class to pass as uvicorn's `http=`, bound to these timeouts (uvicorn builds it by class)."""
    if timeouts == GuardedHttpProtocol.timeouts:
        return GuardedHttpProtocol

    class Bound(GuardedHttpProtocol):
        pass

    Bound.timeouts = timeouts
    return Bound


class HandshakeBoundLoop(asyncio.SelectorEventLoop):
    """The daemon's event loop: every TLS listener it creates bounds the handshake (uvicorn cannot ask for it)."""

    def __init__(self, handshake_seconds: float = DAEMON_TIMEOUTS.handshake) -> None:
        super().__init__()
        self.handshake_seconds = handshake_seconds

    async def create_server(self, *args: Any, **kwargs: Any) -> asyncio.Server:
        if kwargs.get("ssl") is not None:
            kwargs.setdefault("ssl_handshake_timeout", self.handshake_seconds)
        return await super().create_server(*args, **kwargs)
