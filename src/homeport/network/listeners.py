"""Stand-in for the daemon's listeners where there are none (the ASGI app in tests, or ports fixed on the
command line): the ports in the settings are kept but not applied."""

from __future__ import annotations

from homeport.core.errors import Conflict
from homeport.network.model import WebPorts


class FixedPorts:
    fixed = True

    def __init__(self, ports: WebPorts | None = None) -> None:
        self.ports = ports or WebPorts()

    async def move(self, ports: WebPorts) -> None:  # noqa: ARG002 - the interface of every listener set
        raise Conflict("The web ports are fixed by the daemon's command line.", code="ports_fixed")
