"""The console's small scripts in a real browser: a form sent after the session ended comes back filled in
after the sign-in, the idle warning shows before the sign-out, and dark mode follows the browser."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import snap
from tests.support.daemon import Daemon

ADMIN, PASSWORD = "alice", "correct horse battery staple"


@pytest.fixture
def owner(console: Daemon) -> Daemon:
    console.set_up(ADMIN, PASSWORD)
    return console


def sign_in(page: Page, base: str, path: str = "/") -> None:
    page.goto(base + "/login?next=" + path)
    page.get_by_label("User name").fill(ADMIN)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_a_form_sent_after_the_session_ended_comes_back_after_sign_in(owner: Daemon, page: Page) -> None:
    sign_in(page, owner.base, "/groups")
    expect(page).to_have_url(owner.base + "/groups")
    page.get_by_label("Name", exact=True).fill("family")
    page.get_by_label("Description").fill("Everyone at home")
    page.context.clear_cookies()  # the session ended meanwhile (timed out, or signed out elsewhere)
    page.get_by_role("button", name="Create group").click()
    expect(page).to_have_url(owner.base + "/login?next=%2Fgroups&done=expired")
    expect(page.get_by_role("status")).to_contain_text("Your session has ended")
    page.get_by_label("User name").fill(ADMIN)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(owner.base + "/groups")
    expect(page.get_by_test_id("restored-form")).to_be_visible()
    expect(page.get_by_label("Name", exact=True)).to_have_value("family")
    expect(page.get_by_label("Description")).to_have_value("Everyone at home")


def test_an_answered_post_brings_no_form_back(owner: Daemon, page: Page) -> None:
    sign_in(page, owner.base, "/notifications")
    expect(page).to_have_url(owner.base + "/notifications")
    page.get_by_role("button", name="Send a test message").first.click()
    expect(page).to_have_url(re.compile(r".*/notifications\?tested="))
    expect(page.get_by_test_id("restored-form")).to_be_hidden()


def test_the_owner_is_warned_before_an_idle_sign_out(owner: Daemon, page: Page) -> None:
    page.clock.install()
    sign_in(page, owner.base)
    expect(page.get_by_test_id("idle-warning")).to_be_hidden()
    page.clock.fast_forward("13:10")  # 15 minutes idle by default: the warning comes 2 minutes before
    expect(page.get_by_test_id("idle-warning")).to_be_visible()
    page.get_by_role("button", name="Stay signed in").click()
    expect(page.get_by_test_id("idle-warning")).to_be_hidden()


@pytest.fixture
def dark_page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(color_scheme="dark", viewport={"width": 1280, "height": 800})
    try:
        yield context.new_page()
    finally:
        context.close()


def test_dark_mode_follows_the_browser(owner: Daemon, dark_page: Page) -> None:
    dark_page.goto(owner.base + "/login")
    background = dark_page.evaluate("getComputedStyle(document.documentElement).backgroundColor")
    red, green, blue = (int(x) for x in background.removeprefix("rgb(").removesuffix(")").split(",")[:3])
    assert red + green + blue < 150, background
    snap(dark_page, "dark-login")
