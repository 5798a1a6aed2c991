"""Which names and addresses the device's CA may vouch for: LAN names and private addresses only.

Pure rules, shared by the issuer (which writes them into the CA's name constraints) and the daemon.
"""

from __future__ import annotations

import ipaddress

PERMITTED_DNS = ("local", "localhost", "home.arpa", "lan", "internal", "localdomain")
PERMITTED_NETWORKS = tuple(
    ipaddress.ip_network(n)
    for n in (
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "100.64.0.0/10",
        "::1/128",
        "fc00::/7",
        "fe80::/10",
    )
)

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def dns_name_permitted(name: str) -> bool:
    labels = name.lower().rstrip(".")
    return any(labels == p or labels.endswith("." + p) for p in PERMITTED_DNS)


def address_permitted(address: IpAddress) -> bool:
    return any(address.version == net.version and address in net for net in PERMITTED_NETWORKS)
