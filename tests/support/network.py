"""A stand-in host network for the network service's unit tests (the real one is tested in the LAN lab)."""

from __future__ import annotations

from homeport.core.errors import OperationFailed
from homeport.network.backends import LiveInterface
from homeport.network.model import NetworkConfig, WebPorts

DHCP_ADDRESSES = {"eth0": "192.168.1.57/24", "eth1": "10.9.0.57/24"}


class FakeBackend:
    """Static settings take effect at once; DHCP interfaces get the address in DHCP_ADDRESSES."""

    kind = "fake"
    applies_to_host = True

    def __init__(self) -> None:
        self.applied: list[NetworkConfig] = []
        self.fail_next = False
        self.renewed: list[str] = []

    async def apply(self, config: NetworkConfig) -> None:
        if self.fail_next:
            self.fail_next = False
            raise OperationFailed("the interface said no")
        self.applied.append(config)

    async def live(self) -> list[LiveInterface]:
        if not self.applied:
            return []
        result = []
        for interface in self.applied[-1].interfaces:
            if interface.mode == "static" and interface.address is not None:
                address = str(interface.address)
            else:
                address = DHCP_ADDRESSES.get(interface.name, "")
            result.append(
                LiveInterface(interface.name, interface.mac, True, interface.mtu, (address,) if address else ())
            )
        return result

    async def renew(self, interface: str) -> None:
        self.renewed.append(interface)

    async def close(self) -> None:
        return None


class MovablePorts:
    fixed = False

    def __init__(self) -> None:
        self.ports = WebPorts()
        self.moves: list[WebPorts] = []

    async def move(self, ports: WebPorts) -> None:
        self.moves.append(ports)
        self.ports = ports
