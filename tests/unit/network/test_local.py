"""Which clients are on the LAN: only the subnets of the interfaces Homeport manages (and loopback)."""

from __future__ import annotations

import ipaddress

from homeport.network.interfaces import HostInterface
from homeport.network.local import LocalNetworks
from tests.support.fakes import StaticInterfaces


def link(name: str, *addresses: str) -> HostInterface:
    return HostInterface(name, "02:00:00:00:00:01", True, name == "lo", tuple(map(ipaddress.ip_interface, addresses)))


class Counting(StaticInterfaces):
    def __init__(self, *interfaces: HostInterface) -> None:
        super().__init__(*interfaces)
        self.reads = 0

    def interfaces(self) -> list[HostInterface]:
        self.reads += 1
        return super().interfaces()


HOST = Counting(
    link("lo", "127.0.0.1/8", "::1/128"),
    link("eth0", "192.168.1.20/24", "fe80::1/64", "2001:db8:1::20/64"),
    link("wg0", "10.9.0.1/24"),
    link("docker0", "172.17.0.1/16"),
    link("tun0", "fd00:99::1/64"),
)


def test_only_managed_interfaces_make_a_client_local() -> None:
    local = LocalNetworks(HOST, ["eth0"])
    assert local.attached("192.168.1.77") and local.attached("2001:db8:1::77") and local.attached("fe80::77")
    assert local.attached("127.0.0.1") and local.attached("::1") and local.attached("::ffff:192.168.1.77")
    for outside in ("10.9.0.2", "172.17.0.2", "fd00:99::2", "192.168.2.1", "8.8.8.8", "not an address"):
        assert not local.attached(outside), outside


def test_the_kernel_is_read_again_after_a_while_or_a_change() -> None:
    now = [0.0]
    host = Counting(link("eth0", "192.168.1.20/24"))
    local = LocalNetworks(host, ["eth0"], refresh_seconds=5.0, monotonic=lambda: now[0])
    for _ in range(3):
        local.attached("192.168.1.5")
    assert host.reads == 1
    now[0] = 5.0
    local.attached("192.168.1.5")
    assert host.reads == 2
    local.invalidate()
    local.attached("192.168.1.5")
    assert host.reads == 3


def test_a_connection_counts_only_if_it_reached_a_managed_interface() -> None:
    """Every interface has fe80::/64, and a host behind a tunnel may send from a LAN address: the address the
    connection reached decides, and for link-local its zone (the interface) must be a managed one."""
    local = LocalNetworks(HOST, ["eth0"])
    assert local.arrived_on_lan("192.168.1.20") and local.arrived_on_lan("2001:db8:1::20")
    assert local.arrived_on_lan("fe80::1%eth0") and local.arrived_on_lan("fe80::1")
    assert local.arrived_on_lan("127.0.0.1") and local.arrived_on_lan("::1")
    for elsewhere in ("10.9.0.1", "172.17.0.1", "fe80::1%wg0", "fd00:99::1", "testserver", ""):
        assert not local.arrived_on_lan(elsewhere), elsewhere
