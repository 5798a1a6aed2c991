"""Sign-in, cookies, CSRF, security headers, session lifetime (security-baseline.md "Sessions", "Web")."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import argon2
import pytest
from starlette.testclient import TestClient

from homeport.accounts.passwords import Argon2Parameters
from homeport.application import create_app
from homeport.daemon import BuildOptions, build_services, close_services
from homeport.home import Home
from homeport.services import Services
from homeport.tls.issue import issue
from tests.support.api import ADMIN, ADMIN_PASSWORD, create_user, error_code, setup_device, sign_in
from tests.support.clock import FakeClock
from tests.support.fakes import StaticInterfaces


@pytest.fixture
def ready(client: TestClient) -> TestClient:
    setup_device(client)
    return client


@pytest.fixture
def verify_calls(services: Services, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Counts password verifications (each one is an Argon2id run)."""
    calls: list[str] = []
    original = services.hasher.verify

    def counting(password_hash: str | None, password: str, *, first: bool = False) -> bool:
        calls.append(password_hash or "")
        return original(password_hash, password, first=first)

    monkeypatch.setattr(services.hasher, "verify", counting)
    return calls


def test_sign_in_sets_a_host_prefixed_strict_cookie(ready: TestClient) -> None:
    answer = ready.post("/api/v1/auth/login", json={"username": ADMIN, "password": ADMIN_PASSWORD})
    assert answer.status_code == 200
    cookie = answer.headers["set-cookie"]
    name, _, rest = cookie.partition("=")
    token = rest.split(";")[0]
    attributes = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert name == "__Host-homeport_session"
    assert len(token) >= 43  # 256 bits, URL-safe base64
    assert {"secure", "httponly", "samesite=strict", "path=/"} <= attributes
    assert not any(a.startswith("domain") for a in attributes)
    body = answer.json()
    assert body["user"]["name"] == ADMIN and body["must_change_password"] is False
    assert len(body["csrf_token"]) >= 43


def test_wrong_password_unknown_user_and_disabled_user_look_the_same(
    ready: TestClient, verify_calls: list[str]
) -> None:
    sign_in(ready)
    create_user(ready, "bob")
    assert ready.patch("/api/v1/users/bob", json={"enabled": False}).status_code == 200
    verify_calls.clear()
    answers = [
        ready.post("/api/v1/auth/login", json={"username": ADMIN, "password": "not the password at all"}),
        ready.post("/api/v1/auth/login", json={"username": "nobody", "password": "not the password at all"}),
        ready.post("/api/v1/auth/login", json={"username": "bob", "password": "a long enough password"}),
    ]
    assert [a.status_code for a in answers] == [401, 401, 401]
    assert len({a.text for a in answers}) == 1
    # The same work for each: exactly one Argon2id verification per attempt (a dummy one for "nobody").
    assert len(verify_calls) == 3


def test_sign_in_rotates_the_session(ready: TestClient, services: Services) -> None:
    sign_in(ready)
    first = ready.cookies.get("__Host-homeport_session")
    sign_in(ready)
    second = ready.cookies.get("__Host-homeport_session")
    assert first != second
    assert len(services.sessions.list()) == 1


def test_sign_out_ends_the_server_session(ready: TestClient, services: Services) -> None:
    sign_in(ready)
    old_cookie = ready.cookies.get("__Host-homeport_session")
    assert ready.post("/api/v1/auth/logout").status_code == 204
    assert services.sessions.list() == []
    ready.cookies.set("__Host-homeport_session", old_cookie or "")
    assert ready.get("/api/v1/me").status_code == 401


def test_state_changes_need_the_csrf_header(ready: TestClient) -> None:
    token = sign_in(ready)
    del ready.headers["X-CSRF-Token"]
    missing = ready.post("/api/v1/users", json={"name": "bob", "password": "a long enough password"})
    assert missing.status_code == 403 and error_code(missing) == "csrf_token_missing"
    wrong = ready.post(
        "/api/v1/users", json={"name": "bob", "password": "a long enough password"}, headers={"X-CSRF-Token": "x" * 43}
    )
    assert wrong.status_code == 403
    right = ready.post(
        "/api/v1/users",
        json={"name": "bob", "password": "a long enough password"},
        headers={"X-CSRF-Token": token},
    )
    assert right.status_code == 201
    assert ready.get("/api/v1/users").status_code == 200  # reads need no token


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
    ],
)
def test_cross_site_state_changes_are_refused_before_anything_else(
    ready: TestClient, headers: dict[str, str], verify_calls: list[str]
) -> None:
    answer = ready.post("/api/v1/auth/login", json={"username": ADMIN, "password": ADMIN_PASSWORD}, headers=headers)
    assert answer.status_code == 403
    assert error_code(answer) == "cross_origin"
    assert verify_calls == []


def test_same_origin_browser_requests_pass(ready: TestClient) -> None:
    for headers in ({"Sec-Fetch-Site": "same-origin"}, {"Origin": "https://testserver"}):
        answer = ready.post("/api/v1/auth/login", json={"username": ADMIN, "password": ADMIN_PASSWORD}, headers=headers)
        assert answer.status_code == 200


def test_every_answer_carries_the_security_headers(ready: TestClient) -> None:
    for answer in (ready.get("/api/v1/system"), ready.get("/login"), ready.get("/api/v1/me")):
        csp = answer.headers["content-security-policy"]
        for directive in ("object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'", "script-src 'self'"):
            assert directive in csp
        assert "unsafe-inline" not in csp
        assert answer.headers["strict-transport-security"] == "max-age=31536000"
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["referrer-policy"] == "no-referrer"
        assert answer.headers["cache-control"] == "no-store"
        assert "server" not in answer.headers


def test_sessions_end_after_15_idle_minutes(ready: TestClient, clock: FakeClock) -> None:
    sign_in(ready)
    clock.advance(14 * 60)
    assert ready.get("/api/v1/me").status_code == 200  # activity resets the idle timer
    clock.advance(15 * 60)
    assert ready.get("/api/v1/me").status_code == 200
    clock.advance(15 * 60 + 1)
    assert ready.get("/api/v1/me").status_code == 401


def test_sessions_end_after_12_hours_however_active(ready: TestClient, clock: FakeClock) -> None:
    sign_in(ready)
    for _ in range(12 * 6):
        clock.advance(10 * 60)
        assert ready.get("/api/v1/me").status_code == 200
    clock.advance(1)
    assert ready.get("/api/v1/me").status_code == 401


def test_session_timeouts_are_settable(ready: TestClient, clock: FakeClock) -> None:
    sign_in(ready)
    answer = ready.patch("/api/v1/settings/security", json={"session_idle_minutes": 5, "session_absolute_hours": 1})
    assert answer.status_code == 200
    clock.advance(5 * 60 + 1)
    assert ready.get("/api/v1/me").status_code == 401


def test_idle_timeout_survives_a_restart_of_the_services(services: Services, clock: FakeClock) -> None:
    """last_seen is written at most once a minute; a rebuilt app still honours it."""
    with TestClient(create_app(services), base_url="https://testserver") as first:
        setup_device(first)
        sign_in(first)
        cookie = first.cookies.get("__Host-homeport_session") or ""
        clock.advance(10 * 60)
        assert first.get("/api/v1/me").status_code == 200
    with TestClient(create_app(services), base_url="https://testserver") as second:
        second.cookies.set("__Host-homeport_session", cookie)
        clock.advance(10 * 60)
        assert second.get("/api/v1/me").status_code == 200


def test_a_password_change_ends_the_other_sessions(services: Services) -> None:
    app = create_app(services)
    with (
        TestClient(app, base_url="https://testserver") as laptop,
        TestClient(app, base_url="https://testserver") as phone,
    ):
        setup_device(laptop)
        sign_in(laptop)
        sign_in(phone)
        answer = laptop.put(
            "/api/v1/me/password",
            json={"current_password": ADMIN_PASSWORD, "new_password": "an entirely new passphrase"},
        )
        assert answer.status_code == 204
        assert laptop.get("/api/v1/me").status_code == 200
        assert phone.get("/api/v1/me").status_code == 401
        phone.headers.pop("X-CSRF-Token")
        sign_in(phone, ADMIN, "an entirely new passphrase")


def test_disabling_a_user_ends_their_sessions(services: Services) -> None:
    app = create_app(services)
    with TestClient(app, base_url="https://testserver") as admin, TestClient(app, base_url="https://testserver") as bob:
        setup_device(admin)
        sign_in(admin)
        create_user(admin, "bob")
        sign_in(bob, "bob", "a long enough password")
        assert bob.get("/api/v1/me").status_code == 200
        assert admin.patch("/api/v1/users/bob", json={"enabled": False}).status_code == 200
        assert bob.get("/api/v1/me").status_code == 401


@pytest.fixture
def two_clients(services: Services) -> Iterator[tuple[TestClient, TestClient]]:
    app = create_app(services)
    with (
        TestClient(app, base_url="https://testserver", client=("192.168.1.50", 40000)) as one,
        TestClient(app, base_url="https://testserver", client=("192.168.1.60", 40000)) as other,
    ):
        setup_device(one)
        yield one, other


def test_administrators_list_and_end_other_sessions(two_clients: tuple[TestClient, TestClient]) -> None:
    admin, bob = two_clients
    sign_in(admin)
    create_user(admin, "bob")
    sign_in(bob, "bob", "a long enough password")
    listed = admin.get("/api/v1/sessions").json()
    assert {s["user"] for s in listed} == {ADMIN, "bob"}
    assert {s["client"] for s in listed} == {"192.168.1.50", "192.168.1.60"}
    bobs = next(s for s in listed if s["user"] == "bob")
    assert admin.delete(f"/api/v1/sessions/{bobs['id']}").status_code == 204
    assert bob.get("/api/v1/me").status_code == 401


def test_users_see_and_end_only_their_own_sessions(two_clients: tuple[TestClient, TestClient]) -> None:
    admin, bob = two_clients
    sign_in(admin)
    create_user(admin, "bob")
    sign_in(bob, "bob", "a long enough password")
    mine = bob.get("/api/v1/sessions").json()
    assert [s["user"] for s in mine] == ["bob"] and mine[0]["current"] is True
    admins = next(s for s in admin.get("/api/v1/sessions").json() if s["user"] == ADMIN)
    assert bob.delete(f"/api/v1/sessions/{admins['id']}").status_code == 404
    assert admin.get("/api/v1/me").status_code == 200


def test_a_sign_in_upgrades_a_hash_made_with_older_parameters(home: Home, short_tmp: Path) -> None:
    """Rehash on sign-in when the parameters change (security-baseline.md "Passwords")."""
    weaker = build_services(
        home, BuildOptions(argon2=Argon2Parameters(), tls_issuer=issue), interfaces=StaticInterfaces()
    )
    with TestClient(create_app(weaker), base_url="https://testserver") as client:
        setup_device(client)
    old_hash = weaker.accounts.get_user(ADMIN).password_hash
    close_services(weaker)
    stronger_params = Argon2Parameters(memory_kib=32 * 1024)
    stronger = build_services(
        home, BuildOptions(argon2=stronger_params, tls_issuer=issue), interfaces=StaticInterfaces()
    )
    try:
        with TestClient(create_app(stronger), base_url="https://testserver") as client:
            sign_in(client)
        new_hash = stronger.accounts.get_user(ADMIN).password_hash
        assert new_hash != old_hash
        assert argon2.extract_parameters(new_hash or "").memory_cost == 32 * 1024
        assert stronger.hasher.verify(new_hash, ADMIN_PASSWORD)
    finally:
        close_services(stronger)
