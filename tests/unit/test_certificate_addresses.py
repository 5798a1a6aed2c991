"""The certificate follows the device's addresses without churning when a DHCP address goes and comes back."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Any

from homeport.core.events import AddressesChanged
from homeport.daemon import BuildOptions, build_services, close_services
from homeport.home import Home
from homeport.network.interfaces import HostInterface
from homeport.tls.issue import issue
from tests.conftest import FLOOR
from tests.support.clock import FakeClock


class Host:
    """The kernel's interfaces, changed by the test."""

    def __init__(self) -> None:
        self.addresses = ["192.168.1.20/24"]

    def interfaces(self) -> list[HostInterface]:
        eth0 = tuple(ipaddress.ip_interface(a) for a in self.addresses)
        return [HostInterface("eth0", "02:11:22:33:44:55", True, False, eth0)]


def test_an_address_that_goes_and_comes_back_costs_no_new_certificate(home: Home, short_tmp: Path) -> None:
    issued: list[dict[str, Any]] = []

    def counting(directory: Path, request: dict[str, Any]) -> None:
        issued.append(request)
        issue(directory, request)

    host = Host()
    options = BuildOptions(argon2=FLOOR, tls_issuer=counting, discovery=False)
    services = build_services(home, options, clock=FakeClock(), interfaces=host)
    try:
        assert len(issued) == 1 and "192.168.1.20" in issued[0]["addresses"]
        host.addresses = []  # a Mode 1 or a renewal took it away for a moment
        services.bus.publish(AddressesChanged())
        host.addresses = ["192.168.1.20/24"]
        services.bus.publish(AddressesChanged())
        assert len(issued) == 1
        assert "192.168.1.20" in services.tls.known_hosts()
        host.addresses = ["192.168.1.30/24"]  # a new address is named at once, the recent one kept
        services.bus.publish(AddressesChanged())
        assert len(issued) == 2 and {"192.168.1.20", "192.168.1.30"} <= set(issued[1]["addresses"])
    finally:
        close_services(services)
