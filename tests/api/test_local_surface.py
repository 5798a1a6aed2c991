"""The CLI's socket surface: root on the machine, the same services, no session or CSRF needed."""

from __future__ import annotations

from starlette.testclient import TestClient

from homeport.services import Services
from tests.support.api import ADMIN, error_code, setup_device


def test_accounts_need_an_installed_device(local_client: TestClient) -> None:
    answer = local_client.get("/api/v1/users")
    assert answer.status_code == 409 and error_code(answer) == "not_installed"


def test_root_manages_accounts_without_a_session(client: TestClient, local_client: TestClient) -> None:
    setup_device(client)
    created = local_client.post("/api/v1/users", json={"name": "bob", "password": "a long enough password"})
    assert created.status_code == 201
    # Root needs no password of its own to set another one; the change is attributed to root@local.
    assert local_client.put("/api/v1/users/bob/password", json={"password": "root chose this one"}).status_code == 204
    log = local_client.get("/api/v1/log").json()
    assert log[0]["action"] == "user.password_reset" and log[0]["actor"] == "root@local"


def test_guardrails_hold_for_root_too(client: TestClient, local_client: TestClient) -> None:
    setup_device(client)
    answer = local_client.patch(f"/api/v1/users/{ADMIN}", json={"enabled": False})
    assert answer.status_code == 409 and error_code(answer) == "last_administrator"


def test_status_is_local_only(client: TestClient, local_client: TestClient, services: Services) -> None:
    status = local_client.get("/api/v1/status")
    assert status.status_code == 200
    body = status.json()
    assert body["system"]["state"] == "not-installed"
    assert body["ca_certificate"] == str(services.tls.ca_cert_path)
    assert body["volumes"][0]["name"] == "volume1" and body["volumes"][0]["available"] is True
    assert client.get("/api/v1/status").status_code == 404
    assert client.post("/api/v1/store/start-fresh").status_code == 404


def test_start_fresh_is_refused_unless_the_store_was_damaged(local_client: TestClient) -> None:
    answer = local_client.post("/api/v1/store/start-fresh")
    assert answer.status_code == 409 and error_code(answer) == "not_damaged"


def test_the_socket_surface_serves_no_console(local_client: TestClient) -> None:
    assert local_client.get("/login").status_code == 404


def test_status_names_the_console_as_it_is_now(client: TestClient, services: Services) -> None:
    """After a rename, `homeport status` shows the new `.local` address, not the one computed at start."""
    from homeport.application import create_app
    from homeport.serve import console_urls

    app = create_app(services, local=True, urls=lambda: console_urls(("0.0.0.0",), 5001, services.device.name()))
    setup_device(client)
    with TestClient(app, base_url="http://homeport") as root:
        assert "https://nas.local:5001/" in root.get("/api/v1/status").json()["urls"]
        body = {"hostname": "office", "interfaces": [{"name": "eth0", "mode": "dhcp"}]}
        assert root.put("/api/v1/network", json=body).status_code == 200
        assert "https://office.local:5001/" in root.get("/api/v1/status").json()["urls"]
