"""Approve a sign-in from another signed-in browser, in real browsers against a real daemon: the signed-in
console page shows the request at once (Server-Sent Events) and the waiting browser signs in when the right
number is picked; a wrong number denies it."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pyotp
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import snap
from tests.support.daemon import Daemon

ADMIN, PASSWORD = "alice", "correct horse battery staple"


def session_headers(console: Daemon) -> dict[str, str]:
    status, body, headers = console.request("POST", "/api/v1/auth/login", {"username": ADMIN, "password": PASSWORD})
    assert status == 200, body
    token = re.search(r"__Host-homeport_session=([^;,]+)", headers["set-cookie"])
    assert token
    return {"Cookie": f"__Host-homeport_session={token.group(1)}", "X-CSRF-Token": body["csrf_token"]}


def sign_in_with_password(page: Page, console: Daemon) -> None:
    page.goto(console.base + "/login")
    page.get_by_label("User name").fill(ADMIN)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


@pytest.fixture
def phone(console: Daemon, browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """Alice signed in on one browser (her phone, say) before she set up an authenticator app."""
    setup = {"name": "nas", "admin": {"username": ADMIN, "password": PASSWORD}}
    assert console.request("POST", "/api/v1/setup", setup)[0] == 201
    context = browser.new_context(viewport={"width": 420, "height": 860})
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in_with_password(page, console)
    expect(page).to_have_url(console.base + "/")
    headers = session_headers(console)
    status, body, _ = console.request("POST", "/api/v1/me/totp", {"current_password": PASSWORD}, headers)
    assert status == 201, body
    code = pyotp.TOTP(body["secret"]).at(time.time())
    assert console.request("POST", "/api/v1/me/totp/confirm", {"code": code}, headers)[0] == 200
    try:
        yield page
    finally:
        snap(page, f"{request.node.name}-phone")
        context.close()


def wait_for_number(page: Page, console: Daemon) -> int:
    sign_in_with_password(page, console)
    expect(page).to_have_url(re.compile(r"/login/second-step"))
    page.get_by_role("link", name="Approve from another signed-in device").click()
    page.get_by_test_id("approval-start").click()
    number = page.get_by_test_id("approval-number")
    expect(number).to_have_text(re.compile(r"^\d\d$"))
    expect(page.get_by_test_id("approval-qr").locator("svg")).to_be_visible()
    return int(number.inner_text())


def test_a_signed_in_browser_approves_by_picking_the_number(console: Daemon, phone: Page, page: Page) -> None:
    phone.goto(console.base + "/users")
    number = wait_for_number(page, console)
    snap(page, "approval-01-waiting")

    dialog = phone.get_by_test_id("approval-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("127.0.0.1")
    expect(dialog.locator("button.choice")).to_have_count(3)
    snap(phone, "approval-02-dialog")
    dialog.locator(f'button.choice[data-number="{number}"]').click()
    expect(dialog.get_by_test_id("approval-result")).to_contain_text("Approved")

    expect(page).to_have_url(console.base + "/")
    expect(page.get_by_test_id("my-account")).to_have_text(ADMIN)
    snap(page, "approval-03-signed-in")


def test_a_wrong_number_denies_the_sign_in(console: Daemon, phone: Page, page: Page) -> None:
    phone.goto(console.base + "/")
    number = wait_for_number(page, console)
    dialog = phone.get_by_test_id("approval-dialog")
    expect(dialog).to_be_visible()
    wrong = next(int(n) for n in dialog.locator("button.choice").all_inner_texts() if int(n) != number)
    dialog.locator(f'button.choice[data-number="{wrong}"]').click()
    expect(dialog.get_by_test_id("approval-result")).to_contain_text("not the number")

    expect(page.get_by_test_id("approval-status")).to_contain_text("wrong number")
    expect(page.get_by_test_id("approval-again")).to_be_visible()  # the page reloads and offers to ask again
    expect(page).to_have_url(re.compile(r"/login/second-step"))
    snap(page, "approval-04-denied")
