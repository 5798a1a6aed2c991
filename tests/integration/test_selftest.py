"""The self-test against real Samba: Homeport's embedded smbd on a loopback port, the checks run through Homeport's
services, and a real `homeport serve` whose apt hook runs after a simulated Samba upgrade that breaks smbd."""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from homeport.accounts.nt_hash import nt_hash
from homeport.core.events import NoticeRaised
from homeport.daemon import BuildOptions, build_services, close_services
from homeport.home import Home
from homeport.selftest import CheckResult, Snapshot, run_checks, take_snapshot
from homeport.selftest.canary import CANARY_PREFIX, sign_in_with
from homeport.selftest.checks import TITLES
from homeport.selftest.service import NOTICE_KIND, SelfTestPaths, SelfTestService
from homeport.smb.layout import SambaLayout
from homeport.smb.passdb import Passdb, PassdbEntry
from homeport.smb.transient import TRANSIENT_UID
from homeport.smb.unix_accounts import WrappedAccounts
from tests.conftest import FLOOR
from tests.support.daemon import Daemon, free_port
from tests.support.fakes import StaticInterfaces
from tests.support.samba import (
    OWNER,
    OWNER_PASSWORD,
    ROOT,
    SambaHomeport,
    kill_processes_of,
    samba_homeport,
    traversable_root,
)

# Samba is installed by `make test` (Makefile SMB_TEST_DEBS): a machine without it fails here, it never skips.

OLD, NEW = "2:4.17.12+dfsg-0+deb12u1", "2:4.17.12+dfsg-0+deb12u2"
DEB_OLD = f"samba_{OLD.replace(':', '%3a')}_amd64.deb"


@pytest.fixture(scope="module")
def hp() -> Iterator[SambaHomeport]:
    with samba_homeport(FLOOR) as made:
        made.add_user("bob", "violet river stone 42")
        made.share("Team", users={OWNER: "rw", "bob": "rw"})
        made.synced()
        yield made


def checks(hp: SambaHomeport, before: Snapshot | None = None, restart: bool = False) -> dict[str, CheckResult]:
    found = asyncio.run(run_checks(hp.services, before, restart_smb=restart))
    assert [c.name for c in found] == list(TITLES)  # every check, in order, always
    return {c.name: c for c in found}


def nss_names(hp: SambaHomeport) -> set[str]:
    return {line.split(":")[0] for line in hp.files.layout.nss_passwd.read_text().splitlines()}


def test_every_check_passes_on_a_working_device_and_the_canary_leaves_nothing(hp: SambaHomeport) -> None:
    before = take_snapshot(hp.services)
    assert before.smb_running and before.smb_port == hp.port and not before.mdns_announcing
    assert Snapshot.from_dict(before.as_dict()) == before  # JSON-serialisable, for the updater's trial
    found = checks(hp, before, restart=True)
    assert all(c.ok for c in found.values()), found
    assert "signed in over SMB" in found["smb_canary"].detail
    assert hp.passdb_names() == {OWNER, "bob"}  # the canary is gone from passdb...
    assert not any(n.startswith(CANARY_PREFIX) for n in nss_names(hp))  # ...and from the accounts smbd sees
    (record,) = hp.services.audit.query(action="system.selftest_canary", limit=5)
    assert record.outcome == "success" and record.target.startswith(CANARY_PREFIX)
    assert hp.smb(OWNER, "Team", "ls").ok  # people's SMB still works after the restart
    # Nothing about the canary reached the drift check: no repair was recorded.
    assert hp.services.audit.query(action="smb.drift_repaired", limit=5) == []


def test_the_canary_fails_when_samba_refuses_its_password(hp: SambaHomeport) -> None:
    name = CANARY_PREFIX + "wrongpw0"
    outcome = sign_in_with(hp.files, name, nt_hash("the password samba holds").hex().upper(), "another password")
    assert not outcome.ok and "NT_STATUS_LOGON_FAILURE" in outcome.detail
    assert name not in hp.passdb_names()


@pytest.mark.leaves_threads("homeport-smbd")  # the module's smbd, stopped and started again; stopped at its end
def test_a_package_change_that_stops_smbd_raises_the_banner_and_a_notice(hp: SambaHomeport, tmp_path: Path) -> None:
    log, archives = tmp_path / "dpkg.log", tmp_path / "archives"
    archives.mkdir()
    log.write_text("2026-12-01 04:00:00 upgrade tree:amd64 2.1.0-1 2.1.0-2\n")
    svc = hp.services
    selftest = SelfTestService(svc.db, svc.clock, svc.audit, svc.bus, SelfTestPaths(dpkg_log=log, archives=archives))
    notices: list[NoticeRaised] = []
    svc.bus.subscribe(NoticeRaised, notices.append)
    selftest.start()  # remembers where dpkg's log ends: what was there before does not count
    quiet = asyncio.run(selftest.run(svc, ROOT, after_package_change=True))
    assert quiet.ok and quiet.changes == () and selftest.banner() is None and notices == []

    (archives / f"samba_{OLD.replace(':', '%3a')}_amd64.deb").touch()
    with log.open("a") as handle:
        handle.write(f"2026-12-01 05:00:01 upgrade samba:amd64 {OLD} {NEW}\n")
    assert hp.files.server is not None
    hp.files.server.stop()  # the new smbd does not come up
    try:
        run = asyncio.run(selftest.run(svc, ROOT, after_package_change=True))
    finally:
        hp.files.server.start()
    assert not run.ok and {c.name for c in run.failed} == {"smbd", "smb_canary"}
    assert [(c.package, c.old, c.new) for c in run.changes] == [("samba", OLD, NEW)]
    assert selftest.banner() == run and selftest.last_package_change() == run
    (notice,) = notices
    assert notice.kind == NOTICE_KIND and notice.severity == "critical"
    assert "samba" in notice.title
    assert f"samba went from {OLD} to {NEW}" in notice.body
    assert f"apt-get install samba={OLD}" in notice.body and "smbd does not answer" in notice.body

    assert hp.files.server.wait_until_answering(15)
    fixed = asyncio.run(selftest.run(svc, ROOT))  # a self-test that passes lowers the banner
    assert fixed.ok and selftest.banner() is None
    assert len(notices) == 1  # a passing run tells nobody
    outcomes = [r.outcome for r in svc.audit.query(action="system.selftest", limit=10)]
    assert outcomes[:3] == ["success", "failure", "success"]


def test_drift_and_a_stopped_smbd_fail_their_checks(hp: SambaHomeport) -> None:
    """Last in the module: it stops the file service."""
    hp.files.stop()
    WrappedAccounts(hp.files.layout).ensure({OWNER: 70001, "bob": 70002, "mallory": 70099})
    Passdb(hp.files.tools).write([PassdbEntry("mallory", 70099, nt_hash("y" * 20).hex().upper(), False)])
    found = checks(hp)
    assert not found["smbd"].ok and not found["smb_canary"].ok
    assert not found["smb_drift"].ok and "mallory: in Samba but not in Homeport" in found["smb_drift"].detail
    assert found["sign_in"].ok and found["smb_config"].ok and found["network"].ok
    moved = Snapshot(smb_running=True, smb_port=hp.port, mdns_announcing=True, network_snapshot_id=99)
    after = checks(hp, moved)
    assert not after["network"].ok and "#99 was before" in after["network"].detail
    assert not after["mdns"].ok and "now discovery is off" in after["mdns"].detail
    elsewhere = Snapshot(smb_running=True, smb_port=hp.port + 1, mdns_announcing=False, network_snapshot_id=None)
    assert "before, now on" in checks(hp, elsewhere)["smbd"].detail


def test_a_canary_left_by_a_killed_daemon_is_removed_at_the_next_start() -> None:
    with samba_homeport(FLOOR) as first:
        name = CANARY_PREFIX + "leftover"
        users = {e.name: e.uid for e in Passdb(first.files.tools).entries().values()}
        first.files.stop()  # as if killed in the middle of a canary sign-in:
        WrappedAccounts(first.files.layout).ensure({**users, name: TRANSIENT_UID})
        Passdb(first.files.tools).write([PassdbEntry(name, TRANSIENT_UID, nt_hash("x" * 20).hex().upper(), False)])
        assert name in first.passdb_names()
        options = BuildOptions(
            volumes=(first.volume,), argon2=FLOOR, hash_workers=1, smb="embedded", smb_port=first.port,
            smb_binds=("127.0.0.1",), discovery=False,
        )  # fmt: skip
        again = build_services(Home(first.root / "home"), options, interfaces=StaticInterfaces())
        try:
            again.files.start()  # the next start
            assert again.files.wait_started(20)
            assert first.passdb_names() == {OWNER}
            (record,) = again.audit.query(action="smb.transient_account_removed", limit=5)
            assert record.target == name
            assert again.audit.query(action="smb.drift_repaired", limit=5) == []  # not mistaken for drift
        finally:
            again.files.stop()
            close_services(again)


# --- a real daemon, its apt hook, and an upgrade of Samba that breaks smbd ------------------------------------


@pytest.fixture
def hook_daemon() -> Iterator[tuple[Daemon, Path]]:
    """`homeport serve --smb embedded --apt-hook PATH` whose smbd is a wrapper: it runs the real one until a flag
    file says "the new version is installed", then fails as a broken package would. Killed by PID at the end."""
    root = traversable_root()
    wrappers = root / "bin"
    wrappers.mkdir()
    real = shutil.which("smbd", path="/usr/sbin:/usr/bin")
    broken = root / "broken"
    (wrappers / "smbd").write_text(
        f"#!/bin/sh\nif [ -e {broken} ]; then echo 'smbd: error while loading shared libraries: libsmbd-base' >&2;"
        f' exit 127; fi\nexec {real} "$@"\n'
    )
    (wrappers / "smbd").chmod(0o755)
    (root / "volume1").mkdir()
    (root / "archives").mkdir()
    (root / "dpkg.log").write_text("2026-11-30 10:00:00 install samba:amd64 <none> " + OLD + "\n")
    port = free_port()
    daemon = Daemon(
        root / "home", root / "volume1",
        extra=("--smb", "embedded", "--smb-port", str(port), "--apt-hook", str(root / "80homeport"),
               "--dpkg-log", str(root / "dpkg.log"), "--apt-archives", str(root / "archives")),
        env={"PATH": f"{wrappers}:{os.environ.get('PATH', '')}"},
    )  # fmt: skip
    try:
        yield daemon, root
    finally:
        daemon.kill()
        kill_processes_of(SambaLayout.in_home(daemon.home).conf)
        SambaLayout.in_home(daemon.home).remove_runtime()
        shutil.rmtree(root, ignore_errors=True)


def hook_command(conf: Path, key: str = "DPkg::Post-Invoke") -> str:
    """A command apt runs (after dpkg, or before it with the package files), as apt itself reads it."""
    done = subprocess.run(["apt-config", "dump", "-c", str(conf), key], capture_output=True, text=True, timeout=30,
                          check=False)  # fmt: skip
    assert done.returncode == 0 and "E:" not in done.stderr, done.stderr
    ours = [c for c in re.findall(rf'^{key}:: "(.*)";$', done.stdout, re.M) if " --home " in c]
    assert len(ours) == 1, done.stdout
    return ours[0]


def run_hook(command: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """As apt runs it: `sh -c`, in a session of its own, bounded."""
    return subprocess.run(["sh", "-c", command], input=stdin, capture_output=True, text=True, timeout=150,
                          check=False, start_new_session=True)  # fmt: skip


def console_page(daemon: Daemon, path: str, cookie: str) -> str:
    connection = http.client.HTTPSConnection("localhost", daemon.https_port, context=daemon.tls_context(), timeout=10)
    try:
        connection.request("GET", path, headers={"Cookie": cookie})
        answer = connection.getresponse()
        assert answer.status == 200, answer.status
        return answer.read().decode()
    finally:
        connection.close()


def test_the_apt_hook_after_a_samba_upgrade_that_breaks_smbd(hook_daemon: tuple[Daemon, Path]) -> None:
    daemon, root = hook_daemon
    daemon.start()
    daemon.set_up(OWNER, OWNER_PASSWORD)
    cookie, csrf = sign_in(daemon)
    auth = {"Cookie": cookie, "X-CSRF-Token": csrf}
    status, state, _ = daemon.request("GET", "/api/v1/selftest", None, auth)
    assert status == 200 and state["apt_hook"] == str(root / "80homeport") and state["banner"] is None
    command = hook_command(root / "80homeport")
    assert str(daemon.home) in command and "--after-package-change" in command

    # A dpkg run that changed nothing Homeport needs: the self-test passes (smbd answers, the canary signs in).
    deadline = time.monotonic() + 20
    while (passed := run_hook(command)).returncode == 0 and "every check passed" not in passed.stdout:
        assert time.monotonic() < deadline, passed.stdout + passed.stderr  # smbd may still be starting
        time.sleep(0.5)
    assert "every check passed" in passed.stdout, passed.stdout + passed.stderr

    # When samba OLD was installed, apt's Pre-Install-Pkgs hook handed Homeport its package file: a copy is kept
    # (apt deletes its own once installed).
    cache = root / "cache"
    cache.mkdir()
    (cache / DEB_OLD).write_bytes(b"samba, as it was")
    kept = run_hook(hook_command(root / "80homeport", "DPkg::Pre-Install-Pkgs"), f"{cache / DEB_OLD}\n")
    assert kept.returncode == 0, kept.stderr
    (cache / DEB_OLD).unlink()
    # Samba "upgraded" to a build that cannot start.
    (root / "broken").touch()
    with (root / "dpkg.log").open("a") as handle:
        handle.write(f"2026-12-01 05:00:01 upgrade samba:amd64 {OLD} {NEW}\n")
    failed = run_hook(command)
    assert failed.returncode == 0, failed.stderr  # never fails dpkg
    assert "FAIL" in failed.stdout and "samba" in failed.stdout, failed.stdout

    status, state, _ = daemon.request("GET", "/api/v1/selftest", None, auth)
    banner = state["banner"]
    assert banner is not None and not banner["ok"]
    assert {c["name"] for c in banner["checks"] if not c["ok"]} >= {"smbd", "smb_canary"}
    smbd = next(c for c in banner["checks"] if c["name"] == "smbd")
    assert "libsmbd-base" in smbd["detail"] or "exited with status 127" in smbd["detail"], smbd
    (change,) = banner["changes"]
    assert (change["package"], change["old"], change["new"]) == ("samba", OLD, NEW)
    assert change["way_back"] == f"apt-get install {daemon.home.absolute() / 'packages' / DEB_OLD}"
    page = console_page(daemon, "/", cookie)
    assert 'data-testid="selftest-banner"' in page and "samba" in page
    health = console_page(daemon, "/system-health", cookie)
    assert f"apt-get install {daemon.home.absolute() / 'packages' / DEB_OLD}" in health

    # The daemon down: the hook still exits 0, and the command itself says why it could not run.
    (root / "broken").unlink()
    assert daemon.stop() == 0
    down = run_hook(command)
    assert down.returncode == 0
    direct = daemon.cli("selftest", "--after-package-change")
    assert direct.returncode == 3 and "Homeport is not running" in direct.stderr, direct.stderr

    # Started again with smbd repaired: the next self-test passes and the banner goes.
    daemon.start()
    deadline = time.monotonic() + 20
    while daemon.cli("selftest").returncode != 0:
        assert time.monotonic() < deadline
        time.sleep(0.5)
    assert "selftest-banner" not in console_page(daemon, "/", sign_in(daemon)[0])


def sign_in(daemon: Daemon) -> tuple[str, str]:
    """The owner's session cookie and CSRF token."""
    body = {"username": OWNER, "password": OWNER_PASSWORD}
    status, answer, headers = daemon.request("POST", "/api/v1/auth/login", body)
    assert status == 200, answer
    return headers["set-cookie"].split(";")[0], answer["csrf_token"]


def test_not_root_is_told_clearly(hook_daemon: tuple[Daemon, Path]) -> None:
    daemon, _ = hook_daemon
    daemon.start()
    daemon.set_up(OWNER, OWNER_PASSWORD)
    nobody = daemon.cli("selftest", "--json", as_user=65534)
    assert nobody.returncode == 6, nobody.stderr
    error = json.loads(nobody.stderr)["error"]  # --json: one JSON document, the error too
    assert error["exit_code"] == 6 and "run as root" in error["message"]
    done = daemon.cli("selftest", "--json")
    assert done.returncode in (0, 8), done.stderr  # 8 while smbd is still starting
    assert [c["name"] for c in json.loads(done.stdout)["checks"]] == list(TITLES)
