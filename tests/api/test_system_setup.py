"""GET /system and the first-run setup."""

from __future__ import annotations

import re
import threading

from starlette.testclient import TestClient

from homeport.services import Services
from tests.support.api import ADMIN, ADMIN_PASSWORD, error_code, setup_device


def test_a_fresh_device_says_it_is_not_installed(client: TestClient) -> None:
    answer = client.get("/api/v1/system")
    assert answer.status_code == 200
    body = answer.json()
    assert body["state"] == "not-installed"
    assert re.fullmatch(r"HP[A-Z2-9]{10}", body["serial"])
    assert body["name"] == f"homeport-{body['serial'][-4:].lower()}"
    assert body["mac"] == "02:11:22:33:44:55"
    assert body["model"] == "Homeport Virtual"
    assert body["version"]


def test_setup_creates_the_first_administrator_and_makes_the_device_ready(client: TestClient) -> None:
    answer = client.post(
        "/api/v1/setup", json={"name": "office-nas", "admin": {"username": ADMIN, "password": ADMIN_PASSWORD}}
    )
    assert answer.status_code == 201
    body = answer.json()
    assert body["state"] == "ready"
    assert body["name"] == "office-nas"
    assert body["admin"]["admin"] is True
    assert body["admin"]["groups"] == ["administrators", "users"]
    assert client.get("/api/v1/system").json()["state"] == "ready"


def test_setup_is_refused_once_the_device_is_installed(client: TestClient) -> None:
    setup_device(client)
    again = client.post("/api/v1/setup", json={"name": "evil", "admin": {"username": "mallory", "password": "x" * 20}})
    assert again.status_code == 409
    assert error_code(again) == "not_setup_state"
    assert client.get("/api/v1/system").json()["name"] == "nas"


def test_setup_refuses_the_builtin_admin_name_and_saves_nothing(client: TestClient, services: Services) -> None:
    answer = client.post(
        "/api/v1/setup", json={"name": "nas", "admin": {"username": "admin", "password": ADMIN_PASSWORD}}
    )
    assert answer.status_code == 422
    assert "admin.username" in answer.json()["error"]["fields"]
    assert services.device.state() == "not-installed"
    assert [u.name for u in services.accounts.list_users()] == ["admin"]


def test_setup_reports_every_wrong_field_at_once(client: TestClient) -> None:
    answer = client.post(
        "/api/v1/setup", json={"name": "-bad-", "admin": {"username": "Bad Name", "password": "short"}}
    )
    assert answer.status_code == 422
    fields = answer.json()["error"]["fields"]
    assert set(fields) == {"name", "admin.username", "admin.password"}
    assert "12 characters" in fields["admin.password"]


def test_setup_with_missing_fields_names_them(client: TestClient) -> None:
    answer = client.post("/api/v1/setup", json={"admin": {}})
    assert answer.status_code == 422
    assert answer.json()["error"]["fields"] == {
        "name": "This field is required.",
        "admin.username": "This field is required.",
        "admin.password": "This field is required.",
    }


def test_malformed_json_is_a_400_with_a_message(client: TestClient) -> None:
    answer = client.post("/api/v1/setup", content=b"{not json", headers={"content-type": "application/json"})
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "invalid_json"


def test_wrong_types_are_reported_not_coerced(client: TestClient) -> None:
    answer = client.post("/api/v1/setup", json={"name": 5, "admin": {"username": ADMIN, "password": True}})
    assert answer.status_code == 422
    assert set(answer.json()["error"]["fields"]) == {"name", "admin.password"}


def test_only_one_of_two_concurrent_setups_wins(client: TestClient, services: Services) -> None:
    results: list[int] = []

    def attempt(user: str) -> None:
        answer = client.post(
            "/api/v1/setup", json={"name": "nas", "admin": {"username": user, "password": ADMIN_PASSWORD}}
        )
        results.append(answer.status_code)

    threads = [threading.Thread(target=attempt, args=(name,)) for name in ("first", "second")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(results) == [201, 409]
    admins = [u.name for u in services.accounts.list_users() if u.is_admin and not u.builtin]
    assert len(admins) == 1


def test_sign_in_before_setup_is_refused(client: TestClient) -> None:
    answer = client.post("/api/v1/auth/login", json={"username": "admin", "password": ""})
    assert answer.status_code == 409
    assert error_code(answer) == "not_ready"


def test_the_builtin_admin_stays_disabled_and_passwordless_after_setup(client: TestClient, services: Services) -> None:
    setup_device(client)
    admin = services.accounts.get_user("admin")
    assert admin.builtin and not admin.enabled and not admin.has_password and admin.is_admin
    answer = client.post("/api/v1/auth/login", json={"username": "admin", "password": ""})
    assert answer.status_code == 401


def test_unknown_paths_answer_in_the_error_format(client: TestClient) -> None:
    answer = client.get("/api/v1/nothing-here")
    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "not_found"
    wrong_method = client.delete("/api/v1/system")
    assert wrong_method.status_code == 405
    assert wrong_method.json()["error"]["code"] == "method_not_allowed"
