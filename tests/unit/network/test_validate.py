"""Network settings validation: every mistake named, with a way to fix it."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from homeport.core.errors import InvalidInput
from homeport.network.validate import parse_config

MANAGED = {"eth0": "02:00:00:00:00:01", "eth1": "02:00:00:00:00:02"}


def config(**eth0: Any) -> dict[str, Any]:
    return {
        "hostname": "nas",
        "interfaces": [{"name": "eth0", **eth0}, {"name": "eth1", "mode": "dhcp"}],
        "web": {"http": 5000, "https": 5001},
    }


def problems(raw: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(InvalidInput) as caught:
        parse_config(raw, MANAGED)
    return caught.value.fields


def test_a_valid_static_configuration() -> None:
    parsed = parse_config(
        config(mode="static", address="192.168.1.20/24", gateway="192.168.1.1", dns=["1.1.1.1"]), MANAGED
    )
    eth0 = parsed.interface("eth0")
    assert eth0 is not None
    assert eth0.address == ipaddress.IPv4Interface("192.168.1.20/24")
    assert eth0.mac == "02:00:00:00:00:01"  # recorded from the host, not taken from the request


@pytest.mark.parametrize(
    ("eth0", "field", "words"),
    [
        ({"mode": "static", "address": "192.168.1.20"}, "address", "prefix"),
        ({"mode": "static", "address": "192.168.1.0/24"}, "address", "network address"),
        ({"mode": "static", "address": "192.168.1.255/24"}, "address", "broadcast address"),
        ({"mode": "static", "address": "127.0.0.5/8"}, "address", "cannot be a host address"),
        ({"mode": "static", "address": "192.168.1.20/24", "gateway": "10.0.0.1"}, "gateway", "inside 192.168.1.0/24"),
        ({"mode": "static", "address": "192.168.1.20/24", "gateway": "192.168.1.20"}, "gateway", "own address"),
        ({"mode": "dhcp", "mtu": 100}, "mtu", "576"),
        ({"mode": "dhcp", "mtu": 10000}, "mtu", "9216"),
        ({"mode": "dhcp", "dns": ["not-an-ip"]}, "dns", "not an IP"),
        ({"mode": "dhcp", "dns": ["1.1.1.1", "8.8.8.8", "9.9.9.9", "1.0.0.1"]}, "dns", "at most 3"),
        ({"mode": "bridge"}, "mode", "dhcp or static"),
    ],
)
def test_each_mistake_is_named(eth0: dict[str, Any], field: str, words: str) -> None:
    found = problems(config(**eth0))
    assert words in found[f"interfaces.0.{field}"]


def test_overlapping_subnets_are_refused() -> None:
    raw = config(mode="static", address="192.168.1.20/24")
    raw["interfaces"][1] = {"name": "eth1", "mode": "static", "address": "192.168.1.30/25"}
    assert "overlaps" in problems(raw)["interfaces.1.address"]


def test_one_default_gateway_only() -> None:
    raw = config(mode="static", address="192.168.1.20/24", gateway="192.168.1.1")
    raw["interfaces"][1] = {"name": "eth1", "mode": "static", "address": "10.0.0.2/24", "gateway": "10.0.0.1"}
    assert "Only one interface" in problems(raw)["interfaces.1.gateway"]


def test_unknown_and_missing_interfaces() -> None:
    raw = config()
    raw["interfaces"][1] = {"name": "wlan9", "mode": "dhcp"}
    found = problems(raw)
    assert "not an interface Homeport manages" in found["interfaces.1.name"]
    assert "missing: eth1" in found["interfaces"]


@pytest.mark.parametrize(
    ("http", "https", "field"), [(22, 5001, "web.http"), (5000, 5000, "web.https"), (0, 5001, "web.http")]
)
def test_ports(http: int, https: int, field: str) -> None:
    raw = config()
    raw["web"] = {"http": http, "https": https}
    assert field in problems(raw)


def test_hostname() -> None:
    raw = config()
    raw["hostname"] = "-bad-"
    assert "hostname" in problems(raw)


@given(
    st.dictionaries(st.sampled_from(["mode", "address", "gateway", "dns", "mtu"]), st.text(max_size=30) | st.integers())
)
def test_anything_is_either_valid_or_refused_with_reasons(eth0: dict[str, Any]) -> None:
    try:
        parse_config(config(**eth0), MANAGED)
    except InvalidInput as exc:
        assert exc.fields
