"""The network API and page over the virtual backend (the real host is tested in the LAN lab)."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from homeport.services import Services
from tests.support.api import error_code, setup_device, sign_in


@pytest.fixture
def admin(client: TestClient) -> TestClient:
    setup_device(client)
    sign_in(client)
    return client


def settings(**eth0: Any) -> dict[str, Any]:
    return {"hostname": "nas", "interfaces": [{"name": "eth0", **eth0}], "web": {"http": 5000, "https": 5001}}


def test_the_settings_and_live_state(admin: TestClient) -> None:
    body = admin.get("/api/v1/network").json()
    assert body["backend"] == "virtual" and body["applies_to_host"] is False and body["ports_fixed"] is True
    assert body["config"]["interfaces"] == [
        {
            "name": "eth0",
            "mac": "02:11:22:33:44:55",
            "mode": "dhcp",
            "address": None,
            "gateway": None,
            "dns": [],
            "mtu": 1500,
        }
    ]
    assert body["live"][0]["addresses"] == ["192.168.1.20/24"]  # the host's real view (here: a fixed stand-in)
    assert body["pending"] is None


def test_apply_snapshot_and_restore(admin: TestClient, services: Services) -> None:
    applied = admin.put(
        "/api/v1/network", json=settings(mode="static", address="192.168.1.30/24", gateway="192.168.1.1")
    )
    assert applied.status_code == 200, applied.text
    assert applied.json()["pending"] is None
    first = applied.json()["snapshot"]
    admin.put("/api/v1/network", json=settings(mode="dhcp", mtu=9000))
    snapshots = admin.get("/api/v1/network/snapshots").json()
    assert [s["id"] for s in snapshots][:2] == [first + 1, first]
    restored = admin.post(f"/api/v1/network/snapshots/{first}/restore")
    assert restored.status_code == 200
    eth0 = admin.get("/api/v1/network").json()["config"]["interfaces"][0]
    assert (eth0["mode"], eth0["address"]) == ("static", "192.168.1.30/24")
    assert admin.post("/api/v1/network/snapshots/999/restore").status_code == 404
    actions = [r["action"] for r in admin.get("/api/v1/log").json()]
    assert actions.count("network.applied") >= 3


def test_bad_settings_are_refused_whole(admin: TestClient) -> None:
    before = len(admin.get("/api/v1/network/snapshots").json())
    answer = admin.put("/api/v1/network", json=settings(mode="static", address="192.168.1.0/24", mtu=70000))
    assert answer.status_code == 422
    assert set(answer.json()["error"]["fields"]) == {"interfaces.0.address", "interfaces.0.mtu"}
    assert len(admin.get("/api/v1/network/snapshots").json()) == before
    unknown = admin.put("/api/v1/network", json={"hostname": "nas", "interfaces": [{"name": "eth9"}]})
    assert unknown.status_code == 422


def test_a_rename_through_the_network_settings_renames_the_device(admin: TestClient, services: Services) -> None:
    body = settings()
    body["hostname"] = "office"
    assert admin.put("/api/v1/network", json=body).status_code == 200
    assert admin.get("/api/v1/system").json()["name"] == "office"


def test_confirm_without_a_pending_change(admin: TestClient) -> None:
    answer = admin.post("/api/v1/network/confirm", json={"token": "x" * 43})
    assert answer.status_code == 401 and error_code(answer) == "no_pending"


def test_the_virtual_backend_has_no_lease_to_renew(admin: TestClient) -> None:
    answer = admin.post("/api/v1/network/interfaces/eth0/renew")
    assert answer.status_code == 409
    assert admin.post("/api/v1/network/interfaces/wlan7/renew").status_code == 404


def test_network_settings_are_for_administrators(admin: TestClient, services: Services) -> None:
    from homeport.application import create_app

    admin.post(
        "/api/v1/users", json={"name": "bob", "password": "a long enough password", "must_change_password": False}
    )
    with TestClient(create_app(services), base_url="https://testserver") as bob:
        sign_in(bob, "bob", "a long enough password")
        assert bob.get("/api/v1/network").status_code == 403
        assert bob.put("/api/v1/network", json=settings()).status_code == 403


def test_the_console_page_applies_a_form(admin: TestClient, services: Services) -> None:
    import re

    page = admin.get("/network")
    assert page.status_code == 200 and 'data-testid="network-form"' in page.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    form = {
        "csrf_token": token,
        "hostname": "nas",
        "eth0.mode": "static",
        "eth0.address": "192.168.1.0/24",
        "eth0.mtu": "1500",
        "http": "5000",
        "https": "5001",
    }
    bad = admin.post("/network", data=form, follow_redirects=True)  # back to the page, which shows the problem
    assert bad.status_code == 422 and "network address" in bad.text and 'value="192.168.1.0/24"' in bad.text
    form["eth0.address"] = "192.168.1.40/24"
    good = admin.post("/network", data=form, follow_redirects=False)
    assert good.status_code == 303
    assert str(services.network.current().interface("eth0").address) == "192.168.1.40/24"  # type: ignore[union-attr]
