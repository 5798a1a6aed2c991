"""Run in the LAN lab's client namespace: report when a device first answers HTTPS on an address, and when
`homeport find`'s browser first lists it there; with a STATE, when it answers (and is listed) in that state,
and when its sign-in page is served there. Prints one JSON line of wall-clock times."""

from __future__ import annotations

import asyncio
import http.client
import json
import ssl
import sys
import time

from zeroconf import IPVersion
from zeroconf.asyncio import AsyncZeroconf

from homeport.discovery.finder import Browser


async def https_answers(
    address: str, context: ssl.SSLContext, deadline: float, state: str | None = None, path: str = "/api/v1/system"
) -> float | None:
    while time.time() < deadline:
        connection = http.client.HTTPSConnection(address, 5001, context=context, timeout=0.3)
        try:
            await asyncio.to_thread(connection.request, "GET", path)
            answer = await asyncio.to_thread(connection.getresponse)
            body = await asyncio.to_thread(answer.read)
            if answer.status == 200 and (state is None or json.loads(body).get("state") == state):
                return time.time()
        except (OSError, http.client.HTTPException):
            pass
        finally:
            connection.close()
        await asyncio.sleep(0.02)
    return None


async def listed(address: str, deadline: float, state: str | None = None) -> float | None:
    zeroconf = AsyncZeroconf(ip_version=IPVersion.V4Only)
    browser = Browser()
    await browser.start(zeroconf.zeroconf)
    try:
        while time.time() < deadline:
            if any(address in s.addresses and state in (None, s.state) for s in browser.sightings.values()):
                return time.time()
            await asyncio.sleep(0.01)
        return None
    finally:
        await browser.stop()
        await zeroconf.async_close()


async def main(address: str, ca: str, timeout: float, state: str | None) -> None:
    deadline = time.time() + timeout
    context = ssl.create_default_context(cafile=ca)
    print("ready", flush=True)
    https, found, login = await asyncio.gather(
        https_answers(address, context, deadline, state),
        listed(address, deadline, state),
        https_answers(address, context, deadline, None, "/login") if state else asyncio.sleep(0, None),
    )
    print(json.dumps({"https": https, "found": found, "login": login}), flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4] if len(sys.argv) > 4 else None))
