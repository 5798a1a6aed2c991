"""Setup -> sign-in -> create a user -> sign out, in a real browser against a real daemon."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.e2e.conftest import snap
from tests.support.daemon import Daemon

ADMIN, PASSWORD = "alice", "correct horse battery staple"


def test_setup_sign_in_create_a_user_and_sign_out(console: Daemon, page: Page) -> None:
    page.goto(console.base + "/")
    expect(page).to_have_url(console.base + "/setup")
    expect(page.get_by_test_id("device-state")).to_have_text("not-installed")
    snap(page, "01-setup")

    page.get_by_label("Device name").fill("nas")
    page.get_by_label("Administrator name").fill(ADMIN)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    page.get_by_role("button", name="Set up Homeport").click()

    expect(page).to_have_url(console.base + "/login?done=setup&username=alice")
    expect(page.get_by_role("status")).to_contain_text("Homeport is set up")
    expect(page.get_by_test_id("device-name")).to_have_text("nas")
    snap(page, "02-sign-in")

    page.get_by_label("User name").fill(ADMIN)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(page).to_have_url(console.base + "/")
    expect(page.get_by_test_id("device-state")).to_have_text("ready")
    expect(page.get_by_test_id("volumes")).to_contain_text("volume1")
    expect(page.get_by_test_id("events")).to_contain_text("system.setup")
    snap(page, "03-overview")

    page.get_by_role("link", name="Users").click()
    form = page.get_by_test_id("create-user-form")
    form.get_by_label("User name").fill("bob")
    form.get_by_label("Full name").fill("Bob Builder")
    form.get_by_label("Initial password").fill("short")
    form.get_by_role("button", name="Create user").click()
    expect(page.get_by_test_id("error")).to_be_visible()
    expect(page.locator(".field-error")).to_contain_text("at least 12 characters")
    snap(page, "04-create-user-error")

    form = page.get_by_test_id("create-user-form")
    form.get_by_label("Initial password").fill("a long enough password")
    form.get_by_role("button", name="Create user").click()
    expect(page.get_by_role("status")).to_contain_text("The account has been created")
    expect(page.get_by_test_id("users")).to_contain_text("Bob Builder")
    snap(page, "05-users")

    page.get_by_role("link", name="Security settings").click()
    expect(page.get_by_test_id("blocks")).to_contain_text("No address is blocked")
    page.get_by_label("Sign out after idle minutes").fill("30")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("security settings have been saved")
    expect(page.get_by_label("Sign out after idle minutes")).to_have_value("30")
    snap(page, "05b-security")

    page.get_by_test_id("sign-out").click()
    expect(page).to_have_url(console.base + "/login?done=signed-out")
    page.goto(console.base + "/users")
    expect(page).to_have_url(console.base + "/login?next=/users")
    snap(page, "06-signed-out")


def test_a_new_user_must_choose_a_password_first(console: Daemon, page: Page) -> None:
    status, _, _ = console.request(
        "POST", "/api/v1/setup", {"name": "nas", "admin": {"username": ADMIN, "password": PASSWORD}}
    )
    assert status == 201
    status, body, headers = console.request("POST", "/api/v1/auth/login", {"username": ADMIN, "password": PASSWORD})
    auth = {"Cookie": headers["set-cookie"].split(";")[0], "X-CSRF-Token": body["csrf_token"]}
    status, _, _ = console.request("POST", "/api/v1/users", {"name": "bob", "password": "a temporary password"}, auth)
    assert status == 201

    page.goto(console.base + "/login")
    page.get_by_label("User name").fill("bob")
    page.get_by_label("Password").fill("a temporary password")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(console.base + "/password")
    expect(page.get_by_text("Choose a new password before you continue")).to_be_visible()
    page.get_by_label("Current password").fill("a temporary password")
    page.get_by_label("New password", exact=True).fill("a passphrase of my own")
    page.get_by_label("New password again").fill("a passphrase of my own")
    page.get_by_role("button", name="Change password").click()
    expect(page).to_have_url(console.base + "/account?done=password")
    expect(page.get_by_role("status")).to_contain_text("Your password has been changed")
    snap(page, "07-password-changed")
