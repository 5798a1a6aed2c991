"""`homeport backup ...` against a real daemon over its Unix socket, and `homeport recover restore-backup` with
the daemon stopped: exit codes, JSON, keys restored with the recovery passphrase onto a fresh home."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import httpx2 as httpx
import pytest

from tests.support.daemon import Daemon

ADMIN, PASSWORD = "alice", "correct horse battery staple"
PASSPHRASE = "harbour lamp kettle morning"


@pytest.fixture
def ready(daemon: Daemon) -> Daemon:
    daemon.start()
    daemon.set_up(ADMIN, PASSWORD)
    return daemon


def ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    return result


def refused(result: subprocess.CompletedProcess[str], code: int, words: str) -> None:
    assert result.returncode == code, (result.stdout, result.stderr)
    assert words in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def on_socket(daemon: Daemon, method: str, path: str, body: object) -> httpx.Response:
    """Root on the machine, through the CLI's socket (no password to give)."""
    transport = httpx.HTTPTransport(uds=str(daemon.home / "homeport.sock"))
    with httpx.Client(transport=transport, base_url="http://homeport/api/v1", timeout=60) as client:
        return client.request(method, path, json=body)


def made(daemon: Daemon) -> str:
    [backup] = json.loads(ok(daemon.cli("backup", "create", "--json")).stdout)
    return str(backup["id"])


def test_list_create_verify_with_good_and_bad_input(ready: Daemon) -> None:
    assert "No backup yet" in ok(ready.cli("backup", "list")).stdout
    created = ok(ready.cli("backup", "create")).stdout
    assert created.startswith("Made volume1/")
    [backup] = json.loads(ok(ready.cli("backup", "list", "--json")).stdout)["backups"]
    assert backup["reason"] == "manual" and backup["counts"]["administrators"] == 1
    listed = ok(ready.cli("backup", "list")).stdout
    assert "manual" in listed and "Daily at 03:00" in listed and "not included until" in listed
    verified = ok(ready.cli("backup", "verify", backup["id"])).stdout
    assert "PASSED   checksums" in verified and "usable" in verified

    refused(ready.cli("backup", "verify", "nonsense"), 2, "not a backup's id")
    refused(ready.cli("backup", "verify", "volume1/20200101T000000-000000"), 4, "no configuration backup")
    store = ready.volume / "@homeport" / "config" / backup["id"].split("/")[1] / "config.sqlite"
    store.write_bytes(store.read_bytes()[:4096])
    damaged = ready.cli("backup", "verify", backup["id"], "--json")
    assert damaged.returncode == 8, damaged.stderr
    report = json.loads(damaged.stdout)
    assert report["ok"] is False and [c["name"] for c in report["checks"] if c["outcome"] == "failed"] == ["checksums"]


def test_restore_through_the_daemon_asks_then_brings_the_accounts_back(ready: Daemon) -> None:
    backup = made(ready)
    ok(ready.cli("user", "add", "carol", "--no-must-change", stdin="a long enough password\n"))
    asked = ready.cli("backup", "restore", backup)
    refused(asked, 2, "Add --yes")
    assert "Accounts: gone: carol" in asked.stdout
    done = ok(ready.cli("backup", "restore", backup, "--yes"))
    assert f"Restored {backup}" in done.stdout
    names = [u["name"] for u in json.loads(ok(ready.cli("user", "list", "--json")).stdout)]
    assert "carol" not in names and ADMIN in names
    reasons = sorted(b["reason"] for b in json.loads(ok(ready.cli("backup", "list", "--json")).stdout)["backups"])
    assert reasons == ["manual", "restore"]
    ready.stop()
    refused(ready.cli("backup", "restore", backup, "--yes"), 3, "homeport recover restore-backup")


def test_a_device_that_was_off_makes_its_daily_backup_when_it_starts(ready: Daemon) -> None:
    ready.stop()  # set up, never backed up: the next start is a day late
    ready.start()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        found = json.loads(ok(ready.cli("backup", "list", "--json")).stdout)["backups"]
        if found:
            break
        time.sleep(0.2)
    assert [b["reason"] for b in found] == ["daily"]
    ready.stop()
    ready.start()  # a fresh daily exists: no second one
    time.sleep(1)
    assert len(json.loads(ok(ready.cli("backup", "list", "--json")).stdout)["backups"]) == 1


def test_keys_come_back_onto_a_fresh_home_only_with_the_passphrase(ready: Daemon, short_tmp: Path) -> None:
    assert on_socket(ready, "PUT", "/backups/passphrase", {"passphrase": PASSPHRASE}).status_code == 204
    backup = made(ready)
    folder = ready.volume / "@homeport" / "config" / backup.split("/")[1]
    assert (folder / "keys.json").is_file()
    ok(ready.cli("backup", "verify", backup, "--with-passphrase", stdin=PASSPHRASE + "\n"))
    wrong = ready.cli("backup", "verify", backup, "--with-passphrase", stdin="not it at all\n")
    assert wrong.returncode == 2 and "does not open" in wrong.stderr + wrong.stdout
    assert "NOT usable" not in wrong.stdout  # a typo is not a broken backup
    listed = json.loads(ok(ready.cli("backup", "list", "--json")).stdout)["backups"]
    assert [b["verified_ok"] for b in listed if b["id"] == backup] == [True]
    original_key = (ready.home / "secrets.key").read_bytes()
    ready.stop()

    replacement = Daemon(short_tmp / "new-home", ready.volume)  # new hardware, the same volume
    try:
        replacement.start()
        replacement.set_up("someone", "another long password", name="fresh")
        replacement.stop()
        assert (replacement.home / "secrets.key").read_bytes() != original_key
        refused(
            replacement.cli("recover", "restore-backup", str(folder), "--with-keys", stdin="wrong passphrase here\n"),
            2,
            "does not open",
        )
        assert (replacement.home / "secrets.key").read_bytes() != original_key  # nothing changed
        done = ok(replacement.cli("recover", "restore-backup", str(folder), "--with-keys", stdin=PASSPHRASE + "\n"))
        assert "keys: The key material opens" in done.stdout
        assert (replacement.home / "secrets.key").read_bytes() == original_key
        assert list((replacement.home).glob("secrets.key.before-first-aid-*"))
        replacement.start()
        status, _, _ = replacement.request("POST", "/api/v1/auth/login", {"username": ADMIN, "password": PASSWORD})
        assert status == 200
    finally:
        replacement.kill()
