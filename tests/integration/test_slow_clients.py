"""Slow clients (slowloris) against a real uvicorn listener on loopback, with the timeouts cut to fractions of a second.

Each test runs its own server built by `uvicorn_config`, so the daemon's wiring is what is tested; every
server, socket and task is closed even when an assertion fails, and each test is bounded by RUN_LIMIT.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from ipaddress import IPv4Address
from pathlib import Path
from typing import Any

from homeport.listeners import QuietServer, bind_tcp, uvicorn_config
from homeport.slow_clients import (
    DAEMON_TIMEOUTS,
    ClientTimeouts,
    GuardedHttpProtocol,
    HandshakeBoundLoop,
    guarded_protocol,
)
from homeport.tls.authority import create_authority, issue_server_certificate

SHORT = ClientTimeouts(headers=0.5, body=1.0, keep_alive=0.8, handshake=0.5)
EARLY = 0.05  # loop time and monotonic time may differ by a timer tick
SLACK = 1.0  # a loaded machine is late, never early; what matters is "bounded" rather than "never"
RUN_LIMIT = 10.0
GET = b"GET / HTTP/1.1\r\nHost: nas.local\r\n\r\n"


@dataclass
class EchoApp:
    """Reads the whole body and says how long it was; /early answers without reading it."""

    disconnects: list[str] = field(default_factory=list)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        assert scope["type"] == "http"
        size = 0
        if scope["path"] != "/early":
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    self.disconnects.append(scope["path"])
                    return
                size += len(message.get("body", b""))
                if not message.get("more_body", False):
                    break
        body = b"%d bytes" % size
        headers = [(b"content-type", b"text/plain"), (b"content-length", b"%d" % len(body))]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})


@dataclass
class Listener:
    port: int
    app: EchoApp
    protocols: list[GuardedHttpProtocol]


def run(scenario: Callable[[], Awaitable[None]]) -> None:
    """On the daemon's own kind of event loop, with its TLS handshake bound cut short too."""

    async def bounded() -> None:
        async with asyncio.timeout(RUN_LIMIT):
            await scenario()

    with asyncio.Runner(loop_factory=lambda: HandshakeBoundLoop(SHORT.handshake)) as runner:
        runner.run(bounded())


@contextlib.asynccontextmanager
async def serving(ssl_context: ssl.SSLContext | None = None) -> AsyncIterator[Listener]:
    """A listener as the daemon builds it, on a free loopback port; on the way out no deadline may be left armed."""
    app = EchoApp()
    config = uvicorn_config(app, ssl_context, timeouts=SHORT)
    bound = guarded_protocol(SHORT)
    assert config.http is bound
    protocols: list[GuardedHttpProtocol] = []

    class Recording(bound):  # type: ignore[misc, valid-type]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            protocols.append(self)

    config.http = Recording
    sockets = bind_tcp(["127.0.0.1"], 0)
    server = QuietServer(config)
    task = asyncio.create_task(server.serve(sockets=sockets))
    try:
        while not server.started:
            assert not task.done(), "the server did not start"
            await asyncio.sleep(0.01)
        yield Listener(sockets[0].getsockname()[1], app, protocols)
    finally:
        server.should_exit = True
        await task
        for sock in sockets:
            sock.close()
    assert protocols and all(p._deadline is None for p in protocols), "a deadline outlived its connection"


@contextlib.asynccontextmanager
async def connect(
    port: int, ssl_context: ssl.SSLContext | None = None
) -> AsyncIterator[tuple[asyncio.StreamReader, asyncio.StreamWriter]]:
    host = "localhost" if ssl_context else None
    reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=ssl_context, server_hostname=host)
    try:
        yield reader, writer
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    length = next(int(line.split(":", 1)[1]) for line in lines if line.lower().startswith("content-length:"))
    return int(lines[0].split()[1]), await reader.readexactly(length)


async def closed_after(reader: asyncio.StreamReader, since: float) -> tuple[bytes, float]:
    """Everything the server still sends, and the seconds from `since` (taken before the server's clock started,
    so that a late client never makes the server look early) until the server closed the connection."""
    rest = b""
    with contextlib.suppress(ConnectionResetError):  # closing with the client's bytes unread sends a reset
        while chunk := await reader.read(65536):
            rest += chunk
    return rest, time.monotonic() - since


def assert_within(elapsed: float, bound: float) -> None:
    assert bound - EARLY <= elapsed <= bound + SLACK, f"closed after {elapsed:.2f} s, expected about {bound} s"


def test_the_daemon_listeners_use_the_guarded_protocol() -> None:
    config = uvicorn_config(EchoApp())
    assert config.http is GuardedHttpProtocol
    assert (DAEMON_TIMEOUTS.headers, DAEMON_TIMEOUTS.body, DAEMON_TIMEOUTS.keep_alive) == (10.0, 30.0, 15.0)
    loop = HandshakeBoundLoop()
    try:
        assert DAEMON_TIMEOUTS.handshake == 10.0 and loop.handshake_seconds == 10.0
    finally:
        loop.close()


def test_half_sent_headers_get_408_then_close() -> None:
    async def scenario() -> None:
        async with serving() as listener:
            since = time.monotonic()
            async with connect(listener.port) as (reader, writer):
                writer.write(b"GET / HTTP/1.1\r\nHost: nas")
                rest, elapsed = await closed_after(reader, since)
                assert rest.startswith(b"HTTP/1.1 408 Request Timeout\r\n") and b"connection: close" in rest
                assert_within(elapsed, SHORT.headers)

    run(scenario)


def test_trickled_headers_are_cut_at_the_deadline() -> None:
    async def trickle(writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError):
            for byte in b"GET / HTTP/1.1\r\nX-Slow: " + b"a" * 1000:
                writer.write(bytes([byte]))
                await writer.drain()
                await asyncio.sleep(0.02)

    async def scenario() -> None:
        async with serving() as listener:
            since = time.monotonic()
            async with connect(listener.port) as (reader, writer):
                sender = asyncio.create_task(trickle(writer))
                try:
                    rest, elapsed = await closed_after(reader, since)
                finally:
                    sender.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await sender
                # The bytes still arriving make the close a reset, which may overtake the 408: best effort here.
                assert rest == b"" or rest.startswith(b"HTTP/1.1 408 ")
                assert_within(elapsed, SHORT.headers)  # every byte was on time, the request as a whole was not

    run(scenario)


def test_a_silent_connection_is_closed_without_an_answer() -> None:
    async def scenario() -> None:
        async with serving() as listener:
            since = time.monotonic()
            async with connect(listener.port) as (reader, _):
                rest, elapsed = await closed_after(reader, since)
                assert rest == b""
                assert_within(elapsed, SHORT.headers)

    run(scenario)


def test_a_short_body_gets_408_then_close() -> None:
    async def scenario() -> None:
        async with serving() as listener:
            since = time.monotonic()
            async with connect(listener.port) as (reader, writer):
                writer.write(b"POST /upload HTTP/1.1\r\nHost: nas\r\nContent-Length: 100\r\n\r\n" + b"x" * 10)
                rest, elapsed = await closed_after(reader, since)
                assert rest.startswith(b"HTTP/1.1 408 ") and rest.count(b"HTTP/1.1") == 1
                assert_within(elapsed, SHORT.body)
                assert listener.app.disconnects == ["/upload"]  # the application was told, and wrote nothing

    run(scenario)


def test_no_408_once_the_application_has_answered() -> None:
    async def scenario() -> None:
        async with serving() as listener, connect(listener.port) as (reader, writer):
            since = time.monotonic()
            writer.write(b"POST /early HTTP/1.1\r\nHost: nas\r\nContent-Length: 100\r\n\r\n" + b"x" * 10)
            assert await read_response(reader) == (200, b"0 bytes")
            rest, elapsed = await closed_after(reader, since)
            assert rest == b""
            assert elapsed <= SHORT.body + SLACK

    run(scenario)


def test_requests_on_a_kept_alive_connection_are_served() -> None:
    async def scenario() -> None:
        async with serving() as listener, connect(listener.port) as (reader, writer):
            writer.write(GET)
            assert await read_response(reader) == (200, b"0 bytes")
            await asyncio.sleep(0.4)  # idle, within keep_alive
            writer.write(b"POST / HTTP/1.1\r\nHost: nas\r\n")
            await asyncio.sleep(0.2)  # 0.6 s after connecting: this request's clock began at its first byte
            writer.write(b"Content-Length: 3\r\n\r\nabc")
            assert await read_response(reader) == (200, b"3 bytes")

    run(scenario)


def test_pipelined_requests_are_served_and_a_partial_one_timed_out() -> None:
    async def scenario() -> None:
        async with serving() as listener, connect(listener.port) as (reader, writer):
            since = time.monotonic()
            writer.write(GET + GET + b"GET / HT")
            assert await read_response(reader) == (200, b"0 bytes")
            assert await read_response(reader) == (200, b"0 bytes")
            rest, elapsed = await closed_after(reader, since)
            assert rest.startswith(b"HTTP/1.1 408 ")
            assert elapsed <= SHORT.headers + SLACK

    run(scenario)


def test_a_slow_but_steady_client_is_served() -> None:
    async def scenario() -> None:
        async with serving() as listener, connect(listener.port) as (reader, writer):
            for part in (b"POST / HTTP/1.1\r\n", b"Host: nas\r\n", b"Content-Length: 10\r\n", b"\r\n"):
                writer.write(part)
                await asyncio.sleep(0.05)
            for _ in range(5):
                writer.write(b"xx")
                await asyncio.sleep(0.08)
            assert await read_response(reader) == (200, b"10 bytes")

    run(scenario)


def test_an_idle_kept_alive_connection_is_closed() -> None:
    async def scenario() -> None:
        async with serving() as listener, connect(listener.port) as (reader, writer):
            since = time.monotonic()
            writer.write(GET)
            assert await read_response(reader) == (200, b"0 bytes")
            rest, elapsed = await closed_after(reader, since)
            assert rest == b""
            assert_within(elapsed, SHORT.keep_alive)

    run(scenario)


def test_stray_crlf_does_not_hold_a_kept_alive_connection() -> None:
    """uvicorn alone cancels its keep-alive timer on any byte, and CRLF starts no request: held for ever."""

    async def scenario() -> None:
        async with serving() as listener, connect(listener.port) as (reader, writer):
            writer.write(GET)
            assert await read_response(reader) == (200, b"0 bytes")
            since = time.monotonic()
            writer.write(b"\r\n")
            rest, elapsed = await closed_after(reader, since)
            assert rest == b""  # no request began, so there is nothing to answer
            assert_within(elapsed, SHORT.headers)

    run(scenario)


def tls_contexts(folder: Path) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    authority = create_authority("Test CA")
    pair = issue_server_certificate(authority, "localhost", ["localhost"], [IPv4Address("127.0.0.1")])
    (folder / "key.pem").write_bytes(pair.key_pem)
    (folder / "cert.pem").write_bytes(pair.cert_pem)
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(folder / "cert.pem", folder / "key.pem")
    client = ssl.create_default_context(cadata=authority.cert_pem.decode())
    return server, client


def test_half_sent_headers_over_tls_get_408_then_close(short_tmp: Path) -> None:
    server_context, client_context = tls_contexts(short_tmp)

    async def scenario() -> None:
        async with serving(server_context) as listener:
            since = time.monotonic()  # the server's clock starts after the handshake, so later than this
            async with connect(listener.port, client_context) as (reader, writer):
                writer.write(b"GET / HTTP/1.1\r\nHost: nas")
                rest, elapsed = await closed_after(reader, since)
                assert rest.startswith(b"HTTP/1.1 408 ")
                assert_within(elapsed, SHORT.headers)

    run(scenario)


def test_a_client_that_never_finishes_the_tls_handshake_is_cut_off(short_tmp: Path) -> None:
    server_context, _ = tls_contexts(short_tmp)

    async def scenario() -> None:
        async with serving(server_context) as listener:
            since = time.monotonic()
            reader, writer = await asyncio.open_connection("127.0.0.1", listener.port)
            try:
                writer.write(b"\x16\x03\x01\x00")  # the first bytes of a ClientHello, and then nothing
                rest, elapsed = await closed_after(reader, since)
                assert rest == b""
                assert_within(elapsed, SHORT.handshake)
            finally:
                writer.close()
                with contextlib.suppress(OSError):
                    await writer.wait_closed()

    run(scenario)
