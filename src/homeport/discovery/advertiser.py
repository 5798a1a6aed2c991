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
import zeroconf._core
from zeroconf import AddressResolverIPv4, IPVersion  # type: ignore[attr-defined]
from zeroconf.asyncio import AsyncZeroconf

from homeport.discovery.interfaces import Announcement
from homeport.discovery.records import service_infos

_log = structlog.get_logger("homeport.discovery")

COALESCE_SECONDS = 0.05
RETRY_SECONDS = 2.0
# RFC 6762 section 8.1: probes 250 ms apart. python-zeroconf spaces them 500 ms (its _CHECK_TIME), which makes a
# device reappear after a reset a quarter of a second later than the RFC allows. Its probing loop
# (Zeroconf.async_check_service) reads the module constant at run time, so this one assignment is the whole
# adjustment; tests/unit/discovery/test_probing.py fails if a new version stops reading it that way.
PROBE_INTERVAL_MS = 250
zeroconf._core._CHECK_TIME = PROBE_INTERVAL_MS  # type: ignore[attr-defined]
# The host name (`<name>.local`) is probed too, which python-zeroconf does not do: once per name, before it is
# first announced, so a second device given the same name takes `<name>-2.local` instead of mixing its
# addresses into the first one's. A device keeps what it has claimed (it is the one that answers the probe).
HOST_PROBE_MS = 500
MAX_HOST_SUFFIX = 9


class Advertiser:
    def __init__(self, describe: Callable[[], Awaitable[Announcement]]) -> None:
        self._describe = describe
        self._current: Announcement | None = None
        self.zeroconf: AsyncZeroconf | None = None
        self._lock = asyncio.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._again = False
        self._broadcasts: set[asyncio.Future[object]] = set()
        self.on_new_zeroconf: Callable[[AsyncZeroconf | None], Awaitable[None]] | None = None
        self.on_host_claimed: Callable[[str], None] | None = None
        self._claimed: tuple[str, str] | None = None  # (device name, host label claimed for it)

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        await self.refresh()

    def poke(self) -> None:
        """Something announced may have changed; callable from any thread. Changes that come in a burst (a
        DHCP client's deconfig then bound, a rename with its new certificate) are taken together."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(
                lambda: loop.call_later(COALESCE_SECONDS, lambda: loop.create_task(self.refresh()))
            )

    @property
    def current(self) -> Announcement | None:
        return self._current

    def host_for(self, name: str) -> str | None:
        """The host label announced for the name `name` (`<label>.local`): the name itself, unless another
        device had it first; None before it has been announced."""
        return self._claimed[1] if self._claimed is not None and self._claimed[0] == name else None

    async def _host_for(self, announcement: Announcement) -> str:
        if self._claimed is not None and self._claimed[0] == announcement.name:
            return self._claimed[1]
        assert self.zeroconf is not None
        label = await free_host_label(self.zeroconf, announcement.name, set(announcement.addresses))
        self._claimed = (announcement.name, label)
        if label != announcement.name:
            _log.warning("mDNS host name taken by another device", wanted=announcement.name, using=label)
        if self.on_host_claimed is not None:
            self.on_host_claimed(label)
        return label

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
                    # Not announced as it should be: forget what was "current" and try again soon, or the
                    # device would stay unheard until something else changed.
                    _log.exception("mDNS announcement failed; trying again", seconds=RETRY_SECONDS)
                    self._current = None
                    if self._loop is not None:
                        self._loop.call_later(RETRY_SECONDS, self.poke)
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
        # Probed together (RFC 6762 section 8.1 allows one probe for all records): about a second, not four.
        # Each registration returns once probing is done; its announcements then go out in the background.
        zeroconf = self.zeroconf
        host = await self._host_for(announcement)
        broadcasts = await asyncio.gather(
            *(
                zeroconf.async_register_service(info, allow_name_change=True)
                for info in service_infos(announcement, host)
            )
        )
        for broadcast in broadcasts:
            task = asyncio.ensure_future(broadcast)
            self._broadcasts.add(task)
            task.add_done_callback(self._broadcasts.discard)
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


async def free_host_label(zc: AsyncZeroconf, name: str, ours: set[str]) -> str:
    """`name`, or the first `name-N` that no other device on the LAN answers for."""
    for number in range(1, MAX_HOST_SUFFIX + 1):
        label = name if number == 1 else f"{name}-{number}"
        resolver = AddressResolverIPv4(f"{label}.local.")
        answered = await resolver.async_request(zc.zeroconf, HOST_PROBE_MS)
        if not answered or not set(resolver.parsed_addresses()) - ours:
            return label
    return name
