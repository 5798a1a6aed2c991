"""Headless Chromium inside the LAN lab's client namespace, walking a recovery as the owner would.

    python -m tests.support.lanbrowser FLOW CA ADDRESS ARTIFACTS [ARG ...]
FLOW mode1: sign in as `admin` with an empty password, press the reset button briefly when the page asks,
set a new password, sign in with it, restore the previous network settings from the report and confirm them
at the new address (ARG: the static address to expect, the device's home for its virtual button).
FLOW mode2: restore the configuration backup in the setup wizard (ARG: administrator, new password).
Prints {"steps": [...]} as it goes; a failure prints the error and exits 1.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import Page, expect, sync_playwright

FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
NEW_PASSWORD = "a fresh start passphrase"
steps: list[str] = []


def trust(home: Path, ca: str) -> None:
    nssdb = home / ".pki" / "nssdb"
    nssdb.mkdir(parents=True)
    subprocess.run(["certutil", "-d", f"sql:{nssdb}", "-N", "--empty-password"], check=True, timeout=30)
    subprocess.run(
        ["certutil", "-d", f"sql:{nssdb}", "-A", "-t", "C,,", "-n", "homeport", "-i", ca], check=True, timeout=30
    )


def snap(page: Page, artifacts: Path, name: str) -> None:
    artifacts.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(artifacts / f"{name}.png"), full_page=True)
    steps.append(name)


def mode1(page: Page, base: str, artifacts: Path, static: str, device_home: str) -> None:
    page.goto(base + "/login")
    expect(page.get_by_test_id("device-state")).to_have_text("recovery")
    expect(page.get_by_test_id("recovery-notice")).to_contain_text("empty password")
    snap(page, artifacts, "mode1-01-sign-in-in-recovery")
    page.get_by_label("User name").fill("admin")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(base + "/recovery/password")
    expect(page.get_by_test_id("presence-waiting")).to_contain_text("press its reset button briefly")
    snap(page, artifacts, "mode1-02-press-the-button")
    # The owner, at the device, presses the reset button briefly; the waiting page moves on by itself.
    pressed = subprocess.run(
        [sys.executable, "-m", "homeport", "button", "hold", "1", "--home", device_home],
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert pressed.returncode == 0, pressed.stderr
    expect(page.get_by_test_id("recovery-password-form")).to_be_visible(timeout=15_000)
    snap(page, artifacts, "mode1-02b-set-a-password")
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("New password again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set password").click()
    expect(page).to_have_url(base + "/login?done=recovery-password")
    expect(page.get_by_test_id("device-state")).to_have_text("ready")
    page.get_by_label("User name").fill("admin")
    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_test_id("reset-banner")).to_be_visible()
    snap(page, artifacts, "mode1-03-banner")
    page.get_by_role("link", name="See what it changed and restore it").click()
    expect(page.get_by_test_id("item-network")).to_contain_text(static)
    snap(page, artifacts, "mode1-04-report")
    page.get_by_test_id("restore-network").click()
    expect(page.get_by_test_id("walk")).to_be_visible()
    snap(page, artifacts, "mode1-05-walk")
    link = page.get_by_test_id("confirm-link").first
    assert static.split("/", maxsplit=1)[0] in (link.get_attribute("href") or ""), link.get_attribute("href")
    link.click()
    expect(page.get_by_test_id("confirm-form")).to_be_visible(timeout=20_000)
    page.get_by_role("button", name="Keep these settings").click()
    expect(page.get_by_test_id("confirmed")).to_be_visible()
    snap(page, artifacts, "mode1-06-kept")


def mode2(page: Page, base: str, artifacts: Path, administrator: str) -> None:
    page.goto(base + "/")
    expect(page).to_have_url(base + "/setup")
    expect(page.get_by_test_id("device-state")).to_have_text("migratable")
    expect(page.get_by_test_id("restore-section")).to_be_visible()
    snap(page, artifacts, "mode2-01-wizard-found-a-backup")
    form = page.get_by_test_id("restore-form")
    form.get_by_label("An administrator of that configuration").fill(administrator)
    form.get_by_label("Their new password").fill(NEW_PASSWORD)
    form.get_by_label("New password again").fill(NEW_PASSWORD)
    form.get_by_role("button", name="Restore this configuration").click()
    expect(page).to_have_url(base + f"/login?done=restored-setup&username={administrator}")
    page.get_by_label("User name").fill(administrator)
    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_test_id("device-state")).to_have_text("ready")
    expect(page.get_by_test_id("device-name")).to_have_text("nas")
    snap(page, artifacts, "mode2-02-restored-and-signed-in")


def main() -> int:
    flow, ca, address, artifacts, *args = sys.argv[1:]
    with tempfile.TemporaryDirectory(prefix="hp-browser-") as home:
        trust(Path(home), ca)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium", args=FLAGS, env={**os.environ, "HOME": home}, timeout=30_000
            )
            try:
                page = browser.new_context(viewport={"width": 1200, "height": 800}).new_page()
                page.set_default_timeout(15_000)
                base = f"https://{address}:5001"
                try:
                    (mode1 if flow == "mode1" else mode2)(page, base, Path(artifacts), *args)
                except Exception as exc:
                    snap(page, Path(artifacts), f"{flow}-failed")
                    print(json.dumps({"steps": steps, "error": f"{type(exc).__name__}: {exc}"}))
                    return 1
            finally:
                browser.close()
    print(json.dumps({"steps": steps}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
