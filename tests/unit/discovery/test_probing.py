"""Probing at the RFC's pace: python-zeroconf's probe loop, run for real with its network sends recorded."""

from __future__ import annotations

import asyncio
import inspect
import itertools
import time

import zeroconf._core
from zeroconf import ServiceInfo, Zeroconf

from homeport.discovery.advertiser import PROBE_INTERVAL_MS


def test_the_library_reads_the_probe_interval_we_set() -> None:
    assert "_CHECK_TIME" in inspect.getsource(Zeroconf.async_check_service)
    assert zeroconf._core._CHECK_TIME == PROBE_INTERVAL_MS == 250  # type: ignore[attr-defined]


def test_three_probes_go_out_250_ms_apart() -> None:
    """The library's own loop, on an instance that never touches the network (its send is recorded)."""
    sent: list[float] = []

    async def probe() -> None:
        zc = Zeroconf.__new__(Zeroconf)  # no sockets: only what async_check_service uses is set up
        zc.cache = zeroconf._core.DNSCache()  # type: ignore[attr-defined]
        zc.async_send = lambda *_: sent.append(time.monotonic())  # type: ignore[method-assign]
        zc.generate_service_query = lambda info: None  # type: ignore[method-assign]

        async def wait(milliseconds: float) -> None:
            await asyncio.sleep(milliseconds / 1000)

        zc.async_wait = wait  # type: ignore[method-assign]
        info = ServiceInfo("_homeport._tcp.local.", "nas._homeport._tcp.local.", port=5001)
        await zc.async_check_service(info, allow_name_change=True)

    asyncio.run(probe())
    assert len(sent) == 3
    gaps = [b - a for a, b in itertools.pairwise(sent)]
    assert all(0.24 <= gap < 0.40 for gap in gaps), gaps
