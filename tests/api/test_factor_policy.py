"""The second-factor policy through the API: guarded by the current password, never a lockout (refused while no
administrator it covers has a factor), enforced at sign-in by an enrolment; and an administrator (or root) who
removes another account's factors."""

from __future__ import annotations

import pyotp
from starlette.testclient import TestClient

from homeport.services import Services
from tests.support.api import ADMIN, ADMIN_PASSWORD, create_user, error_code, sign_in
from tests.support.clock import FakeClock
from tests.support.factors import code_at, enrol_totp
from tests.support.recovery import browser

SECURITY = "/api/v1/settings/security"
BOB_PASSWORD = "a long one for b"


def test_a_policy_no_administrator_could_meet_is_refused(installed: TestClient, services: Services) -> None:
    refused = installed.patch(SECURITY, json={"second_factor_required": "administrators",
                                              "current_password": ADMIN_PASSWORD})  # fmt: skip
    assert refused.status_code == 409 and error_code(refused) == "no_administrator_with_factor"
    assert "none has one yet" in refused.json()["error"]["message"]
    everyone = installed.patch(
        SECURITY, json={"second_factor_required": "everyone", "current_password": ADMIN_PASSWORD}
    )
    assert everyone.status_code == 409
    assert services.settings.security().second_factor_required == "nobody"
    # A policy that leaves some administrator uncovered cannot lock anyone out: no factor is needed for it.
    chosen = installed.patch(SECURITY, json={"second_factor_required": "chosen", "second_factor_users": ["bob"],
                                             "current_password": ADMIN_PASSWORD})  # fmt: skip
    assert chosen.status_code == 200, chosen.text
    assert chosen.json()["second_factor_users"] == ["bob"]


def test_the_policy_needs_the_current_password_and_an_administrator_with_a_factor(
    installed: TestClient, services: Services, clock: FakeClock
) -> None:
    enrol_totp(installed, clock)
    bare = installed.patch(SECURITY, json={"second_factor_required": "administrators"})
    assert bare.status_code == 422 and "current_password" in bare.json()["error"]["fields"]
    wrong = installed.patch(SECURITY, json={"second_factor_required": "administrators", "current_password": "nope"})
    assert wrong.status_code == 422 and "current_password" in wrong.json()["error"]["fields"]
    assert services.settings.security().second_factor_required == "nobody"
    done = installed.patch(SECURITY, json={"second_factor_required": "administrators", "remember_browser": True,
                                           "current_password": ADMIN_PASSWORD})  # fmt: skip
    assert done.status_code == 200, done.text
    assert done.json()["second_factor_required"] == "administrators" and done.json()["remember_browser"] is True
    unknown = installed.patch(SECURITY, json={"second_factor_required": "chosen", "second_factor_groups": ["nosuch"],
                                              "current_password": ADMIN_PASSWORD})  # fmt: skip
    assert unknown.status_code == 422 and "second_factor_groups" in unknown.json()["error"]["fields"]


def test_an_administrator_without_a_factor_enrols_one_at_sign_in(
    installed: TestClient, services: Services, clock: FakeClock
) -> None:
    enrol_totp(installed, clock)
    create_user(installed, "carol", password="a long one for c", groups=["administrators"])
    policy = {"second_factor_required": "administrators", "current_password": ADMIN_PASSWORD}
    assert installed.patch(SECURITY, json=policy).status_code == 200
    with browser(services) as lan:
        step = lan.post("/api/v1/auth/login", json={"username": "carol", "password": "a long one for c"})
        assert step.status_code == 202, step.text
        assert step.json()["second_factor"]["must_enrol"] is True and step.json()["second_factor"]["methods"] == []
        assert lan.get("/api/v1/me").status_code == 401  # no session before the enrolment
        begun = lan.post("/api/v1/auth/enrol/totp")
        assert begun.status_code == 201, begun.text
        secret = begun.json()["secret"]
        wrong = lan.post("/api/v1/auth/enrol/totp/confirm", json={"code": "000000"})
        assert wrong.status_code == 422
        clock.advance(30)
        code = pyotp.TOTP(secret).at(clock.now())
        done = lan.post("/api/v1/auth/enrol/totp/confirm", json={"code": code})
        assert done.status_code == 200, done.text
        assert len(done.json()["recovery_codes"]) == 10
        lan.headers["X-CSRF-Token"] = done.json()["csrf_token"]
        assert lan.get("/api/v1/me/factors").json()["totp"] is True
    # bob is no administrator: the password is still his whole sign-in.
    with browser(services) as lan:
        assert lan.post("/api/v1/auth/login", json={"username": "bob", "password": BOB_PASSWORD}).status_code == 200
        again = lan.post("/api/v1/auth/login", json={"username": "carol", "password": "a long one for c"})
        assert again.status_code == 202 and again.json()["second_factor"]["methods"] == [
            "totp",
            "approval",
            "recovery_code",
        ]
        body = {"method": "totp", "code": code_at(secret, clock)}
        assert lan.post("/api/v1/auth/second-factor", json=body).status_code == 200


def test_an_administrator_removes_anothers_factors_after_giving_their_own_password(
    installed: TestClient, services: Services, clock: FakeClock
) -> None:
    with browser(services) as bob:
        sign_in(bob, "bob", BOB_PASSWORD)
        enrol_totp(bob, clock, BOB_PASSWORD)
    listed = installed.get("/api/v1/users/bob/factors").json()
    assert listed == {"user": "bob", "totp": True, "passkeys": 0, "recovery_codes_left": 10, "suspended": False,
                      "required": False}  # fmt: skip
    wrong = installed.request("DELETE", "/api/v1/users/bob/factors", json={"admin_password": "not mine"})
    assert wrong.status_code == 422 and "admin_password" in wrong.json()["error"]["fields"]
    empty = installed.request("DELETE", "/api/v1/users/bob/factors", json={"admin_password": ""})
    assert empty.status_code == 422
    assert installed.get("/api/v1/users/bob/factors").json()["totp"] is True
    done = installed.request("DELETE", "/api/v1/users/bob/factors", json={"admin_password": ADMIN_PASSWORD})
    assert done.status_code == 204
    assert installed.get("/api/v1/users/bob/factors").json()["recovery_codes_left"] == 0
    with browser(services) as lan:
        assert lan.post("/api/v1/auth/login", json={"username": "bob", "password": BOB_PASSWORD}).status_code == 200
    record = next(r for r in services.audit.query(limit=20) if r.action == "auth.factors_cleared")
    assert (record.actor, record.target) == (ADMIN, "bob")


def test_root_on_the_socket_removes_factors_without_a_password(
    installed: TestClient, local_client: TestClient, services: Services, clock: FakeClock
) -> None:
    enrol_totp(installed, clock)
    assert local_client.get(f"/api/v1/users/{ADMIN}/factors").json()["totp"] is True
    done = local_client.request("DELETE", f"/api/v1/users/{ADMIN}/factors", json={"admin_password": ""})
    assert done.status_code == 204, done.text
    assert services.factors.summary(services.accounts.get_user(ADMIN).id).any is False
    assert (
        local_client.request("DELETE", "/api/v1/users/nosuch/factors", json={"admin_password": ""}).status_code == 404
    )
