"""Uploading a release on System > Updates in Chromium: a real wheel (built here with `pip wheel`) goes through the
page's file input in chunks, and the update form then offers it; the page with the upload fits and is labelled at
desktop and phone width, as the console walk checks every page."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Route, expect

from tests.e2e.conftest import chromium, opened_page
from tests.e2e.test_console_walk import ADMIN, PASSWORD, WIDTHS, visit
from tests.support.daemon import Daemon

VERSION = "9.9.9"


@pytest.fixture
def releases_console(short_tmp: Path) -> Iterator[Daemon]:
    volume = short_tmp / "volume1"
    volume.mkdir()
    daemon = Daemon(short_tmp / "home", volume, extra=("--releases", str(short_tmp / "opt"))).start()
    try:
        daemon.set_up(ADMIN, PASSWORD)
        yield daemon
    finally:
        daemon.kill()


@pytest.fixture
def releases_browser(releases_console: Daemon, short_tmp: Path) -> Iterator[Browser]:
    with chromium(releases_console, short_tmp / "browser-home") as launched:
        yield launched


def tiny_release(where: Path) -> Path:
    """A real wheel named as a Homeport release (the update itself is tested in tests/integration), padded past
    a few chunks with an incompressible file so the upload takes more than one request."""
    source = where / "tiny-release"
    (source / "homeport").mkdir(parents=True)
    (source / "homeport" / "__init__.py").write_text(f'__version__ = "{VERSION}"\n')
    (source / "homeport" / "padding.bin").write_bytes(os.urandom(500 * 1024))
    (source / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n'
        f'[project]\nname = "homeport"\nversion = "{VERSION}"\n'
        '[tool.setuptools.package-data]\nhomeport = ["*.bin"]\n'
    )
    out = where / "wheels"
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--disable-pip-version-check", "-w", str(out),
         f"./{source.name}"],
        cwd=where, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    (wheel,) = out.glob("homeport-*.whl")
    return wheel


def test_a_release_uploaded_through_the_page_is_offered_for_the_update(
    releases_console: Daemon, releases_browser: Browser, request: pytest.FixtureRequest, short_tmp: Path
) -> None:
    wheel = tiny_release(short_tmp)
    assert wheel.stat().st_size > 2 * 192 * 1024
    with opened_page(releases_browser, request) as page:
        errors: list[str] = []
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        base = releases_console.base
        page.goto(base + "/login")
        page.get_by_label("User name").fill(ADMIN)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page).to_have_url(base + "/")
        page.goto(base + "/system/updates")
        expect(page.get_by_test_id("update-release-choice")).to_have_count(0)
        expect(page.get_by_test_id("update-upload")).to_be_visible()  # shown by the script

        page.get_by_label("Release file").set_input_files(str(wheel))
        page.get_by_test_id("upload-form").get_by_role("button", name="Upload").click()
        expect(page).to_have_url(base + "/system/updates?done=release-uploaded", timeout=60_000)
        expect(page.get_by_test_id("uploaded-release")).to_have_text(wheel.name)
        expect(page.locator("#f-release-upload")).to_be_checked()
        expect(page.get_by_label("Release on a volume (a wheel or a folder)")).not_to_have_attribute("required", "")
        kept = list((releases_console.home / "updates" / "uploads").glob(f"*/{wheel.name}"))
        assert [p.read_bytes() for p in kept] == [wheel.read_bytes()]
        assert not list((releases_console.home / "updates" / "uploads").glob("*/*.partial"))
        assert errors == []

        for width in sorted(WIDTHS):
            page.set_viewport_size({"width": WIDTHS[width], "height": 900})
            problems = visit(page, base + "/system/updates", f"{width}-updates-uploaded", errors, signed_in=True)
            assert not problems, "\n".join(problems)


def test_a_refused_upload_says_why_on_the_page(
    releases_console: Daemon, releases_browser: Browser, request: pytest.FixtureRequest, short_tmp: Path
) -> None:
    bad = short_tmp / "homeport-1.0.0-py3-none-any.whl"
    bad.write_bytes(b"not a wheel at all")
    with opened_page(releases_browser, request) as page:
        base = releases_console.base
        page.goto(base + "/login")
        page.get_by_label("User name").fill(ADMIN)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page).to_have_url(base + "/")
        page.goto(base + "/system/updates")
        page.get_by_label("Release file").set_input_files(str(bad))
        page.get_by_test_id("upload-form").get_by_role("button", name="Upload").click()
        expect(page.get_by_test_id("upload-status")).to_contain_text("The upload failed")
        expect(page.get_by_test_id("upload-status")).to_contain_text("is not a wheel")
        expect(page.get_by_test_id("update-release-choice")).to_have_count(0)
        assert not list((releases_console.home / "updates" / "uploads").glob("*/*"))


def test_a_chunk_whose_answer_was_lost_is_not_sent_twice(
    releases_console: Daemon, releases_browser: Browser, short_tmp: Path
) -> None:
    """The second chunk reaches the device but its answer is lost: the page sends it again, the device answers 409
    with where it stands, and the page resumes there; the file arrives whole, that chunk once."""
    wheel = tiny_release(short_tmp)
    lost: list[str] = []

    def lose_one_answer(route: Route) -> None:
        offset = route.request.headers.get("x-upload-offset")
        if route.request.method == "PUT" and offset == str(192 * 1024) and not lost:
            route.fetch()  # the device stores the chunk...
            lost.append(offset)
            route.abort("connectionreset")  # ...and the browser never hears of it
        else:
            route.continue_()

    # Route.fetch goes out from Playwright's driver, which does not read the browser's trust store.
    context = releases_browser.new_context(viewport={"width": 1200, "height": 800}, ignore_https_errors=True)
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        answers: list[int] = []
        page.on("response", lambda r: answers.append(r.status) if "/updates/uploads/" in r.url else None)
        base = releases_console.base
        page.goto(base + "/login")
        page.get_by_label("User name").fill(ADMIN)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page).to_have_url(base + "/")
        page.goto(base + "/system/updates")
        page.route("**/api/v1/updates/uploads/*", lose_one_answer)
        page.get_by_label("Release file").set_input_files(str(wheel))
        page.get_by_test_id("upload-form").get_by_role("button", name="Upload").click()
        expect(page).to_have_url(base + "/system/updates?done=release-uploaded", timeout=60_000)
        expect(page.get_by_test_id("uploaded-release")).to_have_text(wheel.name)
    finally:
        context.close()
    assert lost == [str(192 * 1024)]
    assert 409 in answers
    kept = list((releases_console.home / "updates" / "uploads").glob(f"*/{wheel.name}"))
    assert [p.read_bytes() for p in kept] == [wheel.read_bytes()]
