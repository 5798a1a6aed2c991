"""The `virtual` backend (`make run`): keeps the settings and shows the host's real interfaces, read-only."""

from __future__ import annotations

import asyncio

from homeport.core.errors import Conflict
from homeport.network.backends import LiveInterface, host_view
from homeport.network.interfaces import InterfaceReader
from homeport.network.model import NetworkConfig


class VirtualBackend:
    kind = "virtual"
    applies_to_host = False

    def __init__(self, reader: InterfaceReader, managed: list[str]) -> None:
        self._reader = reader
        self._managed = managed
        self.applied: NetworkConfig | None = None

    async def apply(self, config: NetworkConfig) -> None:
        self.applied = config

    async def live(self) -> list[LiveInterface]:
        return await asyncio.to_thread(host_view, self._reader, self._managed)

    async def renew(self, interface: str) -> None:  # noqa: ARG002 - the interface of every backend
        raise Conflict("The virtual network backend runs no DHCP client; there is no lease to renew.", code="virtual")

    async def close(self) -> None:
        return None
