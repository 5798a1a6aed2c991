"""The console's server-rendered pages work with plain form posts (no JavaScript)."""

from __future__ import annotations

import dataclasses
import re

import pytest
from starlette.testclient import TestClient

from homeport.services import Services
from tests.support.api import ADMIN, ADMIN_PASSWORD, setup_device
from tests.support.console import form_token, security_form, shown
from tests.support.recovery import browser as lan_browser

FORM = {"content-type": "application/x-www-form-urlencoded"}


@pytest.fixture
def browser(client: TestClient) -> TestClient:
    client.follow_redirects = False
    return client


def sign_in_form(browser: TestClient, user: str = ADMIN, password: str = ADMIN_PASSWORD) -> str:
    answer = browser.post("/login", data={"username": user, "password": password, "next": "/"})
    assert answer.status_code == 303, answer.text
    return form_token(browser.get("/").text)


def test_a_fresh_device_sends_every_page_to_the_wizard(browser: TestClient) -> None:
    for path in ("/", "/login", "/users"):
        answer = browser.get(path)
        assert answer.status_code == 303 and answer.headers["location"] == "/setup"
    page = browser.get("/setup")
    assert page.status_code == 200 and 'data-testid="setup-form"' in page.text


def test_the_wizard_checks_the_repeated_password_and_keeps_what_was_typed(browser: TestClient) -> None:
    answer = shown(browser, browser.post(
        "/setup", data={"name": "nas", "username": ADMIN, "password": ADMIN_PASSWORD, "password_again": "different"}
    ))  # fmt: skip
    assert answer.status_code == 422
    assert "type the same password twice" in answer.text
    assert f'value="{ADMIN}"' in answer.text
    assert ADMIN_PASSWORD not in answer.text  # passwords are never echoed back


def test_the_wizard_then_sign_in_then_overview(browser: TestClient, services: Services) -> None:
    done = browser.post(
        "/setup", data={"name": "nas", "username": ADMIN, "password": ADMIN_PASSWORD, "password_again": ADMIN_PASSWORD}
    )
    assert done.status_code == 303 and done.headers["location"] == f"/login?done=setup&username={ADMIN}"
    assert services.device.state() == "ready"
    assert browser.get("/setup").headers["location"] == "/"
    sign_in_form(browser)
    overview = browser.get("/")
    assert overview.status_code == 200
    assert 'data-testid="device-name">nas<' in overview.text
    assert 'data-testid="device-state" title="Device state">ready<' in overview.text
    assert "volume1" in overview.text
    assert "system.setup" in overview.text  # recent events


def test_wrong_credentials_show_one_message_on_the_page(browser: TestClient) -> None:
    setup_device(browser)
    answer = shown(browser, browser.post("/login", data={"username": ADMIN, "password": "wrong wrong wrong"}))
    assert answer.status_code == 401
    assert "The user name or password is wrong" in answer.text
    # The name is kept and the password field has the focus, ready for another try.
    assert f'value="{ADMIN}"' in answer.text
    assert re.search(r'id="f-password"[^>]*autofocus', answer.text)


def test_forms_without_the_token_are_refused(browser: TestClient, services: Services) -> None:
    setup_device(browser)
    sign_in_form(browser)
    answer = shown(browser, browser.post("/users", data={"name": "bob", "password": "a long enough password"}))
    assert answer.status_code == 403
    assert "This form had expired" in answer.text and 'value="bob"' in answer.text  # what was typed is kept
    assert [u.name for u in services.accounts.list_users()] == ["admin", ADMIN]


def test_create_a_user_from_the_form(browser: TestClient, services: Services) -> None:
    setup_device(browser)
    token = sign_in_form(browser)
    bad = shown(browser, browser.post("/users", data={"csrf_token": token, "name": "Bob!", "password": "short"}))
    assert bad.status_code == 422 and "field-error" in bad.text
    good = browser.post(
        "/users",
        data={
            "csrf_token": token,
            "name": "bob",
            "full_name": "Bob",
            "password": "a long enough password",
            "groups": "administrators",
            "must_change_password": "1",
        },
    )
    assert good.status_code == 303
    bob = services.accounts.get_user("bob")
    assert bob.is_admin and bob.must_change_password


def test_a_forced_password_change_comes_first(browser: TestClient, services: Services) -> None:
    setup_device(browser)
    token = sign_in_form(browser)
    browser.post(
        "/users",
        data={"csrf_token": token, "name": "bob", "password": "a temporary password", "must_change_password": "1"},
    )
    browser.cookies.clear()
    signed_in = browser.post("/login", data={"username": "bob", "password": "a temporary password"})
    assert signed_in.headers["location"] == "/password"
    assert browser.get("/").headers["location"] == "/password"
    page = browser.get("/password")
    token = form_token(page.text)
    changed = browser.post(
        "/password",
        data={
            "csrf_token": token,
            "current_password": "a temporary password",
            "new_password": "a passphrase of my own",
            "new_password_again": "a passphrase of my own",
        },
    )
    assert changed.status_code == 303
    assert browser.get("/").status_code == 200
    assert not services.accounts.get_user("bob").must_change_password


def test_the_guardrail_message_reaches_the_page(browser: TestClient) -> None:
    setup_device(browser)
    token = sign_in_form(browser)
    answer = shown(browser, browser.post(f"/users/{ADMIN}", data={"csrf_token": token, "admin": "1"}))  # not enabled
    assert answer.status_code == 409
    assert "last enabled administrator" in answer.text


def test_sign_out_ends_the_session(browser: TestClient, services: Services) -> None:
    setup_device(browser)
    token = sign_in_form(browser)
    answer = browser.post("/logout", data={"csrf_token": token})
    assert answer.status_code == 303 and answer.headers["location"] == "/login?done=signed-out"
    assert services.sessions.list() == []


def test_next_never_leaves_the_device(browser: TestClient) -> None:
    setup_device(browser)
    for target in ("//evil.example/", "https://evil.example/", "\\\\evil"):
        answer = browser.post("/login", data={"username": ADMIN, "password": ADMIN_PASSWORD, "next": target})
        assert answer.headers["location"] == "/"


def test_the_ca_certificate_is_downloadable_from_the_sign_in_page(browser: TestClient, services: Services) -> None:
    setup_device(browser)
    assert 'href="/ca.crt"' in browser.get("/login").text
    answer = browser.get("/ca.crt")
    assert answer.status_code == 200
    assert answer.content == services.tls.ca_cert_path.read_bytes()
    assert answer.headers["content-type"] == "application/x-x509-ca-cert"


def test_non_administrators_do_not_get_management_pages(browser: TestClient) -> None:
    setup_device(browser)
    token = sign_in_form(browser)
    browser.post("/users", data={"csrf_token": token, "name": "bob", "password": "a long enough password"})
    browser.cookies.clear()
    browser.post("/login", data={"username": "bob", "password": "a long enough password"})
    assert browser.get("/users").status_code == 403
    assert browser.get("/log").status_code == 403
    assert browser.get("/account").status_code == 200
    assert 'href="/users"' not in browser.get("/").text


def test_unknown_pages_get_an_html_answer_and_unknown_api_paths_json(browser: TestClient) -> None:
    page = browser.get("/no-such-page")
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html") and "There is no such page" in page.text
    api = browser.get("/api/v1/no-such-thing")
    assert api.status_code == 404 and api.json()["error"]["code"] == "not_found"


def test_the_security_page_saves_settings_and_lifts_blocks(browser: TestClient, services: Services) -> None:
    setup_device(browser)
    token = sign_in_form(browser)
    services.throttle.blocklist.add("198.51.100.7", 1800, "10 failed sign-ins")
    page = browser.get("/security")
    assert page.status_code == 200 and "198.51.100.7" in page.text
    form = security_form(services)
    bad = shown(browser, browser.post("/security", data={**form, "csrf_token": token, "session_idle_minutes": "soon"}))
    assert bad.status_code == 422 and 'value="soon"' in bad.text
    assert services.settings.security().session_idle_minutes == 15
    saved = browser.post(
        "/security",
        data={
            **form,
            "csrf_token": token,
            "session_idle_minutes": "30",
            "auto_block_enabled": "1",
            "allow_list": "192.168.1.5\n10.0.0.0/8",
        },
    )
    assert saved.status_code == 303
    settings = services.settings.security()
    assert settings.session_idle_minutes == 30 and settings.allow_list == ("10.0.0.0/8", "192.168.1.5/32")
    unblocked = browser.post("/security/unblock", data={"csrf_token": token, "address": "198.51.100.7"})
    assert unblocked.status_code == 303
    assert services.throttle.blocklist.active() == []


def test_the_overview_shows_the_reset_button_and_its_virtual_signals(browser: TestClient, services: Services) -> None:
    setup_device(browser)
    sign_in_form(browser)
    services.feedback.play("one-beep")
    page = browser.get("/").text
    assert 'data-testid="hardware"' in page and "virtual" in page
    assert "buzzer: one-beep" in page and "led: one-beep" in page


class NameTaken:
    """The advertiser once another device on the LAN had the name first: it announces `<name>-2.local`."""

    def host_for(self, name: str) -> str | None:
        return f"{name}-2"


def test_the_wizard_shows_the_local_name_the_lan_really_knows(services: Services) -> None:
    name = services.device.name()
    assert name.startswith("homeport-")  # a fresh device's own name, from its hardware
    with lan_browser(services) as fresh:
        assert f'data-testid="local-name">{name}.local<' in fresh.get("/setup").text
    with lan_browser(dataclasses.replace(services, advertiser=NameTaken())) as fresh:  # type: ignore[arg-type]
        page = fresh.get("/setup").text
        assert f'data-testid="local-name">{name}-2.local<' in page
        assert re.search(rf'id="f-name"[^>]*value="{name}"', page)  # the device's name stays its own
