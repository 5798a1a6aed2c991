"""Where network settings meet a real host: `virtual` (keeps them), `netlink` (applies them with pyroute2 and
a supervised DHCP client) and `networkd` (renders systemd-networkd files). One interface for all three."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from homeport.network.interfaces import InterfaceReader
from homeport.network.model import NetworkConfig


@dataclass(frozen=True)
class Lease:
    """A DHCP lease as the client reported it."""

    interface: str
    address: str  # with prefix, e.g. 10.211.0.57/24
    router: str
    dns: tuple[str, ...]
    server: str
    lease_seconds: int
    obtained_at: float


@dataclass(frozen=True)
class LiveInterface:
    name: str
    mac: str
    up: bool
    mtu: int
    addresses: tuple[str, ...]  # with prefixes
    lease: Lease | None = None
    dns: tuple[str, ...] = field(default=())


def host_view(reader: InterfaceReader, managed: list[str]) -> list[LiveInterface]:
    """The managed interfaces as the kernel reports them (for backends that leave applying to others)."""
    return [
        LiveInterface(
            name=link.name, mac=link.mac, up=link.up, mtu=link.mtu, addresses=tuple(str(a) for a in link.addresses)
        )
        for link in reader.interfaces()
        if link.name in managed
    ]


class NetworkBackend(Protocol):
    kind: str
    applies_to_host: bool

    async def apply(self, config: NetworkConfig) -> None:
        """Make the host match `config` (idempotent: applying the same settings twice changes nothing)."""
        ...

    async def live(self) -> list[LiveInterface]: ...

    async def renew(self, interface: str) -> None:
        """Ask the DHCP client on `interface` to renew its lease now."""
        ...

    async def close(self) -> None: ...
