"""Updates of a real daemon between real releases (venvs built from wheels of this checkout): committed, refused
by the preflight, rolled back after a failed start or trial, and SIGKILLed at every step. Every test ends with the
administrator signing in over HTTPS. About 4-6 minutes in all (a release build is ~12 s of pip)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from homeport.updates.supervisor import restore_store
from tests.support.daemon import Daemon
from tests.support.releases import (
    Patch,
    ReleaseDaemon,
    Wheelhouse,
    add_migration,
    build_base_release,
    replace_in,
)

pytestmark = pytest.mark.integration

ADMIN, PASSWORD = "alice", "correct horse battery staple"
TEST_MIGRATION = 50  # far above the real ones: a variant's own schema step
SETTLE_SECONDS = 180


@pytest.fixture(scope="module")
def wheelhouse() -> Iterator[Wheelhouse]:
    with tempfile.TemporaryDirectory(prefix="hp-wheels-", dir="/tmp") as where:
        yield Wheelhouse(Path(where))


@pytest.fixture(scope="module")
def base_release(wheelhouse: Wheelhouse) -> Path:
    return build_base_release(wheelhouse, wheelhouse.root / "base-root")


@pytest.fixture
def device(short_tmp: Path, base_release: Path) -> Iterator[ReleaseDaemon]:
    """A set-up daemon running the base release from its own releases root (the release linked in)."""
    releases = short_tmp / "opt"
    (releases / "releases").mkdir(parents=True)
    entry = releases / "releases" / base_release.name
    entry.symlink_to(base_release)
    (releases / "current").symlink_to(entry)
    volume = short_tmp / "volume1"
    volume.mkdir()
    made = ReleaseDaemon(short_tmp / "home", volume, releases=releases)
    try:
        made.start().set_up(ADMIN, PASSWORD)
        yield made
    finally:
        made.kill()


def signs_in(device: ReleaseDaemon) -> bool:
    status, _, _ = device.request("POST", "/api/v1/auth/login", {"username": ADMIN, "password": PASSWORD})
    return status == 200


def local(device: ReleaseDaemon, *args: str) -> subprocess.CompletedProcess[str]:
    """This checkout's CLI, as root, over the daemon's socket."""
    command = [sys.executable, "-m", "homeport", *args, "--home", str(device.home)]
    return subprocess.run(command, capture_output=True, text=True, timeout=SETTLE_SECONDS + 300, check=False)


def wait_answering(device: Daemon, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if device.request("GET", "/api/v1/system")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"the daemon did not answer within {timeout} s:\n{device.log()}")


def schema(device: ReleaseDaemon) -> int:
    conn = sqlite3.connect(device.home / "config.sqlite")
    try:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])
    finally:
        conn.close()


def audit_actions(device: ReleaseDaemon) -> list[str]:
    conn = sqlite3.connect(device.home / "config.sqlite")
    try:
        return [
            str(r[0]) for r in conn.execute("SELECT action FROM audit_log WHERE action LIKE 'update.%' ORDER BY id")
        ]
    finally:
        conn.close()


def journal(device: ReleaseDaemon) -> dict[str, object]:
    return dict(json.loads((device.home / "updates" / "journal.json").read_text()))


def current_version(device: ReleaseDaemon) -> str:
    return str(device.get("/api/v1/system")["version"])


# --- a good update --------------------------------------------------------------------------------------------


def test_an_update_with_a_new_migration_is_committed_and_an_older_release_is_refused(
    device: ReleaseDaemon, wheelhouse: Wheelhouse
) -> None:
    newer = wheelhouse.variant("migrates", "0.2.0", MIGRATES)
    before = schema(device)
    done = local(device, "update", str(newer), "--json")
    assert done.returncode == 0, done.stdout + done.stderr + device.log()
    assert json.loads(done.stdout)["state"] == "committed"
    wait_answering(device)
    assert current_version(device) == "0.2.0"
    assert schema(device) == TEST_MIGRATION > before
    assert signs_in(device)
    assert audit_actions(device)[-2:] == ["update.switched", "update.committed"]
    assert journal(device)["state"] == "committed"
    assert not (device.home / "updates" / str(journal(device)["id"]) / "canaries.json").exists()

    # Back to the release before: its code refuses the store the newer one migrated, so the preflight stops it.
    older = wheelhouse.variant("base", "0.1.0")
    refused = local(device, "update", str(older), "--json")
    assert refused.returncode == 5, refused.stdout + refused.stderr
    assert "newer Homeport" in refused.stderr
    assert current_version(device) == "0.2.0"
    assert signs_in(device)


# --- refused by the preflight: nothing changes ----------------------------------------------------------------


def releases_built(device: ReleaseDaemon) -> list[str]:
    return sorted(p.name for p in (device.releases / "releases").iterdir())


def assert_untouched(device: ReleaseDaemon, schema_before: int, releases_before: list[str]) -> None:
    assert current_version(device) == "0.1.0"
    assert schema(device) == schema_before
    assert releases_built(device) == releases_before
    assert signs_in(device)
    assert not list((device.home / "updates").glob("*/canaries.json"))
    assert not list((device.home / "updates").glob("*/preflight-store.sqlite"))


@pytest.mark.parametrize(
    ("name", "patch", "said"),
    [
        (
            "breaks-hashes",
            add_migration(TEST_MIGRATION, "conn.execute(\"UPDATE users SET password_hash = 'gone'\")"),
            "migrations: Migration to schema 50 failed: it would leave no administrator able to sign in",
        ),
        (
            "argon2-refuses",
            replace_in("accounts/passwords.py", "return self._argon.verify(password_hash, secret)", "return False"),
            "this release refused the right password",
        ),
    ],
)
def test_a_release_that_would_lock_people_out_fails_its_preflight_and_changes_nothing(
    device: ReleaseDaemon, wheelhouse: Wheelhouse, name: str, patch: Patch, said: str
) -> None:
    before, built = schema(device), releases_built(device)
    done = local(device, "update", str(wheelhouse.variant(name, "0.3.0", patch)), "--json")
    assert done.returncode == 5, done.stdout + done.stderr
    assert said in json.loads(done.stderr)["error"]["message"]
    assert_untouched(device, before, built)
    assert journal(device)["state"] == "failed"
    assert audit_actions(device) == ["update.failed"]


# --- rolled back after the switch -----------------------------------------------------------------------------


def assert_rolled_back(device: ReleaseDaemon, schema_before: int, why: str) -> None:
    wait_answering(device)
    assert current_version(device) == "0.1.0"
    assert schema(device) == schema_before  # the store from before: the old code never opens the migrated one
    assert signs_in(device)
    settled = journal(device)
    assert settled["state"] == "rolled-back", settled
    assert why in str(settled["reason"])
    deadline = time.monotonic() + 10
    while "update.rolled_back" not in audit_actions(device) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert audit_actions(device)[-1] == "update.rolled_back"
    assert journal(device)["reported"] is True
    failed = Path(str(settled["to_release"]))
    assert (failed / "FAILED").exists()


MIGRATES = add_migration(TEST_MIGRATION, 'conn.execute("CREATE TABLE update_test (id INTEGER)")')


def both(*patches: Patch) -> Patch:
    def patch(package: Path) -> None:
        for one in patches:
            one(package)

    return patch


FAILS_TRIAL = both(
    replace_in(
        "api/routes/auth.py",
        "    result = svc.login.sign_in(body.username, body.password, origin_of(request))\n",
        "    raise HomeportError('every sign-in refused (test)')\n",
    ),
    replace_in(
        "api/routes/auth.py", "from homeport.", "from homeport.core.errors import HomeportError\nfrom homeport."
    ),
)


@pytest.mark.parametrize(
    ("name", "patch", "why"),
    [
        (
            "cannot-start",
            both(MIGRATES, replace_in("serve.py", "    configure_logging()\n", "    raise StartupFailed('test')\n")),
            "stopped during its trial",
        ),
        (
            "fails-trial",
            both(MIGRATES, FAILS_TRIAL),
            "the trial failed: a sign-in with a new account's right password was refused",
        ),
    ],
)
def test_a_release_that_passes_the_preflight_but_not_its_start_or_trial_is_rolled_back(
    device: ReleaseDaemon, wheelhouse: Wheelhouse, name: str, patch: Patch, why: str
) -> None:
    before = schema(device)
    done = local(device, "update", str(wheelhouse.variant(name, "0.4.0", patch)), "--json")
    assert done.returncode == 5, done.stdout + done.stderr + device.log()
    assert "was rolled back" in json.loads(done.stderr)["error"]["message"]
    assert done.stdout.strip() == ""  # --json: one document, the error
    assert_rolled_back(device, before, why)


# --- SIGKILL at every step --------------------------------------------------------------------------------------

SLOW_TRIAL = both(
    MIGRATES,
    replace_in(
        "updates/trial.py",
        "        problem = await self._sign_in_works()\n",
        "        await asyncio.sleep(4)\n        problem = await self._sign_in_works()\n",
    ),
)


def wait_for(what: str, check: Callable[[], bool], timeout: float = 180, device: ReleaseDaemon | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError(f"{what} did not happen within {timeout} s\n" + (what_happened(device) if device else ""))


def update_in_background(device: ReleaseDaemon, source: Path) -> subprocess.Popen[bytes]:
    command = [
        sys.executable,
        "-m",
        "homeport",
        "update",
        str(source),
        "--no-wait",
        "--json",
        "--home",
        str(device.home),
    ]
    with (device.home.parent / "update-cli.log").open("wb") as log:
        return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def what_happened(device: ReleaseDaemon) -> str:
    """For a failure's message: the CLI's answer, the journal, the daemon's log."""
    cli = device.home.parent / "update-cli.log"
    path = device.home / "updates" / "journal.json"
    return "\n".join(
        [cli.read_text() if cli.exists() else "", path.read_text() if path.exists() else "no journal", device.log()]
    )


def stop_cli(cli: subprocess.Popen[bytes]) -> None:
    if cli.poll() is None:
        cli.kill()
    cli.wait(10)


def unfinished_build(device: ReleaseDaemon) -> bool:
    return any(not (p / "release.json").exists() for p in (device.releases / "releases").iterdir())


def preflight_running(device: ReleaseDaemon) -> bool:
    return any((device.home / "updates").glob("*/canaries.json"))


@pytest.mark.parametrize("step", ["building", "preflight"])
def test_sigkill_before_the_switch_leaves_everything_as_it_was(
    device: ReleaseDaemon, wheelhouse: Wheelhouse, step: str
) -> None:
    before, built = schema(device), releases_built(device)
    cli = update_in_background(device, wheelhouse.variant("migrates", "0.2.0", MIGRATES))
    try:
        wait_for(step, lambda: (unfinished_build if step == "building" else preflight_running)(device), device=device)
        device.kill()  # SIGKILL to the daemon's process group: pip or the new release's check with it
    finally:
        stop_cli(cli)
    device.start()
    assert_untouched(device, before, built)
    assert journal(device)["state"] == "failed"
    assert "while the update was being prepared" in str(journal(device)["reason"])


def killed_in_trial(device: ReleaseDaemon, wheelhouse: Wheelhouse) -> dict[str, object]:
    """An update whose new release is answering in its trial (it migrated the store), then SIGKILL to all."""
    cli = update_in_background(device, wheelhouse.variant("slow-trial", "0.5.0", SLOW_TRIAL))
    try:
        wait_for("the trial", lambda: journal_state(device) == "trial", device=device)
        wait_for("the new release answering", lambda: version_or_none(device) == "0.5.0", timeout=60, device=device)
        assert journal_state(device) == "trial"
        device.kill()
    finally:
        stop_cli(cli)
    return journal(device)


def journal_state(device: ReleaseDaemon) -> str | None:
    path = device.home / "updates" / "journal.json"
    return str(json.loads(path.read_text())["state"]) if path.exists() else None


def version_or_none(device: ReleaseDaemon) -> str | None:
    try:
        return current_version(device)
    except (OSError, AssertionError):
        return None


def rewrite(device: ReleaseDaemon, settled: dict[str, object], state: str, **changes: object) -> None:
    (device.home / "updates" / "journal.json").write_text(json.dumps({**settled, **changes, "state": state}))


def relink(device: ReleaseDaemon, target: object) -> None:
    link = device.releases / "current"
    link.unlink()
    link.symlink_to(str(target))


@pytest.mark.parametrize(
    ("step", "ends_on"),
    [
        ("switching, link not moved yet", "0.1.0"),
        ("switching, link moved, not restarted yet", "0.5.0"),
        ("trial, new release migrated the store", "0.1.0"),
        ("rolling-back, store restored, link not moved back yet", "0.1.0"),
    ],
)
def test_sigkill_at_the_switch_and_in_the_trial_ends_on_one_release_with_sign_in_intact(
    device: ReleaseDaemon, wheelhouse: Wheelhouse, step: str, ends_on: str
) -> None:
    before = schema(device)
    settled = killed_in_trial(device, wheelhouse)  # a real SIGKILL in the trial; earlier steps are derived from it
    assert schema(device) == TEST_MIGRATION
    backup = Path(str(settled["backup"]))
    store = device.home / "config.sqlite"
    if step.startswith("switching"):
        restore_store(backup, store)  # the new release never started: the store is the one from before
        rewrite(device, settled, "switching", attempts=0)
        if "not moved" in step:
            relink(device, settled["from_release"])
    elif step.startswith("rolling-back"):
        restore_store(backup, store)
        rewrite(device, settled, "rolling-back", reason="the trial failed: test")
    device.supervised = True
    device.start(wait=False)
    wait_answering(device)
    if ends_on == "0.5.0":
        wait_for("the commit", lambda: journal_state(device) == "committed", timeout=60)
        assert current_version(device) == "0.5.0"
        assert schema(device) == TEST_MIGRATION
        assert signs_in(device)
        return
    wait_for("the rollback report", lambda: journal(device).get("reported") is True, timeout=60)
    assert current_version(device) == "0.1.0"
    assert schema(device) == before
    assert signs_in(device)
    assert journal_state(device) == "rolled-back"


# --- an installation that is not a release yet (a checkout, `make run`) -----------------------------------------


def test_an_installation_that_is_not_a_release_gets_its_own_command_back_after_a_rollback(
    short_tmp: Path, wheelhouse: Wheelhouse
) -> None:
    """The daemon runs from this checkout; the failed release's link goes and the checkout's daemon starts again."""
    volume = short_tmp / "volume1"
    volume.mkdir()
    releases = short_tmp / "opt"
    checkout = Daemon(short_tmp / "home", volume, extra=("--releases", str(releases), "--trial-seconds", "30"))
    try:
        checkout.start().set_up(ADMIN, PASSWORD)
        failing = wheelhouse.variant("fails-trial", "0.4.0", both(MIGRATES, FAILS_TRIAL))
        done = subprocess.run(
            [sys.executable, "-m", "homeport", "update", str(failing),
             "--home", str(checkout.home)],
            capture_output=True, text=True, timeout=SETTLE_SECONDS + 300, check=False,
        )  # fmt: skip
        assert done.returncode == 5, done.stdout + done.stderr + checkout.log()
        # Progress as it happens, then the outcome (a person at a terminal, not --json)
        assert "  Building the release beside the running one" in done.stdout
        assert "Preflight passed: switching from 0.1.0 to 0.4.0." in done.stdout
        assert "was rolled back: the trial failed" in done.stderr
        wait_answering(checkout)
        assert checkout.get("/api/v1/system")["version"] == "0.1.0"
        assert not (releases / "current").is_symlink()
        status, _, _ = checkout.request("POST", "/api/v1/auth/login", {"username": ADMIN, "password": PASSWORD})
        assert status == 200
        settled = json.loads((checkout.home / "updates" / "journal.json").read_text())
        assert settled["state"] == "rolled-back"
        assert settled["from_release"] is None
    finally:
        checkout.kill()
