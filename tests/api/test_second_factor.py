"""Sign-in with a second step, through the API: 202 and a pre-authentication cookie that opens nothing else, a
second call that completes it, counters cleared only by the whole sign-in, recovery codes, remembered browsers."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pyotp
import pytest
from starlette.testclient import TestClient

from homeport.auth.pending import PREAUTH_COOKIE
from homeport.auth.remembered import REMEMBER_COOKIE
from homeport.http.cookies import SESSION_COOKIE
from homeport.services import Services
from tests.support.api import ADMIN, ADMIN_PASSWORD, error_code
from tests.support.clock import FakeClock
from tests.support.recovery import browser

STEP = 30


def enrol_totp(owner: TestClient, clock: FakeClock) -> tuple[pyotp.TOTP, list[str]]:
    """alice sets up an app; returns it and her recovery codes. The clock then moves past that code's window."""
    begun = owner.post("/api/v1/me/totp", json={"current_password": ADMIN_PASSWORD})
    assert begun.status_code == 201, begun.text
    app = pyotp.TOTP(begun.json()["secret"])
    assert "<svg" in begun.json()["qr_svg"] and begun.json()["otpauth_uri"].startswith("otpauth://totp/")
    confirmed = owner.post("/api/v1/me/totp/confirm", json={"code": app.at(clock.now())})
    assert confirmed.status_code == 200, confirmed.text
    codes: list[str] = confirmed.json()["recovery_codes"]
    clock.advance(3 * STEP)
    return app, codes


def password_step(client: TestClient, user: str = ADMIN, password: str = ADMIN_PASSWORD) -> Any:
    return client.post("/api/v1/auth/login", json={"username": user, "password": password})


@pytest.fixture
def with_app(installed: TestClient, clock: FakeClock) -> tuple[TestClient, pyotp.TOTP, list[str]]:
    app, codes = enrol_totp(installed, clock)
    return installed, app, codes


@pytest.fixture
def stranger(services: Services) -> Iterator[TestClient]:
    with browser(services, client=("192.168.1.77", 40000)) as client:
        yield client


def test_a_right_password_answers_202_and_no_session(with_app: Any, stranger: TestClient) -> None:
    answer = password_step(stranger)
    assert answer.status_code == 202, answer.text
    assert answer.json() == {
        "second_factor": {"methods": ["totp", "approval", "recovery_code"], "expires_in": 300, "must_enrol": False}
    }  # approval: alice is signed in elsewhere (the owner's browser), which can approve
    assert SESSION_COOKIE not in stranger.cookies and PREAUTH_COOKIE in stranger.cookies
    assert "HttpOnly" in answer.headers["set-cookie"] and "SameSite=strict" in answer.headers["set-cookie"]
    assert stranger.get("/api/v1/me").status_code == 401


def test_the_code_completes_the_sign_in_once(with_app: Any, stranger: TestClient, clock: FakeClock) -> None:
    _, app, _ = with_app
    password_step(stranger)
    wrong = stranger.post("/api/v1/auth/second-factor", json={"method": "totp", "code": "000000"})
    assert wrong.status_code == 401 and error_code(wrong) == "wrong_code"
    assert re.search(r"clock reads \d\d:\d\d:\d\d UTC", wrong.json()["error"]["message"])
    done = stranger.post("/api/v1/auth/second-factor", json={"method": "totp", "code": app.at(clock.now())})
    assert done.status_code == 200, done.text
    assert done.json()["user"]["name"] == ADMIN and done.json()["csrf_token"]
    assert SESSION_COOKIE in stranger.cookies and PREAUTH_COOKIE not in stranger.cookies
    assert stranger.get("/api/v1/me").status_code == 200
    # The waiting sign-in is spent: the same code (or any) cannot complete it again.
    again = stranger.post("/api/v1/auth/second-factor", json={"method": "totp", "code": app.at(clock.now())})
    assert again.status_code == 401


def test_the_waiting_sign_in_expires_and_is_bound_to_its_address(
    with_app: Any, stranger: TestClient, services: Services, clock: FakeClock
) -> None:
    _, app, _ = with_app
    password_step(stranger)
    cookie = stranger.cookies[PREAUTH_COOKIE]
    with browser(services, client=("192.168.1.78", 40000)) as elsewhere:
        elsewhere.cookies.set(PREAUTH_COOKIE, cookie)
        moved = elsewhere.post("/api/v1/auth/second-factor", json={"method": "totp", "code": app.at(clock.now())})
        assert moved.status_code == 401 and error_code(moved) == "second_step_expired"
    clock.advance(301)
    late = stranger.post("/api/v1/auth/second-factor", json={"method": "totp", "code": app.at(clock.now())})
    assert late.status_code == 401 and error_code(late) == "second_step_expired"


def test_a_method_the_account_lacks_is_refused(with_app: Any, stranger: TestClient) -> None:
    password_step(stranger)
    answer = stranger.post("/api/v1/auth/second-factor", json={"method": "passkey", "code": "x"})
    assert answer.status_code == 422


def test_recovery_codes_work_once_and_say_how_many_are_left(with_app: Any, stranger: TestClient) -> None:
    _, _, codes = with_app
    assert len(codes) == 10
    password_step(stranger)
    done = stranger.post("/api/v1/auth/second-factor", json={"method": "recovery_code", "code": codes[0]})
    assert done.status_code == 200 and done.json()["recovery_codes_left"] == 9
    stranger.cookies.clear()
    password_step(stranger)
    spent = stranger.post("/api/v1/auth/second-factor", json={"method": "recovery_code", "code": codes[0]})
    assert spent.status_code == 401 and "used already" in spent.json()["error"]["message"]


def test_counters_are_cleared_only_by_the_whole_sign_in(with_app: Any, stranger: TestClient, clock: FakeClock) -> None:
    _, app, _ = with_app
    for _ in range(4):
        assert password_step(stranger, password="a wrong guess").status_code == 401
    assert password_step(stranger).status_code == 202  # the password was right: the four still count
    wrong = stranger.post("/api/v1/auth/second-factor", json={"method": "totp", "code": "000000"})
    assert wrong.status_code == 401  # the fifth failure for alice from this address
    held = stranger.post("/api/v1/auth/second-factor", json={"method": "totp", "code": app.at(clock.now())})
    assert held.status_code == 429 and error_code(held) == "account_protection"


def test_a_full_sign_in_clears_them(with_app: Any, stranger: TestClient, clock: FakeClock) -> None:
    _, app, _ = with_app
    for _ in range(4):
        password_step(stranger, password="a wrong guess")
    password_step(stranger)
    code = {"method": "totp", "code": app.at(clock.now())}
    assert stranger.post("/api/v1/auth/second-factor", json=code).status_code == 200
    stranger.cookies.clear()
    for _ in range(4):
        assert password_step(stranger, password="a wrong guess").status_code == 401
    assert password_step(stranger).status_code == 202


def test_the_pre_authentication_cookie_opens_no_other_route(with_app: Any, stranger: TestClient) -> None:
    """Walk every operation of the OpenAPI document with only the waiting sign-in's cookie: none succeeds
    except the sign-in's own steps and the public ones."""
    owner, _, _ = with_app
    public = {("GET", "/api/v1/system"), ("GET", "/api/v1/health"), ("POST", "/api/v1/auth/login"),
              ("POST", "/api/v1/setup"), ("POST", "/api/v1/network/confirm")}  # fmt: skip
    assert password_step(stranger).status_code == 202
    document = owner.get("/api/v1/openapi.json").json()
    walked = 0
    for path, operations in document["paths"].items():
        for method in operations:
            if method.upper() not in ("GET", "POST", "PUT", "PATCH", "DELETE"):
                continue
            if path.startswith("/api/v1/auth/") and path != "/api/v1/auth/logout":
                continue  # the second step's own routes (tested above) and sign-in itself
            if (method.upper(), path) in public or path.startswith("/api/v1/setup"):
                continue  # public, or the setup wizard's (a set-up device refuses those to everyone)
            concrete = re.sub(r"\{[^}]+\}", "1", path)
            answer = stranger.request(method.upper(), concrete, json={})
            walked += 1
            assert answer.status_code in (401, 403, 404, 405, 409, 422), (method, path, answer.status_code, answer.text)
            assert answer.status_code != 200
            if answer.status_code in (403, 404, 409, 422):
                # Refused, but never for a reason that means "signed in": only for missing CSRF or a bad body.
                assert error_code(answer) in (
                    "csrf_token_missing",
                    "validation_error",
                    "not_found",
                    "not_installed",
                    "cross_site",
                    "origin_mismatch",
                ), (method, path, answer.text)
    assert walked > 40


def test_remembered_browser_skips_the_step_until_the_password_changes(
    with_app: Any, stranger: TestClient, clock: FakeClock
) -> None:
    owner, app, _ = with_app
    turned_on = owner.patch(
        "/api/v1/settings/security", json={"remember_browser": True, "current_password": ADMIN_PASSWORD}
    )
    assert turned_on.status_code == 200, turned_on.text
    password_step(stranger)
    done = stranger.post(
        "/api/v1/auth/second-factor", json={"method": "totp", "code": app.at(clock.now()), "remember": True}
    )
    assert done.status_code == 200 and REMEMBER_COOKIE in stranger.cookies
    assert len(owner.get("/api/v1/me/factors").json()["remembered_browsers"]) == 1
    stranger.cookies.delete(SESSION_COOKIE)
    assert password_step(stranger).status_code == 200  # remembered: no second step
    # A password change forgets every remembered browser.
    changed = owner.put(
        "/api/v1/me/password",
        json={"current_password": ADMIN_PASSWORD, "new_password": "another long passphrase here"},
    )
    assert changed.status_code == 204
    stranger.cookies.delete(SESSION_COOKIE)
    assert password_step(stranger, password="another long passphrase here").status_code == 202


def test_changes_of_methods_need_a_recent_password(with_app: Any, clock: FakeClock) -> None:
    owner, _, _ = with_app
    clock.advance(301)  # the sign-in's proof is older than 5 minutes now
    refused = owner.post("/api/v1/me/recovery-codes", json={})
    assert refused.status_code == 422 and "current_password" in refused.json()["error"]["fields"]
    wrong = owner.post("/api/v1/me/recovery-codes", json={"current_password": "not it at all"})
    assert wrong.status_code == 422
    fresh = owner.post("/api/v1/me/recovery-codes", json={"current_password": ADMIN_PASSWORD})
    assert fresh.status_code == 200 and len(fresh.json()["recovery_codes"]) == 10
    assert owner.post("/api/v1/me/recovery-codes", json={}).status_code == 200  # within 5 minutes of the password
    assert owner.get("/api/v1/me/factors").json()["recovery_codes_left"] == 10


def test_removing_the_app_needs_proof_and_then_the_password_is_enough(
    with_app: Any, stranger: TestClient, clock: FakeClock
) -> None:
    owner, _, _ = with_app
    clock.advance(301)
    assert owner.request("DELETE", "/api/v1/me/totp", json={}).status_code == 422
    assert owner.request("DELETE", "/api/v1/me/totp", json={"current_password": ADMIN_PASSWORD}).status_code == 204
    assert password_step(stranger).status_code == 200
    log = owner.get("/api/v1/log", params={"limit": 20}).json()
    assert {"auth.totp_added", "auth.totp_removed"} <= {r["action"] for r in log}


def test_a_second_setup_of_the_app_is_refused_while_one_is_on(with_app: Any) -> None:
    owner, _, _ = with_app
    answer = owner.post("/api/v1/me/totp", json={"current_password": ADMIN_PASSWORD})
    assert answer.status_code == 409 and error_code(answer) == "totp_exists"


def test_the_policy_enrols_an_account_that_has_no_factor(installed: TestClient, services: Services,
                                                         clock: FakeClock) -> None:  # fmt: skip
    """bob must have a second factor and has none: the password leads to a setup he cannot skip."""
    enrol_totp(installed, clock)  # alice has one, so the guardrail lets the policy through
    policy = {"second_factor_required": "everyone", "current_password": ADMIN_PASSWORD}
    assert installed.patch("/api/v1/settings/security", json=policy).status_code == 200
    with browser(services, client=("192.168.1.79", 40000)) as bob:
        waiting = password_step(bob, "bob", "a long one for b")
        assert waiting.status_code == 202 and waiting.json()["second_factor"]["must_enrol"] is True
        assert bob.get("/api/v1/me/factors").status_code == 401
        secret = bob.post("/api/v1/auth/enrol/totp")
        assert secret.status_code == 201
        app = pyotp.TOTP(secret.json()["secret"])
        done = bob.post("/api/v1/auth/enrol/totp/confirm", json={"code": app.at(clock.now())})
        assert done.status_code == 200, done.text
        assert len(done.json()["recovery_codes"]) == 10
        assert bob.get("/api/v1/me/factors").json()["totp"] is True


def test_factors_a_reset_suspended_are_not_asked_even_under_the_policy(
    with_app: Any, stranger: TestClient, services: Services, clock: FakeClock
) -> None:
    owner, old_app, _ = with_app
    policy = {"second_factor_required": "administrators", "current_password": ADMIN_PASSWORD}
    assert owner.patch("/api/v1/settings/security", json=policy).status_code == 200
    with services.db.write() as conn:  # what Mode 1 does to the recovered account
        conn.execute("UPDATE users SET factors_suspended = 1 WHERE name = ?", (ADMIN,))
    assert password_step(stranger).status_code == 200  # suspended: the password is enough until turned back on
    assert owner.get("/api/v1/me/factors").json()["suspended"] is True
    assert owner.post("/api/v1/me/factors/resume", json={"current_password": ADMIN_PASSWORD}).status_code == 204
    stranger.cookies.clear()
    assert password_step(stranger).status_code == 202
    done = stranger.post("/api/v1/auth/second-factor", json={"method": "totp", "code": old_app.at(clock.now())})
    assert done.status_code == 200  # the very same app as before the reset


def test_removing_the_last_factor_removes_its_recovery_codes(
    with_app: Any, stranger: TestClient, clock: FakeClock
) -> None:
    owner, _, old_codes = with_app
    assert owner.request("DELETE", "/api/v1/me/totp", json={"current_password": ADMIN_PASSWORD}).status_code == 204
    assert owner.get("/api/v1/me/factors").json()["recovery_codes_left"] == 0
    again = owner.post("/api/v1/me/totp", json={})
    app = pyotp.TOTP(again.json()["secret"])
    fresh = owner.post("/api/v1/me/totp/confirm", json={"code": app.at(clock.now())}).json()["recovery_codes"]
    assert len(fresh) == 10 and not set(fresh) & set(old_codes)  # a new set, shown once; the old one is dead
    password_step(stranger)
    old = stranger.post("/api/v1/auth/second-factor", json={"method": "recovery_code", "code": old_codes[1]})
    assert old.status_code == 401


def test_mode_2_takes_every_second_factor_and_its_backup_brings_none_back(with_app: Any, services: Services) -> None:
    from homeport.recovery.button import Decision
    from tests.support.recovery import mode

    owner, _, _ = with_app
    with services.db.write() as conn:  # the built-in admin's own factors go too (it is the one account kept)
        conn.execute("INSERT INTO recovery_codes (user_id, digest, created_at) SELECT id, 'x', 0 FROM users"
                     " WHERE builtin = 1")  # fmt: skip
    mode(owner, services, Decision.MODE_2)
    with services.db.read() as conn:
        for table in ("totp_factors", "recovery_codes", "passkeys", "remembered_browsers"):
            assert conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] == 0, table
    with browser(services) as wizard:
        backup = wizard.get("/api/v1/setup/found").json()["backups"][0]["id"]
        chosen = {"backup": backup, "administrator": ADMIN, "password": "a fresh admin password"}
        restored = wizard.post("/api/v1/setup/restore", json=chosen)
        assert restored.status_code == 201, restored.text
        assert password_step(wizard, ADMIN, "a fresh admin password").status_code == 200
