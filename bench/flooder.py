"""The load generator of bench/signin_flood.py, in a process of its own so that its work shares no GIL with
the measured client: one asyncio task per source address (127.0.0.FIRST to 127.0.0.LAST), each looping
wrong-password sign-ins, for ACCOUNT and for random names in turn, over one kept-alive TLS connection
(a new one when the daemon closes it).

    python -m bench.flooder PORT CAFILE ACCOUNT FIRST LAST MAX_SECONDS

Prints "ready" once every address has connected and sent its first sign-in, floods until a line (or the
end) arrives on standard input or MAX_SECONDS pass, then prints one JSON line of counts (its times are
`time.monotonic()` values, a clock every process on the machine shares).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import resource
import ssl
import sys
import time
from collections import Counter
from dataclasses import dataclass, field

REQUEST_TIMEOUT = 30.0
PATH = "/api/v1/auth/login"


@dataclass
class Tally:
    answers: Counter[str] = field(default_factory=Counter)  # "status code", e.g. "429 address_blocked"
    connections: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    blocked_at: dict[str, float] = field(default_factory=dict)  # address -> time.monotonic() of its first block


def login_request(port: int, username: str, password: str) -> bytes:
    body = json.dumps({"username": username, "password": password}).encode()
    head = (
        f"POST {PATH} HTTP/1.1\r\nHost: localhost:{port}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nUser-Agent: homeport-bench-flooder\r\n\r\n"
    )
    return head.encode() + body


async def read_answer(reader: asyncio.StreamReader) -> tuple[int, str, bool]:
    """The status, the error code of the JSON body (if any), and whether the daemon will close."""
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
    status = int(head[0].split()[1])
    headers = dict(line.lower().split(": ", 1) for line in head[1:] if ": " in line)
    body = await reader.readexactly(int(headers["content-length"]))
    code = ""
    if status >= 400:
        with contextlib.suppress(ValueError, KeyError, TypeError):
            code = json.loads(body)["error"]["code"]
    return status, code, headers.get("connection") == "close"


async def flood(
    source: str, port: int, context: ssl.SSLContext, account: str, tally: Tally, started: asyncio.Event
) -> None:
    streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
    turn = 0
    try:
        while True:
            try:
                async with asyncio.timeout(REQUEST_TIMEOUT):
                    if streams is None:
                        streams = await asyncio.open_connection(
                            "127.0.0.1", port, ssl=context, server_hostname="localhost", local_addr=(source, 0)
                        )
                        tally.connections += 1
                    reader, writer = streams
                    name = account if turn % 2 == 0 else f"user{random.randrange(10**6)}"
                    writer.write(login_request(port, name, f"a wrong guess {random.randrange(10**9)}"))
                    await writer.drain()
                    turn += 1
                    started.set()
                    status, code, closing = await read_answer(reader)
            except (OSError, TimeoutError, asyncio.IncompleteReadError, ValueError, KeyError) as exc:
                tally.errors[type(exc).__name__] += 1
                await close(streams)
                streams = None
                await asyncio.sleep(0.1)
                continue
            tally.answers[f"{status} {code}".strip()] += 1
            if code == "address_blocked" and source not in tally.blocked_at:
                tally.blocked_at[source] = time.monotonic()
            if closing:
                await close(streams)
                streams = None
    finally:
        await close(streams)


async def close(streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None) -> None:
    if streams is not None:
        streams[1].close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(streams[1].wait_closed(), 2)


async def stop_requested(max_seconds: float) -> None:
    """A line (or the end) on standard input, or `max_seconds`."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    transport, _ = await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    try:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(reader.readline(), max_seconds)
    finally:
        transport.close()


async def main(port: int, cafile: str, account: str, first: int, last: int, max_seconds: float) -> None:
    context = ssl.create_default_context(cafile=cafile)
    tally = Tally()
    t0 = time.monotonic()
    sources = [f"127.0.0.{n}" for n in range(first, last + 1)]
    started = [asyncio.Event() for _ in sources]
    tasks = [
        asyncio.create_task(flood(source, port, context, account, tally, event))
        for source, event in zip(sources, started, strict=True)
    ]
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(asyncio.gather(*(event.wait() for event in started)), 30)
    print("ready", flush=True)
    await stop_requested(max_seconds)
    seconds = time.monotonic() - t0
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(
        json.dumps(
            {
                "seconds": seconds,
                "answers": dict(tally.answers),
                "connections": tally.connections,
                "errors": dict(tally.errors),
                "started_at": t0,
                "blocked_at": sorted(tally.blocked_at.values()),
                "cpu_seconds": usage.ru_utime + usage.ru_stime,
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    port, cafile, account, first, last, max_seconds = sys.argv[1:7]
    asyncio.run(main(int(port), cafile, account, int(first), int(last), float(max_seconds)))
