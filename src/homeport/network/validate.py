"""Turn submitted settings into a `NetworkConfig`, or say exactly what is wrong with each field."""

from __future__ import annotations

import ipaddress
from typing import Any

from homeport.core.errors import Problems
from homeport.network.model import InterfaceConfig, NetworkConfig, WebPorts
from homeport.system.device import check_device_name

MTU_RANGE = (576, 9216)  # IPv4 minimum (RFC 791) to the usual jumbo-frame ceiling
MAX_DNS = 3
RESERVED_PORTS = {
    22: "SSH",
    53: "DNS",
    67: "DHCP",
    137: "NetBIOS",
    138: "NetBIOS",
    139: "SMB",
    445: "SMB",
    548: "AFP",
    2049: "NFS",
    5353: "mDNS",
}


def _port(value: object, field: str, problems: Problems) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 65535:
        problems.add(field, "Choose a port from 1 to 65535.")
        return 0
    if value in RESERVED_PORTS:
        problems.add(field, f"Port {value} belongs to {RESERVED_PORTS[value]}; choose another.")
    return value


def _interface(raw: dict[str, Any], prefix: str, managed: dict[str, str], problems: Problems) -> InterfaceConfig:
    name = str(raw.get("name", ""))
    if name not in managed:
        problems.add(
            f"{prefix}.name",
            (f"'{name}' is not an interface Homeport manages ({', '.join(sorted(managed)) or 'none'})."),
        )
    mode = raw.get("mode", "dhcp")
    if mode not in ("dhcp", "static"):
        problems.add(f"{prefix}.mode", "Choose dhcp or static.")
        mode = "dhcp"
    mtu = raw.get("mtu", 1500)
    if not isinstance(mtu, int) or isinstance(mtu, bool) or not MTU_RANGE[0] <= mtu <= MTU_RANGE[1]:
        problems.add(f"{prefix}.mtu", f"Choose an MTU from {MTU_RANGE[0]} to {MTU_RANGE[1]} (1500 is usual).")
        mtu = 1500
    dns: list[ipaddress.IPv4Address | ipaddress.IPv6Address] = []
    raw_dns = raw.get("dns") or []
    if not isinstance(raw_dns, list) or len(raw_dns) > MAX_DNS:
        problems.add(f"{prefix}.dns", f"List at most {MAX_DNS} DNS servers.")
    else:
        for server in raw_dns:
            try:
                dns.append(ipaddress.ip_address(str(server)))
            except ValueError:
                problems.add(f"{prefix}.dns", f"'{server}' is not an IP address.")
    address = gateway = None
    if mode == "static":
        address, gateway = _static(raw, prefix, problems)
    return InterfaceConfig(
        name=name, mac=managed.get(name, ""), mode=mode, address=address, gateway=gateway, dns=tuple(dns), mtu=mtu
    )


def _static(
    raw: dict[str, Any], prefix: str, problems: Problems
) -> tuple[ipaddress.IPv4Interface | None, ipaddress.IPv4Address | None]:
    try:
        address = ipaddress.IPv4Interface(str(raw.get("address") or ""))
        if "/" not in str(raw.get("address")):
            raise ValueError
    except ValueError:
        problems.add(f"{prefix}.address", "Enter an IPv4 address with its prefix, e.g. 192.168.1.20/24.")
        return None, None
    network = address.network
    if network.prefixlen <= 30 and address.ip in (network.network_address, network.broadcast_address):
        which = "network" if address.ip == network.network_address else "broadcast"
        problems.add(f"{prefix}.address", f"{address.ip} is the {which} address of {network}; choose a host address.")
    elif address.ip.is_loopback or address.ip.is_multicast or address.ip.is_unspecified:
        problems.add(f"{prefix}.address", f"{address.ip} cannot be a host address on a LAN.")
    gateway = None
    if raw.get("gateway"):
        try:
            gateway = ipaddress.IPv4Address(str(raw["gateway"]))
        except ValueError:
            problems.add(f"{prefix}.gateway", "Enter an IPv4 address, or leave the gateway empty.")
            return address, None
        if gateway not in network:
            problems.add(f"{prefix}.gateway", f"The gateway must be inside {network}.")
        elif gateway == address.ip:
            problems.add(f"{prefix}.gateway", "The gateway cannot be this device's own address.")
    return address, gateway


def parse_config(raw: dict[str, Any], managed: dict[str, str]) -> NetworkConfig:
    """`managed` maps interface names Homeport manages to their MACs. Raises InvalidInput listing every problem."""
    problems = Problems()
    hostname = str(raw.get("hostname", ""))
    with problems.collect():
        check_device_name(hostname, "hostname")
    raw_interfaces = raw.get("interfaces") or []
    interfaces = [
        _interface(item if isinstance(item, dict) else {}, f"interfaces.{n}", managed, problems)
        for n, item in enumerate(raw_interfaces if isinstance(raw_interfaces, list) else [])
    ]
    names = [i.name for i in interfaces]
    if sorted(names) != sorted(set(names)):
        problems.add("interfaces", "Each interface may appear only once.")
    missing = sorted(set(managed) - set(names))
    if missing:
        problems.add("interfaces", f"Give settings for every managed interface (missing: {', '.join(missing)}).")
    _check_subnets(interfaces, problems)
    raw_web = raw.get("web") or {}
    web = WebPorts(
        http=_port(raw_web.get("http", 5000), "web.http", problems),
        https=_port(raw_web.get("https", 5001), "web.https", problems),
    )
    if web.http == web.https:
        problems.add("web.https", "The HTTP and HTTPS ports must differ.")
    problems.check("The network settings were not applied; see the fields.")
    return NetworkConfig(hostname=hostname, interfaces=tuple(interfaces), web=web)


def _check_subnets(interfaces: list[InterfaceConfig], problems: Problems) -> None:
    static = [(n, i.name, i.address) for n, i in enumerate(interfaces) if i.mode == "static" and i.address]
    for a, (_, first_name, first) in enumerate(static):
        for m, _, second in static[a + 1 :]:
            if first is not None and second is not None and first.network.overlaps(second.network):
                problems.add(
                    f"interfaces.{m}.address",
                    f"{second.network} overlaps {first.network} on {first_name}; two interfaces cannot share a subnet.",
                )
    gateways = [n for n, i in enumerate(interfaces) if i.gateway is not None]
    if len(gateways) > 1:
        problems.add(f"interfaces.{gateways[1]}.gateway", "Only one interface may have a default gateway.")
