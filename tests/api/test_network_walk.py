"""The console walks the administrator to the new address and the confirmation happens there."""

from __future__ import annotations

import asyncio
import re
from dataclasses import replace

import pytest
from starlette.testclient import TestClient

from homeport.application import create_app
from homeport.network.service import NetworkService
from homeport.services import Services
from tests.support.api import ADMIN, ADMIN_PASSWORD, setup_device
from tests.support.clock import FakeClock
from tests.support.network import FakeBackend, MovablePorts

MANAGED = {"eth0": "02:00:00:00:00:01"}


@pytest.fixture
def lab_services(services: Services, clock: FakeClock) -> Services:
    """The real services, with the host's network replaced by a stand-in that applies settings at once."""
    network = NetworkService(
        services.db, clock, FakeBackend(), services.device, services.audit, MANAGED, MovablePorts(), 120,
        answer_first_seconds=0,
    )  # fmt: skip
    return replace(services, network=network)


def test_the_walk_to_the_new_address_and_the_confirmation_there(lab_services: Services) -> None:
    app = create_app(lab_services)
    with TestClient(app, base_url="https://192.168.1.57:5001", follow_redirects=False) as old:
        old.portal.call(lab_services.network.start)  # type: ignore[union-attr]
        setup_device(old)
        old.post("/login", data={"username": ADMIN, "password": ADMIN_PASSWORD})
        page = old.get("/network")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        form = {"csrf_token": token, "hostname": "nas", "eth0.mode": "static", "eth0.address": "192.168.1.20/24",
                "eth0.mtu": "1500", "http": "5000", "https": "5001"}  # fmt: skip
        sent = old.post("/network", data=form)
        assert sent.status_code == 303 and sent.headers["location"].startswith("/network/walk?change=")
        walk = old.get(sent.headers["location"])
        assert walk.status_code == 200 and 'data-testid="walk"' in walk.text
        assert old.get(sent.headers["location"]).status_code == 200  # a reload shows the links again
        link = re.search(r'href="(https://192\.168\.1\.20:5001/network/confirm\?token=[^"]+)"', walk.text)
        assert link, walk.text
        assert 'href="https://nas.local:5001/network/confirm?token=' in walk.text
        old.portal.call(asyncio.sleep, 0.05)  # type: ignore[union-attr]  # the deferred apply runs
    confirm_url = link.group(1).replace("https://192.168.1.20:5001", "")
    with TestClient(app, base_url="https://192.168.1.20:5001", follow_redirects=False) as new:
        page = new.get(confirm_url)
        assert page.status_code == 200 and 'data-testid="confirm-form"' in page.text
        token = re.search(r'name="token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        kept = new.post("/network/confirm", data={"token": token})
        assert kept.status_code == 303
        assert 'data-testid="confirmed"' in new.get(kept.headers["location"]).text
        new.portal.call(lab_services.network.close)  # type: ignore[union-attr]
    assert lab_services.network.pending() is None


def test_confirming_from_the_old_address_is_refused(lab_services: Services) -> None:
    app = create_app(lab_services)
    with TestClient(app, base_url="https://192.168.1.57:5001") as old:
        old.portal.call(lab_services.network.start)  # type: ignore[union-attr]
        setup_device(old)
        login = old.post("/api/v1/auth/login", json={"username": ADMIN, "password": ADMIN_PASSWORD})
        old.headers["X-CSRF-Token"] = login.json()["csrf_token"]
        body = {"hostname": "nas", "interfaces": [{"name": "eth0", "mode": "static", "address": "192.168.1.20/24"}]}
        applied = old.put("/api/v1/network", json=body).json()
        assert applied["pending"] is not None
        old.portal.call(asyncio.sleep, 0.05)  # type: ignore[union-attr]  # the deferred apply runs
        refused = old.post("/api/v1/network/confirm", json={"token": applied["confirm_token"]})
        assert refused.status_code == 409
        assert refused.json()["error"]["code"] == "confirm_from_new_address"
        old.portal.call(lab_services.network.close)  # type: ignore[union-attr]
