"""Never a lockout by second factors: Mode 1 suspends the recovered account's factors (kept) and the report turns
them back on; every remembered browser is forgotten at the reset."""

from __future__ import annotations

from starlette.testclient import TestClient

from homeport.recovery import journal
from homeport.recovery.button import Decision
from homeport.services import Services
from tests.support.api import ADMIN, ADMIN_PASSWORD, error_code, sign_in
from tests.support.clock import FakeClock
from tests.support.factors import code_at, enrol_totp
from tests.support.recovery import browser, mode

NEW_PASSWORD = "a brand new secret pass"


def recover(services: Services, account: str = ADMIN) -> None:
    """The owner's way back: an empty-password sign-in on the LAN, the button's press, a new password."""
    with browser(services) as lan:
        login = lan.post("/api/v1/auth/login", json={"username": account, "password": ""})
        assert login.status_code == 200, login.text  # no second factor asked: the button stands in for it
        lan.headers["X-CSRF-Token"] = login.json()["csrf_token"]
        services.recovery_access.confirm_presence()
        done = lan.put("/api/v1/me/password", json={"current_password": "", "new_password": NEW_PASSWORD})
        assert done.status_code == 204, done.text


def login_status(services: Services, password: str, account: str = ADMIN) -> int:
    with browser(services) as lan:
        return lan.post("/api/v1/auth/login", json={"username": account, "password": password}).status_code


def test_mode_1_suspends_the_recovered_accounts_factors_and_the_report_turns_them_back_on(
    installed: TestClient, services: Services, clock: FakeClock
) -> None:
    secret, _ = enrol_totp(installed, clock)
    alice = services.accounts.get_user(ADMIN).id
    reset_id = mode(installed, services, Decision.MODE_1)
    assert services.factors.summary(alice).suspended is False  # the reset alone suspends nothing
    assert login_status(services, ADMIN_PASSWORD) == 202  # whoever knows the password still gives the code
    recover(services)
    summary = services.factors.summary(alice)
    assert summary.suspended and summary.totp and summary.recovery_codes_left == 10  # kept, not deleted
    with services.db.read() as conn:
        assert journal.find(conn, reset_id).before[journal.FACTORS_SUSPENDED] == ADMIN  # type: ignore[union-attr]
    record = next(r for r in services.audit.query(limit=20) if r.action == "recovery.password_set")
    assert record.detail["factors_suspended"] is True
    with browser(services) as owner:
        sign_in(owner, ADMIN, NEW_PASSWORD)  # 200: the password alone, while they are suspended
        items = {i["key"]: i for i in owner.get("/api/v1/recovery/report").json()["items"]}
        factors = items["factors"]
        assert factors["title"].startswith(f"Second factors of {ADMIN} are suspended")
        assert (factors["now"], factors["before"], factors["restorable"], factors["restored"]) == (
            "suspended", "on", True, False,
        )  # fmt: skip
        assert factors["action"] == "Turn them back on"
        page = owner.get("/recovery/report").text
        assert 'data-testid="restore-factors"' in page and "Turn them back on" in page
        assert owner.post(f"/api/v1/recovery/report/{reset_id}/restore/factors").status_code == 200
        assert services.factors.summary(alice).suspended is False
        factors = {i["key"]: i for i in owner.get("/api/v1/recovery/report").json()["items"]}["factors"]
        assert (factors["now"], factors["restorable"], factors["restored"]) == ("on", False, True)
        again = owner.post(f"/api/v1/recovery/report/{reset_id}/restore/factors")
        assert again.status_code == 409 and error_code(again) == "nothing_to_restore"
    with browser(services) as lan:
        step = lan.post("/api/v1/auth/login", json={"username": ADMIN, "password": NEW_PASSWORD})
        assert step.status_code == 202 and "totp" in step.json()["second_factor"]["methods"]
        done = lan.post("/api/v1/auth/second-factor", json={"method": "totp", "code": code_at(secret, clock)})
        assert done.status_code == 200, done.text
    assert any(r.action == "recovery.restored" and r.target == "factors" for r in services.audit.query(limit=30))


def test_an_account_without_factors_has_nothing_to_turn_back_on(installed: TestClient, services: Services) -> None:
    reset_id = mode(installed, services, Decision.MODE_1)
    recover(services)
    with services.db.read() as conn:
        assert journal.FACTORS_SUSPENDED not in journal.find(conn, reset_id).before  # type: ignore[union-attr]
    sign_in(installed, ADMIN, NEW_PASSWORD)
    keys = {i["key"] for i in installed.get("/api/v1/recovery/report").json()["items"]}
    assert "factors" not in keys
    refused = installed.post(f"/api/v1/recovery/report/{reset_id}/restore/factors")
    assert refused.status_code == 409 and error_code(refused) == "nothing_to_restore"


def test_the_owner_may_turn_them_back_on_from_their_own_page_instead(
    installed: TestClient, services: Services, clock: FakeClock
) -> None:
    enrol_totp(installed, clock)
    mode(installed, services, Decision.MODE_1)
    recover(services)
    with browser(services) as owner:
        sign_in(owner, ADMIN, NEW_PASSWORD)
        assert owner.post("/api/v1/me/factors/resume", json={"current_password": NEW_PASSWORD}).status_code == 204
        factors = {i["key"]: i for i in owner.get("/api/v1/recovery/report").json()["items"]}["factors"]
    assert (factors["now"], factors["restorable"]) == ("on", False)
    assert "were suspended by the recovery" in factors["title"]


def test_mode_1_forgets_every_remembered_browser(installed: TestClient, services: Services, clock: FakeClock) -> None:
    secret, _ = enrol_totp(installed, clock)
    changed = installed.patch(
        "/api/v1/settings/security", json={"remember_browser": True, "current_password": ADMIN_PASSWORD}
    )
    assert changed.status_code == 200, changed.text
    with browser(services) as lan:
        assert lan.post("/api/v1/auth/login", json={"username": ADMIN, "password": ADMIN_PASSWORD}).status_code == 202
        body = {"method": "totp", "code": code_at(secret, clock), "remember": True}
        assert lan.post("/api/v1/auth/second-factor", json=body).status_code == 200
        lan.cookies.delete("__Host-homeport_session")
        lan.headers.pop("X-CSRF-Token", None)
        assert lan.post("/api/v1/auth/login", json={"username": ADMIN, "password": ADMIN_PASSWORD}).status_code == 200
        reset_id = mode(installed, services, Decision.MODE_1)
        with services.db.read() as conn:
            assert conn.execute("SELECT COUNT(*) FROM remembered_browsers").fetchone()[0] == 0
            assert journal.find(conn, reset_id).before["remembered_browsers_forgotten"] == 1  # type: ignore[union-attr]
        again = lan.post("/api/v1/auth/login", json={"username": ADMIN, "password": ADMIN_PASSWORD})
        assert again.status_code == 202  # this browser is asked for the second step again
