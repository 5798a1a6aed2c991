"""The recovery window trusts the owner's hand: an empty-password sign-in waits for a short press of the reset
button, two waiting sign-ins confirm nothing, and the recovery settings need the current password."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from homeport.recovery.access import PRESENCE_SECONDS
from homeport.recovery.button import Decision
from homeport.services import Services
from tests.support.api import ADMIN, ADMIN_PASSWORD, error_code, sign_in
from tests.support.clock import FakeClock
from tests.support.recovery import LAN_CLIENT, browser, mode

OTHER_LAN_CLIENT = ("192.168.1.66", 40000)
NEW_PASSWORD = {"current_password": "", "new_password": "a brand new secret pass"}


@pytest.fixture
def recovering(installed: TestClient, services: Services) -> Iterator[TestClient]:
    """Mode 1 has run; a browser on the LAN has signed in as `admin` with an empty password."""
    mode(installed, services, Decision.MODE_1)
    with browser(services) as lan:
        login = lan.post("/api/v1/auth/login", json={"username": "admin", "password": ""})
        assert login.status_code == 200, login.text
        lan.headers["X-CSRF-Token"] = login.json()["csrf_token"]
        yield lan


def leds(services: Services) -> list[str]:
    return [p.pattern for p in services.feedback.history if p.device == "led"]


def test_a_waiting_sign_in_shows_the_confirm_signal_and_may_not_set_a_password(
    recovering: TestClient, services: Services
) -> None:
    assert leds(services)[-1] == "confirm"
    page = recovering.get("/recovery/password")
    assert page.status_code == 200 and 'data-testid="presence-waiting"' in page.text
    assert 'http-equiv="refresh"' in page.text and "recovery-password-form" not in page.text
    refused = recovering.put("/api/v1/me/password", json=NEW_PASSWORD)
    assert refused.status_code == 403 and error_code(refused) == "recovery_presence_required"
    form = {"csrf_token": recovering.headers["X-CSRF-Token"], "new_password": "x" * 20, "new_password_again": "x" * 20}
    assert 'data-testid="presence-waiting"' in recovering.post("/recovery/password", data=form).text
    assert services.accounts.get_user("admin").password_hash is None


def test_one_waiting_sign_in_is_confirmed_by_a_short_press(recovering: TestClient, services: Services) -> None:
    services.recovery_access.confirm_presence()
    assert leds(services)[-1] == "recovery"
    page = recovering.get("/recovery/password")
    assert "recovery-password-form" in page.text and "http-equiv" not in page.text
    assert recovering.put("/api/v1/me/password", json=NEW_PASSWORD).status_code == 204
    actions = [r.action for r in services.audit.query(limit=10)]
    assert "recovery.presence_confirmed" in actions and "recovery.password_set" in actions


def test_two_waiting_sign_ins_confirm_nothing_and_both_end(recovering: TestClient, services: Services) -> None:
    with browser(services, OTHER_LAN_CLIENT) as intruder:
        login = intruder.post("/api/v1/auth/login", json={"username": ADMIN, "password": ""})
        assert login.status_code == 200
        intruder.headers["X-CSRF-Token"] = login.json()["csrf_token"]
        services.recovery_access.confirm_presence()
        for client in (recovering, intruder):
            ended = client.get("/api/v1/me")
            assert ended.status_code == 401 and error_code(ended) == "recovery_presence_ambiguous"
            assert "More than one recovery sign-in" in ended.json()["error"]["message"]
            page = client.get("/recovery/password")
            assert page.status_code == 200 and "none was confirmed" in page.text  # followed to the sign-in page
            assert client.put("/api/v1/me/password", json=NEW_PASSWORD).status_code == 401
    record = next(r for r in services.audit.query(limit=20) if r.action == "recovery.presence_ambiguous")
    assert record.outcome == "failure"
    assert sorted(s["client"] for s in record.detail["sign_ins"]) == [LAN_CLIENT[0], OTHER_LAN_CLIENT[0]]
    assert services.accounts.get_user("admin").password_hash is None
    assert services.device.state() == "recovery"  # the owner signs in again, alone, and presses again


def test_a_press_after_two_minutes_confirms_nothing(
    recovering: TestClient, services: Services, clock: FakeClock
) -> None:
    clock.advance(PRESENCE_SECONDS + 1)
    services.recovery_access.confirm_presence()
    ended = recovering.get("/api/v1/me")
    assert ended.status_code == 401 and error_code(ended) == "recovery_presence_timeout"
    assert "not pressed in time" in recovering.get("/login").text


def test_no_press_at_all_ends_the_sign_in_after_two_minutes(
    recovering: TestClient, services: Services, clock: FakeClock
) -> None:
    clock.advance(PRESENCE_SECONDS - 1)
    assert 'data-testid="presence-waiting"' in recovering.get("/recovery/password").text
    clock.advance(2)
    assert services.recovery_access.expire_waiting() == 1
    assert leds(services)[-1] == "recovery"
    ended = recovering.put("/api/v1/me/password", json=NEW_PASSWORD)
    assert ended.status_code == 401 and error_code(ended) == "recovery_presence_timeout"
    assert any(r.action == "recovery.presence_timeout" for r in services.audit.query(limit=10))


def test_a_press_with_nobody_waiting_changes_nothing(installed: TestClient, services: Services) -> None:
    mode(installed, services, Decision.MODE_1)
    before = services.audit.query(limit=1)[0].id
    services.recovery_access.confirm_presence()
    assert services.audit.query(limit=1)[0].id == before


def test_recovery_settings_need_the_current_password(installed: TestClient, services: Services) -> None:
    for change in ({"recovery_button_confirmation": False}, {"recovery_window_minutes": 60}):
        missing = installed.patch("/api/v1/settings/security", json=change)
        assert missing.status_code == 422 and "current_password" in missing.json()["error"]["fields"]
        wrong = installed.patch("/api/v1/settings/security", json={**change, "current_password": "not it at all"})
        assert wrong.status_code == 422 and "current_password" in wrong.json()["error"]["fields"]
    assert services.settings.security().recovery_button_confirmation is True
    assert services.settings.security().recovery_window_minutes == 30
    # Unchanged recovery values and other settings need no password; a bad value costs no verification.
    same = installed.patch("/api/v1/settings/security", json={"recovery_window_minutes": 30, "auto_block_minutes": 45})
    assert same.status_code == 200
    bad = installed.patch("/api/v1/settings/security", json={"recovery_window_minutes": 500})
    assert bad.status_code == 422 and "recovery_window_minutes" in bad.json()["error"]["fields"]
    done = installed.patch(
        "/api/v1/settings/security",
        json={"recovery_button_confirmation": False, "recovery_window_minutes": 60, "current_password": ADMIN_PASSWORD},
    )
    assert done.status_code == 200 and done.json()["recovery_button_confirmation"] is False
    record = next(r for r in services.audit.query(limit=5) if r.action == "settings.security_changed")
    assert record.detail["fields"] == ["recovery_button_confirmation", "recovery_window_minutes"]


def test_root_on_the_machine_changes_recovery_settings_without_a_password(
    installed: TestClient, local_client: TestClient, services: Services
) -> None:
    answer = local_client.patch("/api/v1/settings/security", json={"recovery_button_confirmation": False})
    assert answer.status_code == 200
    assert services.settings.security().recovery_button_confirmation is False


def test_with_the_press_waived_a_recovery_sign_in_may_set_a_password_at_once(
    installed: TestClient, services: Services
) -> None:
    body = {"recovery_button_confirmation": False, "current_password": ADMIN_PASSWORD}
    assert installed.patch("/api/v1/settings/security", json=body).status_code == 200
    mode(installed, services, Decision.MODE_1)
    with browser(services) as lan:
        login = lan.post("/api/v1/auth/login", json={"username": "admin", "password": ""})
        assert login.json()["awaiting_presence"] is False
        lan.headers["X-CSRF-Token"] = login.json()["csrf_token"]
        assert lan.put("/api/v1/me/password", json=NEW_PASSWORD).status_code == 204
    assert "confirm" not in leds(services)


def test_the_security_page_asks_for_the_password_to_change_recovery_settings(
    installed: TestClient, services: Services
) -> None:
    from tests.api.test_console_pages import security_form

    with browser(services) as page:
        sign_in(page)
        token = page.get("/security")
        assert 'name="recovery_window_minutes"' in token.text and 'name="current_password"' in token.text
        csrf = page.headers["X-CSRF-Token"]
        form = {**security_form(services), "csrf_token": csrf, "recovery_window_minutes": "45"}
        refused = page.post("/security", data=form)
        assert refused.status_code == 422 and 'value="45"' in refused.text
        assert "current password to change the recovery or second-factor settings" in refused.text
        assert services.settings.security().recovery_window_minutes == 30
        saved = page.post("/security", data={**form, "current_password": ADMIN_PASSWORD}, follow_redirects=False)
        assert saved.status_code == 303
        assert services.settings.security().recovery_window_minutes == 45


def test_an_empty_password_through_a_trusted_proxy_is_refused_even_unnamed(
    installed: TestClient, services: Services
) -> None:
    body = {"trusted_proxies": [LAN_CLIENT[0]]}
    assert installed.patch("/api/v1/settings/security", json=body).status_code == 200
    mode(installed, services, Decision.MODE_1)
    with browser(services) as proxy:
        for headers in ({}, {"X-Forwarded-For": "unknown"}, {"Forwarded": "for=_hidden"}, {"X-Real-IP": "x"}):
            answer = proxy.post("/api/v1/auth/login", json={"username": "admin", "password": ""}, headers=headers)
            assert answer.status_code == 403 and error_code(answer) == "recovery_local_only", headers


def test_an_empty_password_that_reached_an_unmanaged_address_is_refused(
    installed: TestClient, services: Services
) -> None:
    """A LAN source address is not enough: the connection must have reached the managed interface."""
    mode(installed, services, Decision.MODE_1)
    with browser(services, device="10.9.0.1") as tunneled:
        answer = tunneled.post("/api/v1/auth/login", json={"username": "admin", "password": ""})
        assert answer.status_code == 403 and error_code(answer) == "recovery_local_only"


def test_recovery_sessions_end_with_the_window(recovering: TestClient, services: Services, clock: FakeClock) -> None:
    services.recovery_access.confirm_presence()
    assert recovering.get("/api/v1/me").status_code == 200
    clock.advance(30 * 60)
    assert services.recovery.close_window_if_due() is True
    assert recovering.get("/api/v1/me").status_code == 401


def test_the_sign_in_page_says_once_why_a_waiting_sign_in_ended(recovering: TestClient, services: Services) -> None:
    with browser(services, OTHER_LAN_CLIENT) as other:
        other.post("/api/v1/auth/login", json={"username": ADMIN, "password": ""})
        services.recovery_access.confirm_presence()
    page = recovering.get("/recovery/password")  # followed to the sign-in page
    assert page.url.path == "/login" and page.text.count("none was confirmed") == 1
    with browser(services) as stranger:  # a link cannot make the message appear
        assert "none was confirmed" not in stranger.get("/login?ended=recovery_presence_ambiguous").text
