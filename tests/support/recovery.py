"""Helpers for recovery tests against the ASGI app: browsers on the LAN or routed, and resets run for real."""

from __future__ import annotations

from starlette.testclient import TestClient

from homeport.application import create_app
from homeport.recovery.button import Decision
from homeport.services import Services

LAN_CLIENT = ("192.168.1.50", 40000)  # on the device's subnet (192.168.1.20/24 in the fixtures)
ROUTED_CLIENT = ("203.0.113.9", 40000)


DEVICE_ADDRESS = "192.168.1.20"  # eth0 of the fixtures' interfaces: what a LAN browser connects to


def browser(services: Services, client: tuple[str, int] = LAN_CLIENT, device: str = DEVICE_ADDRESS) -> TestClient:
    return TestClient(create_app(services, tarpit_seconds=0), base_url=f"https://{device}", client=client)


def mode(owner: TestClient, services: Services, decision: Decision) -> int:
    """Run a reset as the button would have decided it."""
    reset_id: int = owner.portal.call(services.recovery.run, decision)  # type: ignore[union-attr]
    return reset_id
