"""The Security Advisor page in Chromium, which trusts the device's CA (as the fixtures set it up): the page's own
check marks "this browser trusts the device" as passing, and "Run again" keeps a new run."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.e2e.conftest import snap
from tests.support.daemon import Daemon

ADMIN, PASSWORD = "alice", "correct horse battery staple"


def test_the_browser_check_and_run_again(console: Daemon, page: Page) -> None:
    console.set_up(ADMIN, PASSWORD)
    page.goto(console.base + "/login?next=/advisor")
    page.get_by_label("User name").fill(ADMIN)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(console.base + "/advisor")
    row = page.get_by_test_id("finding-device_ca")
    expect(row).to_have_attribute("data-verdict", "pass")
    expect(row).to_contain_text("This browser: it reached the console over HTTPS")
    expect(page.get_by_test_id("advisor-changes")).to_contain_text("first run kept")
    page.get_by_test_id("advisor-run").click()
    expect(page.get_by_text("Every check has run again")).to_be_visible()
    expect(page.get_by_test_id("advisor-changes")).to_contain_text("Nothing changed since the run before")
    snap(page, "advisor")
