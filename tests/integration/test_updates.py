"""Updates of a real daemon between real releases (venvs built from wheels of this checkout): committed, refused
by the preflight, rolled back after a failed start or trial, and SIGKILLed at every step. Every test ends with the
administrator signing in over HTTPS. About 4-6 minutes in all (a release build is ~12 s of pip)."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.releases import ReleaseDaemon, Wheelhouse, add_migration, build_base_release, replace_in

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


def updates(device: ReleaseDaemon) -> dict[str, object]:
    done = local(device, "status", "--json")
    assert done.returncode == 0, done.stderr
    status, body, _ = _local_get(device, "/api/v1/updates")
    assert status == 200, body
    return dict(body)


def _local_get(device: ReleaseDaemon, path: str) -> tuple[int, dict[str, object], None]:
    import httpx2 as httpx

    with httpx.Client(transport=httpx.HTTPTransport(uds=str(device.home / "homeport.sock")), timeout=10) as client:
        answer = client.get(f"http://homeport{path}")
    return answer.status_code, answer.json(), None


def wait_answering(device: ReleaseDaemon, timeout: float = 60) -> None:
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
    newer = wheelhouse.variant(
        "migrates", "0.2.0", add_migration(TEST_MIGRATION, 'conn.execute("CREATE TABLE update_test (id INTEGER)")')
    )
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
