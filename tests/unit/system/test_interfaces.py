"""Reading the host's interfaces from `ip -j address` output, and the real command on this machine."""

from __future__ import annotations

import ipaddress
import json

from homeport.network.interfaces import HostInterfaces, host_addresses, parse_ip_json, primary_mac

SAMPLE = json.dumps(
    [
        {
            "ifname": "lo",
            "flags": ["LOOPBACK", "UP"],
            "address": "00:00:00:00:00:00",
            "addr_info": [{"family": "inet", "local": "127.0.0.1", "prefixlen": 8}],
        },
        {"ifname": "eth1", "flags": ["BROADCAST"], "address": "02:00:00:00:00:02", "addr_info": []},
        {
            "ifname": "eth0",
            "flags": ["BROADCAST", "UP"],
            "address": "02:00:00:00:00:01",
            "addr_info": [
                {"family": "inet", "local": "192.168.1.20", "prefixlen": 24},
                {"family": "inet6", "local": "fe80::1", "prefixlen": 64},
            ],
        },
    ]
)


def test_parse_and_choose_the_primary_mac() -> None:
    links = parse_ip_json(SAMPLE)
    assert [link.name for link in links] == ["lo", "eth1", "eth0"]
    assert primary_mac(links) == "02:00:00:00:00:01"  # up, with an address
    assert host_addresses(links) == [
        ipaddress.ip_address("127.0.0.1"),
        ipaddress.ip_address("192.168.1.20"),
        ipaddress.ip_address("fe80::1"),
    ]


def test_no_interfaces_gives_a_zero_mac() -> None:
    assert primary_mac([]) == "00:00:00:00:00:00"


def test_the_real_kernel_has_a_loopback() -> None:
    links = HostInterfaces().interfaces()
    assert any(link.loopback and ipaddress.ip_interface("127.0.0.1/8") in link.addresses for link in links)
