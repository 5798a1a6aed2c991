"""Second factors in the console: the Security page's policy fields (kept as typed when refused) and the user
page's "Second factors" section, where an administrator removes another account's factors."""

from __future__ import annotations

import re

import pytest
from starlette.testclient import TestClient

from homeport.services import Services
from tests.support.api import ADMIN, ADMIN_PASSWORD, create_user, setup_device, sign_in
from tests.support.clock import FakeClock
from tests.support.console import form_token, security_form, shown
from tests.support.factors import enrol_totp
from tests.support.recovery import browser

BOB_PASSWORD = "a long one for b"


@pytest.fixture
def owner(client: TestClient) -> TestClient:
    setup_device(client)
    sign_in(client)
    create_user(client, "bob", password=BOB_PASSWORD)
    client.follow_redirects = False
    return client


def checked_policy(page: str) -> list[str]:
    return re.findall(r'name="second_factor_required"\s+value="(\w+)" checked', page)


def test_the_security_page_shows_the_policy_and_keeps_what_was_typed_when_refused(
    owner: TestClient, services: Services, clock: FakeClock
) -> None:
    page = owner.get("/security").text
    assert checked_policy(page) == ["nobody"]
    for value in ("nobody", "administrators", "everyone", "chosen"):
        assert f'id="f-second_factor_required-{value}"' in page
    assert 'id="f-second_factor_users"' in page and 'id="f-second_factor_groups"' in page
    assert 'id="f-remember_browser"' in page and "remember this browser for 30 days" in page
    assert "Accounts here: alice, bob." in page  # what may be typed, without the built-in admin
    form = {**security_form(services), "csrf_token": form_token(page), "second_factor_required": "administrators",
            "remember_browser": "1", "current_password": ADMIN_PASSWORD}  # fmt: skip
    refused = shown(owner, owner.post("/security", data=form))
    assert refused.status_code == 409 and "none has one yet" in refused.text
    assert checked_policy(refused.text) == ["administrators"]  # as typed, not as saved
    assert re.search(r'id="f-remember_browser"[^>]*\s+checked', refused.text)
    assert ADMIN_PASSWORD not in refused.text
    assert services.settings.security().second_factor_required == "nobody"
    typo = {**form, "second_factor_required": "chosen", "second_factor_users": "bob\nbobby"}
    back = shown(owner, owner.post("/security", data=typo))
    assert back.status_code == 422 and re.search(
        r'id="e-second_factor_users">There is no account (&#39;|\')bobby', back.text
    )
    assert "bob\nbobby</textarea>" in back.text and checked_policy(back.text) == ["chosen"]
    enrol_totp(owner, clock)
    no_password = shown(owner, owner.post("/security", data={**form, "current_password": ""}))
    assert no_password.status_code == 422 and 'id="e-current_password"' in no_password.text
    saved = owner.post("/security", data=form)
    assert saved.status_code == 303 and saved.headers["location"] == "/security?done=settings-saved"
    settings = services.settings.security()
    assert settings.second_factor_required == "administrators" and settings.remember_browser is True
    page = owner.get("/security").text
    assert checked_policy(page) == ["administrators"]
    # The same form sent again changes nothing guarded: no password needed for the other settings.
    again = {**security_form(services), "csrf_token": form_token(page), "session_idle_minutes": "20"}
    assert owner.post("/security", data=again).headers["location"] == "/security?done=settings-saved"
    assert services.settings.security().session_idle_minutes == 20


def test_an_administrator_removes_anothers_factors_from_the_user_page(
    owner: TestClient, services: Services, clock: FakeClock
) -> None:
    page = owner.get("/users/bob").text
    assert 'data-testid="user-factors"' in page and 'data-testid="no-factors"' in page
    assert 'data-testid="user-factors-form"' not in page
    with browser(services) as bob:
        sign_in(bob, "bob", BOB_PASSWORD)
        enrol_totp(bob, clock, BOB_PASSWORD)
    page = owner.get("/users/bob").text
    assert re.search(r'data-testid="factor-totp"><span class="tag ok">on<', page)
    assert re.search(r'data-testid="factor-codes">10<', page)
    assert len(re.findall(r'id="f-(\w*admin_password)"', page)) == 2  # two forms, two distinct fields
    form = {"csrf_token": form_token(page), "factors_admin_password": "not my password"}
    wrong = shown(owner, owner.post("/users/bob/factors/clear", data=form))
    assert wrong.status_code == 422
    assert re.search(r'id="e-factors_admin_password">This is not your current password', wrong.text)
    assert 'id="e-admin_password"' not in wrong.text  # the set-password form is not blamed
    assert "not my password" not in wrong.text
    assert services.factors.summary(services.accounts.get_user("bob").id).totp is True
    done = owner.post("/users/bob/factors/clear", data={**form, "factors_admin_password": ADMIN_PASSWORD})
    assert done.status_code == 303 and done.headers["location"] == "/users/bob?done=factors-cleared"
    page = owner.get(done.headers["location"]).text
    assert "Every second factor of the account has been removed." in page and 'data-testid="no-factors"' in page
    with browser(services) as lan:
        assert lan.post("/api/v1/auth/login", json={"username": "bob", "password": BOB_PASSWORD}).status_code == 200


def test_the_user_page_says_when_a_reset_suspended_the_factors(
    owner: TestClient, services: Services, clock: FakeClock
) -> None:
    enrol_totp(owner, clock)
    alice = services.accounts.get_user(ADMIN).id
    with services.db.write() as conn:
        services.factors.suspend_in(conn, alice)
    page = owner.get(f"/users/{ADMIN}").text
    assert 'data-testid="factors-suspended"' in page and 'data-testid="user-factors-form"' in page


def test_the_users_list_marks_accounts_with_a_second_factor(owner: TestClient, clock: FakeClock) -> None:
    assert 'data-testid="second-factor"' not in owner.get("/users").text
    enrol_totp(owner, clock)
    rows = {row.split('href="/users/')[1].split('"')[0]: row for row in owner.get("/users").text.split("<tr")
            if 'href="/users/' in row}  # fmt: skip
    assert 'data-testid="second-factor"' in rows[ADMIN] and 'data-testid="second-factor"' not in rows["bob"]
