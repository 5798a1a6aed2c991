"""systemd-networkd files, compared with golden files (set UPDATE_GOLDEN=1 to rewrite them after a review)."""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path

import pytest

from homeport.network.backends.networkd import NetworkdBackend
from homeport.network.model import InterfaceConfig, NetworkConfig
from homeport.network.render import render
from tests.support.fakes import StaticInterfaces

GOLDEN = Path(__file__).parent / "golden"

STATIC = InterfaceConfig(
    name="eth0",
    mac="02:00:00:00:00:01",
    mode="static",
    address=ipaddress.IPv4Interface("192.168.1.20/24"),
    gateway=ipaddress.IPv4Address("192.168.1.1"),
    dns=(ipaddress.ip_address("192.168.1.1"), ipaddress.ip_address("2606:4700:4700::1111")),
    mtu=9000,
)
DHCP = InterfaceConfig(name="eth1", mac="02:00:00:00:00:02")
DHCP_WITH_DNS = InterfaceConfig(name="eth2", dns=(ipaddress.ip_address("9.9.9.9"),))
CONFIG = NetworkConfig(hostname="nas", interfaces=(STATIC, DHCP, DHCP_WITH_DNS))


@pytest.mark.parametrize("name", ["10-homeport-eth0.network", "10-homeport-eth1.network", "10-homeport-eth2.network"])
def test_rendered_files_match_the_golden_ones(name: str) -> None:
    text = render(CONFIG)[name]
    golden = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(text)
    assert text == golden.read_text()


def test_files_are_written_only_when_changed_and_stale_ones_removed(tmp_path: Path) -> None:
    backend = NetworkdBackend(["eth0", "eth1"], StaticInterfaces(), tmp_path, ("true",))
    first = backend.write_files(CONFIG)
    assert sorted(first) == sorted(render(CONFIG))
    stamp = {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir()}
    assert backend.write_files(CONFIG) == []
    assert {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir()} == stamp
    (tmp_path / "99-someone-else.network").write_text("[Match]\n")
    smaller = NetworkConfig(hostname="nas", interfaces=(DHCP,))
    assert sorted(backend.write_files(smaller)) == ["10-homeport-eth0.network", "10-homeport-eth2.network"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["10-homeport-eth1.network", "99-someone-else.network"]


def test_a_failing_networkctl_is_reported_with_what_was_written(tmp_path: Path) -> None:
    import asyncio

    from homeport.core.errors import OperationFailed

    backend = NetworkdBackend(["eth0"], StaticInterfaces(), tmp_path, ("false",))
    with pytest.raises(OperationFailed, match="networkctl reload"):
        asyncio.run(backend.apply(NetworkConfig(hostname="nas", interfaces=(STATIC,))))
    assert (tmp_path / "10-homeport-eth0.network").exists()
