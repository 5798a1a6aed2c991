"""Finds every Homeport on the LAN by browsing `_homeport._tcp` (used by `homeport find`, the web assistant
and the console's overview)."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from zeroconf import IPVersion, ServiceStateChange, Zeroconf
from zeroconf.asyncio import AsyncServiceBrowser, AsyncServiceInfo, AsyncZeroconf

from homeport.discovery.records import HOMEPORT_TYPE, Sighting, sighting

RESOLVE_TIMEOUT_MS = 1500


class Browser:
    """Keeps `sightings` current while running: added, updated (new address or state) and removed devices."""

    def __init__(self) -> None:
        self.sightings: dict[str, Sighting] = {}
        self._names: set[str] = set()  # every device announced, resolved or not (a lost answer is asked again)
        self._browser: AsyncServiceBrowser | None = None
        self._zeroconf: Zeroconf | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self, zeroconf: Zeroconf, refresh_seconds: float | None = None) -> None:
        """Browse; with `refresh_seconds`, also ask again that often, so a device whose answer was lost (or that
        moved without being heard) shows up at the next round."""
        await self.stop()
        self._zeroconf = zeroconf
        self._browser = AsyncServiceBrowser(zeroconf, [HOMEPORT_TYPE], handlers=[self._on_change])
        if refresh_seconds is not None:
            task = asyncio.get_running_loop().create_task(self._keep_current(refresh_seconds))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _keep_current(self, seconds: float) -> None:
        while True:
            await asyncio.sleep(seconds)
            await self.refresh_all()

    def _on_change(self, zeroconf: Zeroconf, service_type: str, name: str, state_change: ServiceStateChange) -> None:
        if state_change is ServiceStateChange.Removed:
            self.sightings.pop(name, None)
            self._names.discard(name)
            return
        self._names.add(name)
        task = asyncio.get_running_loop().create_task(self._resolve(zeroconf, service_type, name))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _resolve(self, zeroconf: Zeroconf, service_type: str, name: str) -> None:
        info = AsyncServiceInfo(service_type, name)
        if await info.async_request(zeroconf, RESOLVE_TIMEOUT_MS):
            found = sighting(info)
            if found is not None:
                self.sightings[name] = found

    async def refresh_all(self) -> None:
        """Resolve every device announced again (those whose first answer was lost too), so the list carries
        its newest address and state."""
        if self._zeroconf is None:
            return
        zeroconf = self._zeroconf
        # Not our own records (the daemon browses on the zeroconf it announces with): nothing to ask there.
        names = [
            n for n in sorted(self._names | set(self.sightings)) if zeroconf.registry.async_get_info_name(n) is None
        ]
        await asyncio.gather(*(self._resolve(zeroconf, HOMEPORT_TYPE, n) for n in names), return_exceptions=True)

    def sorted(self) -> list[Sighting]:
        return sorted(self.sightings.values(), key=lambda s: (s.name.lower(), s.serial))

    async def stop(self) -> None:
        if self._browser is not None:
            with contextlib.suppress(Exception):
                await self._browser.async_cancel()
            self._browser = None
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def find(timeout: float, interfaces: Any = None) -> list[Sighting]:
    """Browse for `timeout` seconds on every interface (or the given addresses) and return what answered."""
    kwargs: dict[str, Any] = {"ip_version": IPVersion.V4Only}
    if interfaces:
        kwargs["interfaces"] = interfaces
    zeroconf = AsyncZeroconf(**kwargs)
    browser = Browser()
    try:
        await browser.start(zeroconf.zeroconf)
        await asyncio.sleep(timeout)
        await browser.refresh_all()
        return browser.sorted()
    finally:
        await browser.stop()
        await zeroconf.async_close()
