"""Shared folders in Chromium against a real daemon: create one with permissions through the form, see it listed,
see what each account ends up with, and the pages fit a desktop and a phone (screenshots in
test-artifacts/e2e/shares/ for a person to look at); and a folder shared in the console used over SMB with
smbclient against the daemon's own smbd."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from homeport.smb.layout import SambaLayout
from tests.e2e.conftest import ARTIFACTS, chromium, opened_page
from tests.e2e.test_console_walk import CHECKS
from tests.support.daemon import Daemon, free_port
from tests.support.samba import SmbClients, kill_processes_of, private_folder, traversable_root

ADMIN, PASSWORD = "alice", "correct horse battery staple"
SEED_PASSWORD = "a long enough password"  # bob's and carol's, as SEED makes them
WIDTHS = {"desktop": 1280, "phone": 390}

# Run in the signed-in page: bob and carol, carol in the group family.
SEED = """async ([name, password]) => {
  const json = (body, csrf) => ({method: "POST", body: JSON.stringify(body),
    headers: {"content-type": "application/json", ...(csrf ? {"X-CSRF-Token": csrf} : {})}});
  const csrf = (await (await fetch("/api/v1/auth/login", json({username: name, password}))).json()).csrf_token;
  const password2 = "a long enough password";  // SEED_PASSWORD
  const answers = [
    await fetch("/api/v1/users", json({name: "bob", full_name: "Bob Builder", password: password2}, csrf)),
    await fetch("/api/v1/groups", json({name: "family", description: "Us"}, csrf)),
    await fetch("/api/v1/users", json({name: "carol", password: password2, groups: ["family"]}, csrf)),
  ];
  return answers.map((a) => a.status);
}"""


@pytest.fixture
def files_console(short_tmp: Path) -> Iterator[Daemon]:
    """A daemon set up with alice; SMB off (this test is about the pages, not Samba)."""
    volume = short_tmp / "volume1"
    volume.mkdir()
    (volume / "Music").mkdir()  # a folder to offer in "Attach an existing folder"
    daemon = Daemon(short_tmp / "home", volume, extra=("--smb", "off")).start()
    try:
        yield daemon.set_up(ADMIN, PASSWORD)
    finally:
        daemon.kill()


@pytest.fixture
def browser(files_console: Daemon, short_tmp: Path) -> Iterator[Browser]:
    with chromium(files_console, short_tmp / "browser-home") as launched:
        yield launched


def snap_at(page: Page, name: str) -> None:
    """The page at each width, kept as a screenshot: it never scrolls sideways, every field has a label, no id is
    used twice (the console walk's checks)."""
    (ARTIFACTS / "shares").mkdir(parents=True, exist_ok=True)
    for label, width in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": 900})
        page.evaluate("window.scrollTo(0, 0)")  # a page opened at an anchor: the sticky bar stays on top
        problems = page.evaluate(CHECKS)
        assert not problems, f"{name} at {width} px: {problems}"
        page.screenshot(path=str(ARTIFACTS / "shares" / f"{label}-{name}.png"), full_page=True)
    page.set_viewport_size({"width": WIDTHS["desktop"], "height": 900})


def test_create_a_shared_folder_with_permissions(
    files_console: Daemon, browser: Browser, request: pytest.FixtureRequest
) -> None:
    base = files_console.base
    with opened_page(browser, request) as page:
        page.goto(base + "/login?next=/shares")
        page.get_by_label("User name").fill(ADMIN)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page).to_have_url(base + "/shares")
        assert page.evaluate(SEED, [ADMIN, PASSWORD]) == [201, 201, 201]
        page.reload()

        form = page.get_by_test_id("create-share-form")
        form.get_by_label("Name", exact=True).fill("Photos")
        form.get_by_label("Description").fill("Holidays and birthdays")
        form.get_by_label("Recycle bin").check()
        form.get_by_label("Access for the user bob").select_option("rw")
        form.get_by_label("Access for the group family").select_option("ro")
        snap_at(page, "create-filled")
        form.get_by_role("button", name="Create shared folder").click()

        expect(page.get_by_role("status").first).to_contain_text("The shared folder has been created.")
        row = page.get_by_test_id("share-Photos")
        expect(row).to_contain_text("Holidays and birthdays")
        expect(row).to_contain_text("available")
        expect(row.get_by_test_id("access-summary")).to_contain_text("read-write: bob")
        expect(row.get_by_test_id("access-summary")).to_contain_text("read-only: carol")
        assert (files_console.volume / "Photos").is_dir()
        snap_at(page, "list")

        # The same name again: refused next to the field, with what was typed kept.
        form = page.get_by_test_id("create-share-form")
        form.get_by_label("Name", exact=True).fill("photos")
        form.get_by_label("Description").fill("Again")
        form.get_by_role("button", name="Create shared folder").click()
        expect(page.get_by_test_id("error")).to_contain_text("already exists")
        form = page.get_by_test_id("create-share-form")
        expect(form.locator(".field-error")).to_contain_text("This name is taken.")
        expect(form.get_by_label("Description")).to_have_value("Again")
        snap_at(page, "create-refused")

        row = page.get_by_test_id("share-Photos")
        row.get_by_role("link", name="Photos").click()
        expect(page).to_have_url(base + "/shares/Photos")
        expect(page.get_by_test_id("effective-bob")).to_contain_text("read-write")
        expect(page.get_by_test_id("effective-carol")).to_contain_text("read-only from group family")
        expect(page.get_by_test_id("effective-alice")).to_contain_text("no access")
        permissions = page.get_by_test_id("permissions-form")
        permissions.get_by_label("Access for the user carol").select_option("rw")
        permissions.get_by_label("Access for the group family").select_option("none")
        permissions.get_by_role("button", name="Save permissions").click()
        expect(page.get_by_role("status").first).to_contain_text("The permissions have been saved.")
        expect(page.get_by_test_id("effective-carol")).to_contain_text(
            "no access from group family, which wins over their own entry"
        )
        snap_at(page, "share")

        page.goto(base + "/file-services")
        expect(page.get_by_test_id("smb-off")).to_contain_text("homeport serve --smb embedded")
        snap_at(page, "file-services-off")
        page.goto(base + "/")
        expect(page.get_by_test_id("volume-volume1")).to_contain_text("free of")
        expect(page.get_by_test_id("smb-line")).to_contain_text("SMB is off")
        snap_at(page, "overview")


@pytest.fixture
def smb_console() -> Iterator[tuple[Daemon, SmbClients]]:
    """A daemon serving SMB with its own smbd on a free loopback port; its folders walkable by SMB accounts."""
    root = traversable_root("hp-e2e-smb-")
    clients = SmbClients(free_port(), private_folder())
    (root / "volume1").mkdir(mode=0o755)
    daemon = Daemon(root / "home", root / "volume1", extra=("--smb", "embedded", "--smb-port", str(clients.port)))
    try:
        daemon.start().set_up(ADMIN, PASSWORD)
        yield daemon, clients
    finally:
        daemon.kill()
        kill_processes_of(SambaLayout.in_home(daemon.home).conf)
        SambaLayout.in_home(daemon.home).remove_runtime()
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(clients.folder, ignore_errors=True)


def test_a_shared_folder_made_in_the_console_is_used_over_smb(
    smb_console: tuple[Daemon, SmbClients], short_tmp: Path, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    daemon, clients = smb_console
    letter = tmp_path / "letter.txt"
    letter.write_text("Dear Homeport,\nplease keep this.\n")
    with chromium(daemon, short_tmp / "browser-home") as browser, opened_page(browser, request) as page:
        page.goto(daemon.base + "/login?next=/shares")
        page.get_by_label("User name").fill(ADMIN)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page).to_have_url(daemon.base + "/shares")
        assert page.evaluate(SEED, [ADMIN, PASSWORD]) == [201, 201, 201]
        page.reload()
        form = page.get_by_test_id("create-share-form")
        form.get_by_label("Name", exact=True).fill("Letters")
        form.get_by_label("Access for the user bob").select_option("rw")
        form.get_by_label("Access for the group family").select_option("ro")
        form.get_by_role("button", name="Create shared folder").click()
        expect(page.get_by_role("status").first).to_contain_text("The shared folder has been created.")

        # bob writes, carol (family, read-only) reads and cannot write, alice (not listed) cannot connect.
        def eventually_ok() -> None:
            deadline = time.monotonic() + 10
            while not (done := clients.run("bob", SEED_PASSWORD, "Letters", f"put {letter} letter.txt")).ok:
                assert time.monotonic() < deadline, done
                time.sleep(0.2)

        eventually_ok()
        # The share is listed to the accounts browsing this real daemon's smbd (its helpers run as smbd starts them).
        assert "Letters" in clients.run("bob", SEED_PASSWORD, None, "").out
        assert (daemon.volume / "Letters" / "letter.txt").read_text() == letter.read_text()
        fetched = tmp_path / "fetched.txt"
        assert clients.run("carol", SEED_PASSWORD, "Letters", f"get letter.txt {fetched}").ok
        assert fetched.read_text() == letter.read_text()
        assert clients.run("carol", SEED_PASSWORD, "Letters", f"put {letter} mine.txt").refused("ACCESS_DENIED")
        assert clients.run(ADMIN, PASSWORD, "Letters", "ls").refused("ACCESS_DENIED")

        # The File services page shows SMB running, and bob's open session while it lasts.
        with clients.session("bob", SEED_PASSWORD, "Letters") as open_session:
            # Signed in and connected before the page is drawn (the page shows what is, it does not refresh).
            assert "blocks available" in open_session.send("ls", until=b"blocks available")
            page.goto(daemon.base + "/file-services")
            expect(page.get_by_test_id("smb-state")).to_have_text("running")
            expect(page.get_by_test_id("smb-sessions")).to_contain_text("bob")
            snap_at(page, "file-services-running")
