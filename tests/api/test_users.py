"""Accounts and groups over the API, guardrails included."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from homeport.application import create_app
from homeport.services import Services
from tests.support.api import ADMIN, ADMIN_PASSWORD, create_user, error_code, setup_device, sign_in


@pytest.fixture
def admin(client: TestClient) -> TestClient:
    setup_device(client)
    sign_in(client)
    return client


@pytest.fixture
def second_browser(services: Services) -> Iterator[TestClient]:
    with TestClient(create_app(services), base_url="https://testserver", client=("192.168.1.77", 1)) as other:
        yield other


def test_create_read_update_delete(admin: TestClient) -> None:
    created = create_user(admin, "bob", full_name="Bob Builder", email="bob@example.org", groups=["administrators"])
    assert created["admin"] is True and created["groups"] == ["administrators", "users"]
    assert admin.get("/api/v1/users/bob").json()["full_name"] == "Bob Builder"
    names = [u["name"] for u in admin.get("/api/v1/users").json()]
    assert names == ["admin", ADMIN, "bob"]
    patched = admin.patch("/api/v1/users/bob", json={"full_name": "Robert", "groups": []})
    assert patched.status_code == 200
    assert patched.json()["full_name"] == "Robert" and patched.json()["admin"] is False
    assert admin.delete("/api/v1/users/bob").status_code == 204
    assert admin.get("/api/v1/users/bob").status_code == 404


def test_duplicate_names_are_refused_case_insensitively(admin: TestClient) -> None:
    create_user(admin, "bob")
    again = admin.post("/api/v1/users", json={"name": "bob", "password": "another long password"})
    assert again.status_code == 409 and error_code(again) == "user_exists"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "Bob", "password": "a long enough password"}, "name"),
        ({"name": "root", "password": "a long enough password"}, "name"),
        ({"name": "admin", "password": "a long enough password"}, "name"),
        ({"name": "bob", "password": "short"}, "password"),
        ({"name": "bob", "password": "password1234"}, "password"),
        ({"name": "bobby", "password": "my name is bobby ok"}, "password"),
        ({"name": "bob", "password": "a long enough password", "email": "not-an-address"}, "email"),
        ({"name": "bob", "password": "a long enough password", "groups": ["no-such-group"]}, "groups"),
        ({"name": "bob", "password": "a long enough password", "full_name": "line\nbreak"}, "full_name"),
        ({"name": "bob", "password": "a long enough password", "surprise": 1}, "surprise"),
    ],
)
def test_bad_input_names_the_field_and_creates_nothing(
    admin: TestClient, body: dict[str, object], field: str, services: Services
) -> None:
    answer = admin.post("/api/v1/users", json=body)
    assert answer.status_code == 422, answer.text
    assert field in answer.json()["error"]["fields"]
    assert [u.name for u in services.accounts.list_users()] == ["admin", ADMIN]


def test_the_last_administrator_cannot_be_disabled_demoted_or_deleted(admin: TestClient, services: Services) -> None:
    for method, path, body in (
        ("PATCH", f"/api/v1/users/{ADMIN}", {"enabled": False}),
        ("PATCH", f"/api/v1/users/{ADMIN}", {"groups": []}),
        ("DELETE", f"/api/v1/users/{ADMIN}", None),
    ):
        answer = admin.request(method, path, json=body)
        assert answer.status_code == 409
        assert error_code(answer) == "last_administrator"
        assert "last enabled administrator" in answer.json()["error"]["message"]
    alice = services.accounts.get_user(ADMIN)
    assert alice.enabled and alice.is_admin


def test_with_a_second_administrator_the_first_may_step_down(admin: TestClient) -> None:
    create_user(admin, "bob", groups=["administrators"])
    assert admin.patch(f"/api/v1/users/{ADMIN}", json={"groups": []}).status_code == 200
    # alice is no longer an administrator: her session may no longer manage accounts.
    assert admin.get("/api/v1/users").status_code == 403


def test_an_administrator_without_a_usable_password_does_not_count(admin: TestClient) -> None:
    """Enabling the built-in admin (no password) must not let the last real administrator go."""
    assert admin.patch("/api/v1/users/admin", json={"enabled": True}).status_code == 200
    answer = admin.patch(f"/api/v1/users/{ADMIN}", json={"enabled": False})
    assert answer.status_code == 409


def test_the_builtin_admin_cannot_be_deleted_or_demoted(admin: TestClient) -> None:
    assert error_code(admin.delete("/api/v1/users/admin")) == "builtin_admin"
    assert error_code(admin.patch("/api/v1/users/admin", json={"groups": ["users"]})) == "builtin_admin"


def test_setting_another_users_password_needs_your_own(admin: TestClient, second_browser: TestClient) -> None:
    create_user(admin, "bob")
    sign_in(second_browser, "bob", "a long enough password")
    missing = admin.put("/api/v1/users/bob/password", json={"password": "a brand new password"})
    assert missing.status_code == 422 and "admin_password" in missing.json()["error"]["fields"]
    wrong = admin.put(
        "/api/v1/users/bob/password", json={"password": "a brand new password", "admin_password": "not mine at all"}
    )
    assert wrong.status_code == 422 and "admin_password" in wrong.json()["error"]["fields"]
    assert second_browser.get("/api/v1/me").status_code == 200  # nothing happened yet
    done = admin.put(
        "/api/v1/users/bob/password", json={"password": "a brand new password", "admin_password": ADMIN_PASSWORD}
    )
    assert done.status_code == 204
    assert second_browser.get("/api/v1/me").status_code == 401  # bob's sessions ended


def test_a_reset_password_must_be_changed_at_the_next_sign_in(admin: TestClient, second_browser: TestClient) -> None:
    create_user(admin, "bob")
    admin.put("/api/v1/users/bob/password", json={"password": "a temporary password", "admin_password": ADMIN_PASSWORD})
    login = second_browser.post("/api/v1/auth/login", json={"username": "bob", "password": "a temporary password"})
    assert login.json()["must_change_password"] is True
    second_browser.headers["X-CSRF-Token"] = login.json()["csrf_token"]
    assert second_browser.get("/api/v1/me").json()["restricted"] is True
    refused = second_browser.get("/api/v1/groups")
    assert refused.status_code == 403 and error_code(refused) == "password_change_required"
    changed = second_browser.put(
        "/api/v1/me/password",
        json={"current_password": "a temporary password", "new_password": "a passphrase of my own"},
    )
    assert changed.status_code == 204
    assert second_browser.get("/api/v1/groups").status_code == 200


def test_an_administrator_may_set_another_administrators_password(admin: TestClient, services: Services) -> None:
    create_user(admin, "carol", groups=["administrators"])
    answer = admin.put(
        "/api/v1/users/carol/password",
        json={"password": "a fresh secret phrase", "admin_password": ADMIN_PASSWORD, "must_change_password": False},
    )
    assert answer.status_code == 204
    assert services.hasher.verify(services.accounts.get_user("carol").password_hash, "a fresh secret phrase")


def test_changing_your_own_password_needs_the_current_one(admin: TestClient) -> None:
    wrong = admin.put("/api/v1/me/password", json={"current_password": "nope nope nope", "new_password": "x" * 16})
    assert wrong.status_code == 422 and "current_password" in wrong.json()["error"]["fields"]
    weak = admin.put("/api/v1/me/password", json={"current_password": ADMIN_PASSWORD, "new_password": "short"})
    assert weak.status_code == 422 and "new_password" in weak.json()["error"]["fields"]


def test_non_administrators_cannot_manage_accounts(admin: TestClient, second_browser: TestClient) -> None:
    create_user(admin, "bob")
    sign_in(second_browser, "bob", "a long enough password")
    for method, path in (("GET", "/api/v1/users"), ("POST", "/api/v1/users"), ("GET", "/api/v1/log")):
        answer = second_browser.request(method, path, json={"name": "eve", "password": "x" * 20})
        assert answer.status_code == 403 and error_code(answer) == "administrators_only"
    assert second_browser.get("/api/v1/me").json()["user"]["name"] == "bob"


def test_unauthenticated_calls_get_401(client: TestClient) -> None:
    setup_device(client)
    for path in ("/api/v1/users", "/api/v1/me", "/api/v1/sessions", "/api/v1/log", "/api/v1/groups"):
        assert client.get(path).status_code == 401


def test_groups_custom_ones_can_be_created_and_deleted(admin: TestClient) -> None:
    created = admin.post("/api/v1/groups", json={"name": "family", "description": "Photos and films"})
    assert created.status_code == 201
    create_user(admin, "bob", groups=["family"])
    groups = {g["name"]: g for g in admin.get("/api/v1/groups").json()}
    assert groups["family"]["members"] == ["bob"]
    assert set(groups["users"]["members"]) == {"admin", ADMIN, "bob"}
    assert error_code(admin.post("/api/v1/groups", json={"name": "family"})) == "group_exists"
    assert error_code(admin.delete("/api/v1/groups/users")) == "builtin_group"
    assert admin.delete("/api/v1/groups/family").status_code == 204
    assert admin.get("/api/v1/users/bob").json()["groups"] == ["users"]


def test_password_policy_minimum_is_settable_within_8_to_64(admin: TestClient) -> None:
    assert admin.patch("/api/v1/settings/security", json={"password_min_length": 7}).status_code == 422
    assert admin.patch("/api/v1/settings/security", json={"password_min_length": 65}).status_code == 422
    assert admin.patch("/api/v1/settings/security", json={"password_min_length": 20}).status_code == 200
    answer = admin.post("/api/v1/users", json={"name": "bob", "password": "nineteen characters"})
    assert answer.status_code == 422
    assert admin.patch("/api/v1/settings/security", json={"password_min_length": 8}).status_code == 200
    assert admin.post("/api/v1/users", json={"name": "bob", "password": "tulip-42"}).status_code == 201


def test_long_unicode_passwords_are_accepted_and_normalised(admin: TestClient, second_browser: TestClient) -> None:
    password = "ｐａｓｓ" + "é" * 250  # 254 characters: full-width letters normalise (NFKC) to ASCII
    create_user(admin, "bob", password=password)
    sign_in(second_browser, "bob", "pass" + "e\u0301" * 250)  # decomposed accents: the same password after NFKC


def test_every_change_is_in_the_log_without_secrets(admin: TestClient, services: Services) -> None:
    create_user(admin, "bob", password="my secret passphrase")
    admin.patch("/api/v1/users/bob", json={"enabled": False})
    admin.put("/api/v1/users/bob/password", json={"password": "my other passphrase", "admin_password": ADMIN_PASSWORD})
    admin.delete("/api/v1/users/bob")
    actions = [r["action"] for r in admin.get("/api/v1/log").json()]
    for action in ("user.created", "user.disabled", "user.password_reset", "user.deleted", "system.setup"):
        assert action in actions
    with services.db.read() as conn:
        dump = "\n".join(conn.iterdump())
    for secret in ("my secret passphrase", "my other passphrase", ADMIN_PASSWORD):
        assert secret not in dump
