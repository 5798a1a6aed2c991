"""A read-only view of the host's network interfaces, read from the kernel with `ip -j address`."""

from __future__ import annotations

import ipaddress
import json
import shutil
import subprocess
from dataclasses import dataclass
from typing import Protocol

import structlog

_log = structlog.get_logger("homeport.network")

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class HostInterface:
    name: str
    mac: str
    up: bool
    loopback: bool
    addresses: tuple[ipaddress.IPv4Interface | ipaddress.IPv6Interface, ...]
    mtu: int = 0


class InterfaceReader(Protocol):
    def interfaces(self) -> list[HostInterface]: ...


def parse_ip_json(text: str) -> list[HostInterface]:
    """Parse the output of `ip -j address show`."""
    result = []
    for link in json.loads(text or "[]"):
        addresses = tuple(
            ipaddress.ip_interface(f"{info['local']}/{info['prefixlen']}")
            for info in link.get("addr_info", [])
            if "local" in info and "prefixlen" in info
        )
        flags = link.get("flags", [])
        result.append(
            HostInterface(
                name=str(link["ifname"]),
                mac=str(link.get("address", "")),
                up="UP" in flags,
                loopback="LOOPBACK" in flags,
                addresses=addresses,
                mtu=int(link.get("mtu", 0)),
            )
        )
    return result


class HostInterfaces:
    """Reads the kernel's view on each call; failures give an empty list and a log line, never a crash."""

    def interfaces(self) -> list[HostInterface]:
        try:
            command = [shutil.which("ip") or "/usr/sbin/ip", "-j", "address", "show"]
            done = subprocess.run(command, capture_output=True, text=True, timeout=5, check=True)  # noqa: S603
        except (OSError, subprocess.SubprocessError) as exc:
            _log.warning("cannot read network interfaces", error=str(exc))
            return []
        return parse_ip_json(done.stdout)


def primary_mac(interfaces: list[HostInterface]) -> str:
    """The MAC of the first (by name) non-loopback Ethernet-like interface that is up, else of any."""
    candidates = [i for i in interfaces if not i.loopback and i.mac and i.mac != "00:00:00:00:00:00"]
    candidates.sort(key=lambda i: (not i.up, not i.addresses, i.name))
    return candidates[0].mac if candidates else "00:00:00:00:00:00"


def host_addresses(interfaces: list[HostInterface]) -> list[IpAddress]:
    return sorted({a.ip for i in interfaces for a in i.addresses}, key=lambda ip: (ip.version, int(ip)))
