"""The pages this hardening changed, in Chromium at desktop and phone width: the Security page with blocks and
paused accounts, and a recovery sign-in waiting for the reset button, then two of them ending each other."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.e2e.conftest import snap
from tests.support.daemon import Daemon
from tests.support.lan import wait_for

ADMIN, PASSWORD = "alice", "correct horse battery staple"
WIDTHS = {"desktop": 1280, "phone": 390}


def guess(console: Daemon, source: str, user: str) -> int:
    context = console.tls_context()
    context.check_hostname = False
    connection = http.client.HTTPSConnection("127.0.0.1", console.https_port, context=context, timeout=30,
                                             source_address=(source, 0))  # fmt: skip
    try:
        body = json.dumps({"username": user, "password": "a wrong password guess"})
        connection.request("POST", "/api/v1/auth/login", body, {"content-type": "application/json"})
        return connection.getresponse().status
    finally:
        connection.close()


@pytest.fixture
def installed(console: Daemon) -> Daemon:
    console.set_up(ADMIN, PASSWORD)
    return console


@pytest.fixture(params=sorted(WIDTHS))
def width(request: pytest.FixtureRequest) -> int:
    return WIDTHS[str(request.param)]


@pytest.fixture
def contexts(browser: Browser, width: int) -> Iterator[list[BrowserContext]]:
    made: list[BrowserContext] = []
    yield made
    for context in made:
        context.close()


def new_page(browser: Browser, contexts: list[BrowserContext], width: int) -> Page:
    context = browser.new_context(viewport={"width": width, "height": 900})
    contexts.append(context)
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def assert_fits(page: Page) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{page.url} is {overflow}px wider than the window"


def sign_in(page: Page, console: Daemon, user: str = ADMIN, password: str = PASSWORD) -> None:
    page.goto(console.base + "/login")
    page.get_by_label("User name").fill(user)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_the_security_page_lists_blocks_and_pauses_and_fits(
    installed: Daemon, browser: Browser, contexts: list[BrowserContext], width: int
) -> None:
    for n in range(10):  # an address blocked after ten failures
        assert guess(installed, "127.0.0.5", f"user{n}") == 401
    for _ in range(5):  # the administrator's account delayed for another address
        assert guess(installed, "127.0.0.7", ADMIN) == 401
    page = new_page(browser, contexts, width)
    sign_in(page, installed)
    page.goto(installed.base + "/security")
    expect(page.get_by_test_id("blocks")).to_contain_text("127.0.0.5")
    expect(page.get_by_test_id("pauses")).to_contain_text("127.0.0.7")
    for label in ("Trusted reverse proxies", "The header your proxy sets", "Recovery window after a Mode 1 reset",
                  "Your current password"):  # fmt: skip
        expect(page.get_by_label(label, exact=False)).to_be_visible()
    assert_fits(page)
    snap(page, f"hardening-security-{width}")
    page.get_by_test_id("pauses").get_by_role("button", name="Lift").click()
    expect(page.get_by_role("status")).to_contain_text("may sign in again")
    expect(page.get_by_test_id("pauses")).to_contain_text("No account is paused")
    page.get_by_label("Recovery window after a Mode 1 reset", exact=False).fill("45")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".field-error")).to_contain_text("current password")
    assert_fits(page)
    snap(page, f"hardening-security-password-needed-{width}")


def test_a_recovery_sign_in_waits_for_the_button_and_two_end_each_other(
    installed: Daemon, browser: Browser, contexts: list[BrowserContext], width: int
) -> None:
    assert installed.cli("button", "hold", "4.3").returncode == 0
    assert wait_for(lambda: installed.get("/api/v1/system")["state"] == "recovery", 30)  # Mode 1, 10 s after
    owner, intruder = new_page(browser, contexts, width), new_page(browser, contexts, width)
    owner.goto(installed.base + "/login")
    expect(owner.get_by_test_id("device-state")).to_have_text("recovery")
    expect(owner.get_by_test_id("recovery-notice")).to_contain_text("short press of the reset button")
    assert_fits(owner)
    snap(owner, f"hardening-recovery-sign-in-{width}")
    for page in (owner, intruder):
        sign_in(page, installed, "admin", "")
        expect(page.get_by_test_id("presence-waiting")).to_contain_text("press its reset button briefly")
    assert_fits(owner)
    snap(owner, f"hardening-recovery-waiting-{width}")
    assert installed.cli("button", "hold", "1").returncode == 0
    for page in (owner, intruder):  # each page refreshes by itself and lands on the sign-in page, told why
        expect(page.get_by_role("alert")).to_contain_text("none was confirmed", timeout=15_000)
        expect(page.get_by_role("alert")).to_have_count(1)
    assert_fits(owner)
    snap(owner, f"hardening-recovery-ended-{width}")
    # Alone now: sign in, press, set the password.
    sign_in(owner, installed, "admin", "")
    assert installed.cli("button", "hold", "1").returncode == 0
    expect(owner.get_by_test_id("recovery-password-form")).to_be_visible(timeout=15_000)
    assert_fits(owner)
    snap(owner, f"hardening-recovery-set-password-{width}")
