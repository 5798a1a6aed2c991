"""The `netlink` backend: addresses, routes and MTU through pyroute2; DHCP through a supervised udhcpc.

For minimal systems without a network manager, and for the tests' network namespaces. pyroute2 is imported
only here, so the other backends do not carry it.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import socket
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import structlog

from homeport.core.errors import Conflict, OperationFailed
from homeport.core.events import AddressesChanged
from homeport.network.backends import Lease, LiveInterface
from homeport.network.dhcp import DhcpClient, DhcpEvent
from homeport.network.model import InterfaceConfig, NetworkConfig
from homeport.network.resolv import write_resolv_conf

_log = structlog.get_logger("homeport.network")

T = TypeVar("T")


class NetlinkBackend:
    kind = "netlink"
    applies_to_host = True

    def __init__(
        self,
        managed: list[str],
        state_dir: Path,
        resolv_conf: Path,
        publish: Callable[[object], None],
    ) -> None:
        """`publish` receives each DhcpEvent (to be recorded) and an AddressesChanged after every change."""
        # pyroute2's synchronous API runs an event loop of its own: all of it happens on one worker thread,
        # never on the daemon's loop.
        self._netlink = ThreadPoolExecutor(max_workers=1, thread_name_prefix="netlink")
        self._ipr: Any = None
        self._managed = managed
        self._state_dir = state_dir
        self._resolv_conf = resolv_conf
        self._publish = publish
        self._clients: dict[str, DhcpClient] = {}
        self._leases: dict[str, Lease] = {}
        self._config: NetworkConfig | None = None
        self._lock = asyncio.Lock()

    async def _call(self, function: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._netlink, function, *args)

    def _connect(self) -> None:
        if self._ipr is None:
            from pyroute2 import IPRoute

            self._ipr = IPRoute()

    # --- applying ---------------------------------------------------------------------------------------

    async def apply(self, config: NetworkConfig) -> None:
        async with self._lock:
            self._config = config
            for interface in config.interfaces:
                await self._call(self._set_link, interface)
                if interface.mode == "dhcp":
                    await self._ensure_dhcp(interface, config.hostname)
                else:
                    await self._stop_dhcp(interface.name)
                    await self._call(self._set_static, interface)
            await self._call(self._write_dns)
        self._publish(AddressesChanged())

    def _index(self, name: str) -> int:
        self._connect()
        found = self._ipr.link_lookup(ifname=name)
        if not found:
            raise OperationFailed(f"The interface {name} does not exist on this host.")
        return int(found[0])

    def _set_link(self, interface: InterfaceConfig) -> None:
        index = self._index(interface.name)
        self._ipr.link("set", index=index, mtu=interface.mtu, state="up")

    def _set_static(self, interface: InterfaceConfig) -> None:
        index = self._index(interface.name)
        self._replace_ipv4(index, interface.address, interface.gateway)
        self._leases.pop(interface.name, None)

    def _replace_ipv4(
        self,
        index: int,
        address: ipaddress.IPv4Interface | None,
        gateway: ipaddress.IPv4Address | None,
    ) -> None:
        """Make `address` the interface's only IPv4 address, with `gateway` as default route (IPv6 untouched)."""
        current = {
            (a.get("IFA_ADDRESS"), a["prefixlen"]) for a in self._ipr.get_addr(index=index, family=socket.AF_INET)
        }
        wanted = set() if address is None else {(str(address.ip), address.network.prefixlen)}
        if current != wanted:
            self._ipr.flush_addr(index=index, family=socket.AF_INET)
            if address is not None:
                self._ipr.addr("add", index=index, address=str(address.ip), prefixlen=address.network.prefixlen)
        with contextlib.suppress(Exception):
            self._ipr.route("del", dst="0.0.0.0/0", oif=index)
        if gateway is not None:
            self._ipr.route("replace", dst="0.0.0.0/0", gateway=str(gateway), oif=index)

    async def _ensure_dhcp(self, interface: InterfaceConfig, hostname: str) -> None:
        client = self._clients.get(interface.name)
        if client is not None and client.hostname == hostname:
            return
        await self._stop_dhcp(interface.name)
        client = DhcpClient(interface.name, hostname, self._state_dir, self._on_dhcp_event)
        self._clients[interface.name] = client
        client.start()

    async def _stop_dhcp(self, name: str) -> None:
        client = self._clients.pop(name, None)
        if client is not None:
            await client.stop(release=True)
            await self._call(self._clear_ipv4, name)
            self._leases.pop(name, None)

    def _clear_ipv4(self, name: str) -> None:
        self._replace_ipv4(self._index(name), None, None)

    def _lease_ipv4(self, name: str, address: str, router: str) -> None:
        gateway = ipaddress.IPv4Address(router) if router else None
        self._replace_ipv4(self._index(name), ipaddress.IPv4Interface(address), gateway)

    async def _on_dhcp_event(self, event: DhcpEvent) -> None:
        if event.kind in ("bound", "renew") and event.address:
            await self._call(self._lease_ipv4, event.interface, event.address, event.router)
            self._leases[event.interface] = Lease(
                event.interface, event.address, event.router, event.dns, event.server, event.lease_seconds, event.at
            )
        elif event.kind == "deconfig":
            await self._call(self._clear_ipv4, event.interface)
            self._leases.pop(event.interface, None)
        _log.info("dhcp event", interface=event.interface, dhcp_event=event.kind, address=event.address)
        await self._call(self._write_dns)
        self._publish(event)
        self._publish(AddressesChanged())

    def _write_dns(self) -> None:
        if self._config is None:
            return
        servers: list[str] = []
        for interface in self._config.interfaces:
            servers += [str(s) for s in interface.dns]
            lease = self._leases.get(interface.name)
            if interface.mode == "dhcp" and lease is not None and not interface.dns:
                servers += list(lease.dns)
        try:
            write_resolv_conf(self._resolv_conf, servers)
        except OSError as exc:
            _log.warning("cannot write the resolver configuration", path=str(self._resolv_conf), error=str(exc))

    # --- reading ----------------------------------------------------------------------------------------

    async def live(self) -> list[LiveInterface]:
        return await self._call(self._live)

    def _live(self) -> list[LiveInterface]:
        self._connect()
        result = []
        for name in self._managed:
            found = self._ipr.link_lookup(ifname=name)
            if not found:
                continue
            link: Any = self._ipr.get_links(found[0])[0]
            addresses = tuple(f"{a.get('IFA_ADDRESS')}/{a['prefixlen']}" for a in self._ipr.get_addr(index=found[0]))
            result.append(
                LiveInterface(
                    name=name,
                    mac=str(link.get("IFLA_ADDRESS") or ""),
                    up=link.get("IFLA_OPERSTATE") in ("UP", "UNKNOWN"),
                    mtu=int(link.get("IFLA_MTU") or 0),
                    addresses=addresses,
                    lease=self._leases.get(name),
                )
            )
        return result

    async def renew(self, interface: str) -> None:
        client = self._clients.get(interface)
        if client is None:
            raise Conflict(f"{interface} has a static address; there is no DHCP lease to renew.", code="not_dhcp")
        client.renew()

    def client_pid(self, interface: str) -> int | None:
        client = self._clients.get(interface)
        return None if client is None else client.pid

    async def close(self) -> None:
        for name in list(self._clients):
            client = self._clients.pop(name)
            await client.stop(release=False)
        if self._ipr is not None:
            await self._call(self._ipr.close)
        self._netlink.shutdown(wait=True)
