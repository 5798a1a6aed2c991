"""Run in the LAN lab's client namespace: report when a device first answers HTTPS on an address, and when
`homeport find`'s browser first lists it there. Prints one JSON line: {"https": t, "found": t} (wall clock)."""

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


async def https_answers(address: str, context: ssl.SSLContext, deadline: float) -> float | None:
    while time.time() < deadline:
        connection = http.client.HTTPSConnection(address, 5001, context=context, timeout=0.3)
        try:
            await asyncio.to_thread(connection.request, "GET", "/api/v1/system")
            if (await asyncio.to_thread(connection.getresponse)).status == 200:
                return time.time()
        except (OSError, http.client.HTTPException):
            pass
        finally:
            connection.close()
        await asyncio.sleep(0.02)
    return None


async def listed(address: str, deadline: float) -> float | None:
    zeroconf = AsyncZeroconf(ip_version=IPVersion.V4Only)
    browser = Browser()
    await browser.start(zeroconf.zeroconf)
    try:
        while time.time() < deadline:
            if any(address in s.addresses for s in browser.sightings.values()):
                return time.time()
            await asyncio.sleep(0.01)
        return None
    finally:
        await browser.stop()
        await zeroconf.async_close()


async def main(address: str, ca: str, timeout: float) -> None:
    deadline = time.time() + timeout
    context = ssl.create_default_context(cafile=ca)
    print("ready", flush=True)
    https, found = await asyncio.gather(https_answers(address, context, deadline), listed(address, deadline))
    print(json.dumps({"https": https, "found": found}), flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], float(sys.argv[3])))
