"""Headless Chromium (Debian's) driven by Playwright, trusting the device's CA through a private NSS store."""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.support.daemon import Daemon

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"


@pytest.fixture
def console(short_tmp: Path) -> Iterator[Daemon]:
    volume = short_tmp / "volume1"
    volume.mkdir()
    daemon = Daemon(short_tmp / "home", volume).start()
    try:
        yield daemon
    finally:
        daemon.kill()


def trust_store(home: Path, ca_certificate: Path) -> None:
    """Chromium on Linux trusts what is in $HOME/.pki/nssdb: put the device's CA there, as an owner would."""
    nssdb = home / ".pki" / "nssdb"
    nssdb.mkdir(parents=True)
    subprocess.run(["certutil", "-d", f"sql:{nssdb}", "-N", "--empty-password"], check=True, timeout=30)
    subprocess.run(
        ["certutil", "-d", f"sql:{nssdb}", "-A", "-t", "C,,", "-n", "homeport-ca", "-i", str(ca_certificate)],
        check=True,
        timeout=30,
    )


@contextlib.contextmanager
def chromium(console: Daemon, browser_home: Path, extra_flags: tuple[str, ...] = ()) -> Iterator[Browser]:
    """Debian's Chromium with a home of its own that trusts the console's CA."""
    assert os.path.exists(CHROMIUM), "Debian's chromium is missing: run `make test` as root to install it"
    trust_store(browser_home, console.home / "tls" / "ca.crt")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, args=[*FLAGS, *extra_flags], env={**os.environ, "HOME": str(browser_home)},
            timeout=30_000,
        )  # fmt: skip
        try:
            yield launched
        finally:
            launched.close()


@contextlib.contextmanager
def opened_page(browser: Browser, request: pytest.FixtureRequest, height: int = 800) -> Iterator[Page]:
    """A page in a fresh context; its last state is kept as a screenshot."""
    context = browser.new_context(viewport={"width": 1200, "height": height})
    opened = context.new_page()
    opened.set_default_timeout(15_000)
    try:
        yield opened
    finally:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        opened.screenshot(path=str(ARTIFACTS / f"{request.node.name}-final.png"), full_page=True)
        context.close()


@pytest.fixture
def browser(console: Daemon, short_tmp: Path) -> Iterator[Browser]:
    with chromium(console, short_tmp / "browser-home") as launched:
        yield launched


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    with opened_page(browser, request) as opened:
        yield opened


def snap(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
