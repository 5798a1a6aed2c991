"""An owner sets up an authenticator app in Chromium, signs out, and comes back in with a code and with a
recovery code, all without JavaScript being needed; the pages are looked at at desktop and phone width."""

from __future__ import annotations

import re

import pyotp
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import snap
from tests.support.daemon import Daemon

pytestmark = pytest.mark.e2e
ADMIN, PASSWORD = "alice", "correct horse battery staple"


def sign_in(page: Page, base: str) -> None:
    page.goto(base + "/login")
    page.get_by_label("User name").fill(ADMIN)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def no_overflow(page: Page) -> None:
    wide = page.evaluate("document.documentElement.scrollWidth > window.innerWidth + 1")
    assert not wide, f"{page.url} scrolls sideways"


@pytest.mark.parametrize("width", [1280, 390])
def test_an_app_set_up_and_used_through_the_pages(console: Daemon, browser: Browser, width: int) -> None:
    console.set_up(ADMIN, PASSWORD)
    context = browser.new_context(viewport={"width": width, "height": 900}, java_script_enabled=width == 1280)
    page = context.new_page()
    page.set_default_timeout(15_000)
    base = console.base
    try:
        sign_in(page, base)
        expect(page).to_have_url(base + "/")
        page.goto(base + "/account")
        page.get_by_test_id("sign-in-methods").click()
        card = page.get_by_test_id("totp-card")
        card.get_by_label("Current password").fill(PASSWORD)
        card.get_by_role("button", name="Set up an app").click()
        expect(page.get_by_test_id("totp-qr").locator("svg")).to_be_visible()
        no_overflow(page)
        snap(page, f"second-step-{width}-totp-setup")
        app = pyotp.TOTP(page.get_by_test_id("totp-secret").inner_text().strip())
        page.get_by_label("6-digit code").fill(app.now())
        page.get_by_role("button", name="Turn it on").click()
        codes = page.get_by_test_id("recovery-codes").locator("code").all_inner_texts()
        assert len(codes) == 10 and all(re.fullmatch(r"[A-Z0-9]{4}(-[A-Z0-9]{1,4}){4}", c) for c in codes)
        no_overflow(page)
        snap(page, f"second-step-{width}-recovery-codes")
        page.get_by_role("link", name="I have kept them").click()
        expect(page.get_by_test_id("totp-card")).to_contain_text("On")
        snap(page, f"second-step-{width}-methods")

        page.get_by_test_id("sign-out").click()
        sign_in(page, base)
        expect(page).to_have_url(base + "/login/second-step")
        no_overflow(page)
        snap(page, f"second-step-{width}-code")
        page.get_by_label("The 6-digit code your authenticator app shows now").fill("000000")
        page.get_by_role("button", name="Continue").click()
        expect(page.get_by_test_id("error")).to_contain_text("clock reads")
        page.get_by_role("link", name="Recovery code").click()
        page.get_by_label("One of your recovery codes").fill(codes[0].lower())
        page.get_by_role("button", name="Continue").click()
        expect(page).to_have_url(re.compile(r"/account/sign-in-methods\?done=recovery-code-used$"))
        expect(page.get_by_test_id("codes-card")).to_contain_text("9 of 10 left")
        snap(page, f"second-step-{width}-after-code")
    finally:
        context.close()
