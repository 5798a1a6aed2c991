"""Which clients are on the device's own LAN: a decision of Homeport, not a fact of the kernel.

Only the directly attached subnets of the interfaces Homeport manages count (and loopback). A tunnel
(`wg*`, `tun*`), a container bridge or any interface the owner did not give Homeport would otherwise make
its peers "local" for the recovery window. The client's address is not enough on its own: every interface
has the same link-local subnet, and a host behind another interface may use a LAN address as its source.
So the connection must also have arrived at an address of a managed interface (`arrived_on_lan`). Read from
the kernel at most every few seconds, and at once after the device's addresses change.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Collection

from homeport.core.addresses import IpAddress, IpNetwork, parse_client
from homeport.network.interfaces import InterfaceReader

REFRESH_SECONDS = 5.0


def directly_attached(client: str, networks: Collection[IpNetwork]) -> bool:
    """Loopback, or an address on one of `networks` (not through a gateway)."""
    address = parse_client(client)
    if address is None:
        return False
    if address.is_loopback:
        return True
    return any(address.version == net.version and address in net for net in networks if net.prefixlen > 0)


class LocalNetworks:
    def __init__(
        self,
        reader: InterfaceReader,
        managed: Collection[str],
        refresh_seconds: float = REFRESH_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._reader = reader
        self._managed = frozenset(managed)
        self._refresh_seconds = refresh_seconds
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._networks: tuple[IpNetwork, ...] = ()
        self._addresses: frozenset[IpAddress] = frozenset()
        self._read_at: float | None = None
        self._generation = 0

    def networks(self) -> tuple[IpNetwork, ...]:
        """The subnets of the managed interfaces (IPv4 and IPv6, link-local included)."""
        return self._read()[0]

    def _read(self) -> tuple[tuple[IpNetwork, ...], frozenset[IpAddress]]:
        now = self._monotonic()
        with self._lock:
            if self._read_at is not None and now - self._read_at < self._refresh_seconds:
                return self._networks, self._addresses
            generation = self._generation
        own = [
            address for link in self._reader.interfaces() if link.name in self._managed for address in link.addresses
        ]
        networks, addresses = tuple(a.network for a in own), frozenset(a.ip for a in own)
        with self._lock:
            if generation == self._generation:  # a change while reading: keep nothing, read again next time
                self._networks, self._addresses, self._read_at = networks, addresses, now
        return networks, addresses

    def invalidate(self, _: object = None) -> None:
        with self._lock:
            self._generation += 1
            self._read_at = None

    def attached(self, client: str) -> bool:
        return directly_attached(client, self.networks())

    def arrived_on_lan(self, local: str) -> bool:
        """True if a connection reached the device at loopback or at an address of a managed interface (for a
        link-local address, on a managed interface: its zone names the interface it arrived on)."""
        host, _, zone = local.partition("%")
        address = parse_client(host)
        if address is None:
            return False
        if address.is_loopback:
            return True
        if zone and zone not in self._managed:
            return False
        return address in self._read()[1]
