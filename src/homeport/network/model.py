"""The box's network settings as data: host name, one entry per managed interface, the console's ports.

IPv4 is configured here (DHCP or static); IPv6 is left to the kernel's autoconfiguration.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field, replace
from typing import Any, Literal

Mode = Literal["dhcp", "static"]
DEFAULT_MTU = 1500
DEFAULT_HTTP_PORT = 5000
DEFAULT_HTTPS_PORT = 5001


@dataclass(frozen=True)
class InterfaceConfig:
    name: str
    mac: str = ""
    mode: Mode = "dhcp"
    address: ipaddress.IPv4Interface | None = None  # static only: address with prefix
    gateway: ipaddress.IPv4Address | None = None  # static only
    dns: tuple[ipaddress.IPv4Address | ipaddress.IPv6Address, ...] = ()
    mtu: int = DEFAULT_MTU

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "mac": self.mac,
            "mode": self.mode,
            "address": None if self.address is None else str(self.address),
            "gateway": None if self.gateway is None else str(self.gateway),
            "dns": [str(d) for d in self.dns],
            "mtu": self.mtu,
        }


@dataclass(frozen=True)
class WebPorts:
    http: int = DEFAULT_HTTP_PORT
    https: int = DEFAULT_HTTPS_PORT


@dataclass(frozen=True)
class NetworkConfig:
    hostname: str
    interfaces: tuple[InterfaceConfig, ...] = ()
    web: WebPorts = field(default_factory=WebPorts)

    def interface(self, name: str) -> InterfaceConfig | None:
        return next((i for i in self.interfaces if i.name == name), None)

    def static_addresses(self) -> set[ipaddress.IPv4Address]:
        return {i.address.ip for i in self.interfaces if i.mode == "static" and i.address is not None}

    def as_dict(self) -> dict[str, Any]:
        return {
            "hostname": self.hostname,
            "interfaces": [i.as_dict() for i in self.interfaces],
            "web": {"http": self.web.http, "https": self.web.https},
        }

    def with_defaults(self) -> NetworkConfig:
        """What a Mode 1 reset (and a fresh install) sets: DHCP everywhere, MTU 1500, ports 5000/5001."""
        return replace(
            self,
            interfaces=tuple(InterfaceConfig(name=i.name, mac=i.mac) for i in self.interfaces),
            web=WebPorts(),
        )


def dhcp_everywhere(hostname: str, interfaces: list[tuple[str, str]]) -> NetworkConfig:
    """A fresh install: every managed interface (name, MAC) on DHCP."""
    return NetworkConfig(hostname=hostname, interfaces=tuple(InterfaceConfig(name=n, mac=m) for n, m in interfaces))
