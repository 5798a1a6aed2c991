"""Passkeys in a real browser: headless Chromium with CDP's virtual authenticator, on the console's HTTPS origin at
the device's name (`nas.local`, mapped to loopback), against a real daemon."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, CDPSession, Page, expect

from tests.e2e.conftest import chromium, opened_page, snap
from tests.support.daemon import Daemon

ADMIN, PASSWORD = "alice", "correct horse battery staple"
NAME = "nas"


@pytest.fixture
def named_browser(console: Daemon, short_tmp: Path) -> Iterator[Browser]:
    """Chromium that trusts the device's CA and finds `nas.local` on loopback, as a LAN browser finds it by mDNS."""
    status, body, _ = console.request(
        "POST", "/api/v1/setup", {"name": NAME, "admin": {"username": ADMIN, "password": PASSWORD}}
    )
    assert status == 201, body
    rules = f"--host-resolver-rules=MAP {NAME}.local 127.0.0.1"
    with chromium(console, short_tmp / "browser-home", (rules,)) as launched:
        yield launched


@pytest.fixture
def tab(named_browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    with opened_page(named_browser, request, height=900) as opened:
        yield opened


def authenticator(page: Page, *, verified: bool = True) -> tuple[CDPSession, str]:
    """A platform authenticator with resident keys and user verification (a laptop's fingerprint reader)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    options: dict[str, Any] = {
        "protocol": "ctap2",
        "transport": "internal",
        "hasResidentKey": True,
        "hasUserVerification": True,
        "isUserVerified": verified,
        "automaticPresenceSimulation": True,
    }
    added = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": options})
    return cdp, str(added["authenticatorId"])


def base(console: Daemon) -> str:
    return f"https://{NAME}.local:{console.https_port}"


def password_sign_in(page: Page, console: Daemon) -> None:
    page.goto(base(console) + "/login")
    page.get_by_label("User name").fill(ADMIN)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()


def sign_out(page: Page, console: Daemon) -> None:
    page.get_by_test_id("sign-out").click()
    expect(page).to_have_url(base(console) + "/login?done=signed-out")


def add_passkey(page: Page, console: Daemon, name: str) -> None:
    page.goto(base(console) + "/account/sign-in-methods")
    adding = page.get_by_test_id("passkey-add")
    adding.get_by_label("Name of the new passkey").fill(name)
    adding.get_by_label("Current password").fill(PASSWORD)
    adding.get_by_role("button", name="Add a passkey").click()


def test_register_then_sign_in_with_no_user_name(console: Daemon, tab: Page) -> None:
    cdp, authenticator_id = authenticator(tab)
    password_sign_in(tab, console)
    expect(tab).to_have_url(base(console) + "/")
    add_passkey(tab, console, "Laptop")
    # The first factor: the recovery codes, shown once.
    expect(tab).to_have_url(base(console) + "/account/recovery-codes")
    snap(tab, "passkey-01-recovery-codes")
    tab.goto(base(console) + "/account/sign-in-methods")
    expect(tab.get_by_test_id("passkeys")).to_contain_text("Laptop")
    expect(tab.get_by_test_id("passkeys")).to_contain_text(f"{NAME}.local")
    snap(tab, "passkey-02-listed")
    credentials = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})["credentials"]
    assert len(credentials) == 1 and credentials[0]["isResidentCredential"]

    sign_out(tab, console)
    tab.get_by_role("button", name="Sign in with a passkey").click()
    expect(tab).to_have_url(base(console) + "/")
    expect(tab.get_by_test_id("my-account")).to_have_text(ADMIN)
    assert tab.get_by_label("User name").count() == 0
    snap(tab, "passkey-03-signed-in-by-passkey")

    sign_out(tab, console)  # and the passkey as the second step after the password
    password_sign_in(tab, console)
    expect(tab).to_have_url(base(console) + "/login/second-step")
    expect(tab.get_by_test_id("second-step")).to_have_attribute("data-method", "passkey")
    snap(tab, "passkey-04-second-step")
    tab.get_by_role("button", name="Use my passkey").click()
    expect(tab).to_have_url(base(console) + "/")
    expect(tab.get_by_test_id("my-account")).to_have_text(ADMIN)


def test_a_passkey_that_does_not_verify_its_user_is_refused(console: Daemon, tab: Page) -> None:
    cdp, authenticator_id = authenticator(tab)
    password_sign_in(tab, console)
    add_passkey(tab, console, "Laptop")
    expect(tab).to_have_url(base(console) + "/account/recovery-codes")
    sign_out(tab, console)

    cdp.send("WebAuthn.setUserVerified", {"authenticatorId": authenticator_id, "isUserVerified": False})
    tab.get_by_role("button", name="Sign in with a passkey").click()
    expect(tab.get_by_test_id("passkey-sign-in").get_by_role("alert")).to_contain_text("was not used")
    expect(tab).to_have_url(base(console) + "/login?done=signed-out")
    snap(tab, "passkey-05-not-verified")
    status, body, _ = console.request("GET", "/api/v1/system")
    assert status == 200 and body["state"] == "ready"


def test_the_page_on_another_host_links_to_the_name(console: Daemon, tab: Page) -> None:
    tab.goto(console.base + "/login")  # https://localhost:PORT: not the device's name
    expect(tab.get_by_role("button", name="Sign in with a passkey")).to_have_count(0)
    link = tab.get_by_role("link", name=f"open {base(console)}/ to use passkeys")
    expect(link).to_have_attribute("href", base(console) + "/")


def test_a_passkey_stands_in_for_the_password_before_a_change(console: Daemon, tab: Page) -> None:
    authenticator(tab)
    password_sign_in(tab, console)
    add_passkey(tab, console, "Laptop")
    expect(tab).to_have_url(base(console) + "/account/recovery-codes")
    tab.goto(base(console) + "/account/sign-in-methods")
    proof = tab.get_by_test_id("passkey-proof")
    expect(proof).to_be_visible()
    proof.get_by_role("button", name="Use my passkey instead").click()
    expect(tab).to_have_url(base(console) + "/account/sign-in-methods?done=passkey-proved")
    snap(tab, "passkey-05-proved")
