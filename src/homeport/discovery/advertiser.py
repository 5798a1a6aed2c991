"""Announces the device on the LAN with python-zeroconf (asyncio), bound to the managed interfaces only.

Whenever what is announced changes (an address, the state, the name, a port), the old records are
withdrawn with goodbye packets (TTL 0, RFC 6762 section 10.1) and the new ones probed and announced at once
(sections 8.1 and 8.3), so browsers never keep a stale address or state.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

import structlog
from zeroconf import IPVersion
from zeroconf.asyncio import AsyncZeroconf

from homeport.discovery.interfaces import Announcement
from homeport.discovery.records import service_infos

_log = structlog.get_logger("homeport.discovery")


class Advertiser:
    def __init__(self, describe: Callable[[], Awaitable[Announcement]]) -> None:
        self._describe = describe
        self._current: Announcement | None = None
        self.zeroconf: AsyncZeroconf | None = None
        self._lock = asyncio.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._again = False
        self.on_new_zeroconf: Callable[[AsyncZeroconf | None], Awaitable[None]] | None = None

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        await self.refresh()

    def poke(self) -> None:
        """Something announced may have changed; callable from any thread."""
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(lambda: self._loop.create_task(self.refresh()) if self._loop else None)

    @property
    def current(self) -> Announcement | None:
        return self._current

    async def refresh(self) -> None:
        if self._lock.locked():
            self._again = True  # one more pass after the running one, with the newest facts
            return
        async with self._lock:
            while True:
                self._again = False
                try:
                    await self._refresh_once()
                except Exception:
                    _log.exception("mDNS announcement failed")
                if not self._again:
                    return

    async def _refresh_once(self) -> None:
        announcement = await self._describe()
        if announcement == self._current:
            return
        previous, self._current = self._current, announcement
        if self.zeroconf is not None:
            await self.zeroconf.async_unregister_all_services()  # goodbyes for every old record
        if previous is None or previous.addresses != announcement.addresses or self.zeroconf is None:
            await self._rebind(announcement.addresses)
        if self.zeroconf is None:
            return
        for info in service_infos(announcement):
            await self.zeroconf.async_register_service(info, allow_name_change=True)
        _log.info("announced on mDNS", name=announcement.name, state=announcement.state,
                  addresses=list(announcement.addresses))  # fmt: skip

    async def _rebind(self, addresses: tuple[str, ...]) -> None:
        if self.zeroconf is not None:
            await self.zeroconf.async_close()
            self.zeroconf = None
        if addresses:
            self.zeroconf = AsyncZeroconf(interfaces=list(addresses), ip_version=IPVersion.V4Only)
        if self.on_new_zeroconf is not None:
            await self.on_new_zeroconf(self.zeroconf)

    async def close(self) -> None:
        async with self._lock:
            if self.zeroconf is not None:
                with contextlib.suppress(Exception):
                    await self.zeroconf.async_unregister_all_services()
                await self.zeroconf.async_close()
                self.zeroconf = None
            self._current = None
