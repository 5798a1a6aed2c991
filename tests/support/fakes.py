"""Stand-ins for what a test machine may not have (a fixed set of network interfaces)."""

from __future__ import annotations

import ipaddress

from homeport.network.interfaces import HostInterface


class StaticInterfaces:
    def __init__(self, *interfaces: HostInterface) -> None:
        self._interfaces = list(interfaces) or [
            HostInterface("lo", "00:00:00:00:00:00", True, True, (ipaddress.ip_interface("127.0.0.1/8"),)),
            HostInterface("eth0", "02:11:22:33:44:55", True, False, (ipaddress.ip_interface("192.168.1.20/24"),)),
        ]

    def interfaces(self) -> list[HostInterface]:
        return list(self._interfaces)
