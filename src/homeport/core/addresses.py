"""Client addresses as connections and headers report them."""

from __future__ import annotations

import ipaddress

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_client(text: str) -> IpAddress | None:
    """A client address (IPv4-mapped IPv6 as IPv4); None if `text` is not an address."""
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def within(address: IpAddress, networks: tuple[IpNetwork, ...]) -> bool:
    return any(address.version == net.version and address in net for net in networks)
