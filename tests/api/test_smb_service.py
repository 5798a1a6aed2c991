"""The SMB file service over the API, with Samba off (the services fixture): status, settings, the drift check."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from homeport.application import create_app
from homeport.services import Services
from homeport.smb.accounts import Drift
from homeport.smb.service import CheckResult
from tests.support.api import ADMIN, create_user, error_code, setup_device, sign_in

BOB_PASSWORD = "a long enough password"
DEFAULTS = {"enabled": True, "min_protocol": "SMB2", "signing": "default", "encryption": "desired",
            "workgroup": "WORKGROUP"}  # fmt: skip


@pytest.fixture
def admin(client: TestClient) -> TestClient:
    setup_device(client)
    sign_in(client)
    create_user(client, "bob", password=BOB_PASSWORD)
    return client


@pytest.fixture
def bob(admin: TestClient, services: Services) -> Iterator[TestClient]:
    with TestClient(create_app(services), base_url="https://testserver", client=("192.168.1.77", 1)) as other:
        sign_in(other, "bob", BOB_PASSWORD)
        yield other


def test_status_with_the_service_off(admin: TestClient) -> None:
    answer = admin.get("/api/v1/services/smb")
    assert answer.status_code == 200, answer.text
    status = answer.json()
    assert status["mode"] == "off" and status["running"] is False and status["port"] == 445
    assert status["problems"] == [] and status["sessions"] == [] and status["pending"] == []
    assert status["needs_password"] == []  # alice and bob got their SMB copy with their passwords
    assert status["last_check_at"] is None and status["last_drift"] is None
    assert status["settings"] == DEFAULTS


def test_accounts_without_an_smb_copy_of_their_password_are_named(admin: TestClient, services: Services) -> None:
    with services.db.write() as conn:  # as if made before the file service existed
        conn.execute("DELETE FROM smb_passwords WHERE user_id = (SELECT id FROM users WHERE name = 'bob')")
    assert admin.get("/api/v1/services/smb").json()["needs_password"] == ["bob"]
    services.files.health.needs_password = (ADMIN,)  # what the worker saw: a copy this key cannot open
    assert admin.get("/api/v1/services/smb").json()["needs_password"] == [ADMIN, "bob"]


def test_settings_are_changed_and_recorded(admin: TestClient) -> None:
    changes = {"min_protocol": "SMB3", "signing": "required", "encryption": "required", "workgroup": "home-lan"}
    answer = admin.patch("/api/v1/services/smb", json=changes)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {**DEFAULTS, **changes, "workgroup": "HOME-LAN"}
    assert admin.patch("/api/v1/services/smb", json={"enabled": False}).json()["min_protocol"] == "SMB3"  # kept
    assert admin.get("/api/v1/services/smb").json()["settings"]["enabled"] is False
    records = [r for r in admin.get("/api/v1/log").json() if r["action"] == "smb.settings_changed"]
    assert [r["detail"]["fields"] for r in records] == [
        ["enabled"], ["encryption", "min_protocol", "signing", "workgroup"]
    ]  # fmt: skip
    assert records[0]["sentence"].startswith(f"{ADMIN} changed the file service (SMB) settings")
    before = len(admin.get("/api/v1/log").json())
    assert admin.patch("/api/v1/services/smb", json={}).status_code == 200  # nothing changed: nothing recorded
    assert len(admin.get("/api/v1/log").json()) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"min_protocol": "SMB1"}, "min_protocol"),
        ({"min_protocol": "smb3"}, "min_protocol"),
        ({"signing": "off"}, "signing"),
        ({"encryption": "off"}, "encryption"),
        ({"enabled": "yes"}, "enabled"),
        ({"enabled": 1}, "enabled"),
        ({"workgroup": "my workgroup"}, "workgroup"),
        ({"workgroup": "x" * 16}, "workgroup"),
        ({"workgroup": ""}, "workgroup"),
        ({"workgroup": "dömäne"}, "workgroup"),
        ({"workgroup": "a%b"}, "workgroup"),
        ({"port": 139}, "port"),
    ],
)
def test_bad_settings_name_the_field_and_change_nothing(admin: TestClient, body: dict[str, Any], field: str) -> None:
    answer = admin.patch("/api/v1/services/smb", json=body)
    assert answer.status_code == 422, answer.text
    assert field in answer.json()["error"]["fields"]
    assert admin.get("/api/v1/services/smb").json()["settings"] == DEFAULTS


def test_the_check_is_refused_while_the_service_is_off(admin: TestClient) -> None:
    for body in (None, {}, {"repair": False}, {"repair": True}):
        answer = admin.post("/api/v1/services/smb/check", json=body)
        assert answer.status_code == 409 and error_code(answer) == "smb_off", answer.text
        assert "off" in answer.json()["error"]["message"]
    bad = admin.post("/api/v1/services/smb/check", json={"repair": "yes"})
    assert bad.status_code == 422 and "repair" in bad.json()["error"]["fields"]


def test_the_check_answers_what_differs(admin: TestClient, services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[bool] = []

    def check(*, repair: bool) -> CheckResult:
        asked.append(repair)
        drift = Drift(missing=("bob",), unexpected=("mallory",)) if not repair else Drift()
        return CheckResult(drift, repair, ("carol",))

    monkeypatch.setattr(services.files, "check", check)
    found = admin.post("/api/v1/services/smb/check", json={}).json()
    assert found == {
        "missing": ["bob"], "unexpected": ["mallory"], "wrong_hash": [], "wrong_flags": [], "drift": True,
        "repaired": False, "needs_password": ["carol"], "error": "",
    }  # fmt: skip
    repaired = admin.post("/api/v1/services/smb/check", json={"repair": True}).json()
    assert repaired["drift"] is False and repaired["repaired"] is True
    assert asked == [False, True]


def test_only_administrators_see_or_change_the_service(bob: TestClient) -> None:
    for method, path, body in (
        ("GET", "/api/v1/services/smb", None),
        ("PATCH", "/api/v1/services/smb", {"encryption": "required"}),
        ("POST", "/api/v1/services/smb/check", {"repair": True}),
    ):
        answer = bob.request(method, path, json=body)
        assert answer.status_code == 403 and error_code(answer) == "administrators_only", (method, path)


def test_changes_need_the_csrf_token(admin: TestClient) -> None:
    admin.headers.pop("X-CSRF-Token")
    for method, path, body in (
        ("PATCH", "/api/v1/services/smb", {"encryption": "required"}),
        ("POST", "/api/v1/services/smb/check", {"repair": True}),
    ):
        answer = admin.request(method, path, json=body)
        assert answer.status_code == 403 and error_code(answer) == "csrf_token_missing", (method, path)
    assert admin.get("/api/v1/services/smb").json()["settings"] == DEFAULTS


def test_without_a_session_every_call_is_401(client: TestClient) -> None:
    setup_device(client)
    for method, path in (("GET", "/api/v1/services/smb"), ("PATCH", "/api/v1/services/smb"),
                         ("POST", "/api/v1/services/smb/check")):  # fmt: skip
        assert client.request(method, path, json={}).status_code == 401
