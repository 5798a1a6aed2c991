"""The overview's health panel: readings for any signed-in user, and a background refresh that never keeps
a session alive."""

from __future__ import annotations

from starlette.testclient import TestClient

from homeport.services import Services
from tests.support.api import setup_device, sign_in
from tests.support.clock import FakeClock

BACKGROUND = {"X-Homeport-Background": "1"}


def test_the_health_readings(client: TestClient) -> None:
    setup_device(client)
    assert client.get("/api/v1/system/health").status_code == 401
    sign_in(client)
    health = client.get("/api/v1/system/health").json()
    assert health["uptime_seconds"] > 0 and health["memory_total_bytes"] > 0 and len(health["load"]) == 3
    assert health["volumes"][0]["name"] == "volume1"
    page = client.get("/").text
    assert 'data-testid="health"' in page and 'data-health="uptime"' in page


def test_a_refreshing_panel_is_not_activity(client: TestClient, services: Services, clock: FakeClock) -> None:
    setup_device(client)
    sign_in(client)
    idle = services.settings.security().session_idle_minutes * 60
    clock.advance(idle - 60)
    assert client.get("/api/v1/system/health", headers=BACKGROUND).status_code == 200
    clock.advance(120)  # idle for longer than allowed, though the panel kept asking
    assert client.get("/api/v1/me").status_code == 401


def test_a_real_request_is_activity(client: TestClient, services: Services, clock: FakeClock) -> None:
    setup_device(client)
    sign_in(client)
    idle = services.settings.security().session_idle_minutes * 60
    clock.advance(idle - 60)
    assert client.get("/api/v1/system/health").status_code == 200
    clock.advance(120)
    assert client.get("/api/v1/me").status_code == 200
