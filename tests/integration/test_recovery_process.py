"""Resets in a real daemon: the virtual button, crash safety at every step, data on real ext4 volumes."""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.daemon import Daemon
from tests.support.volumes import checksums, ext4_volume

ADMIN, PASSWORD = "alice", "correct horse battery staple"
# The gesture's timings run at a quarter (`--button-time-scale`): a 1.1 s hold is the real 4.4 s one, the 10 s
# window after it 2.5 s (room for a CLI to start between two holds). The machine's own timings are tested at
# full scale in tests/unit/recovery.
SCALE = 0.25
SCALED = {"HOMEPORT_BUTTON_TIME_SCALE": str(SCALE)}
LONG_PRESS = "1.1"


@pytest.fixture
def volume(short_tmp: Path) -> Iterator[Path]:
    with ext4_volume(short_tmp) as mounted:
        yield mounted


@pytest.fixture
def device(short_tmp: Path, volume: Path) -> Iterator[Daemon]:
    made = Daemon(short_tmp / "home", volume, env=dict(SCALED))
    yield made
    made.kill()


def set_up(device: Daemon) -> None:
    device.start()
    device.set_up(ADMIN, PASSWORD)


def state(device: Daemon) -> str:
    return str(device.get("/api/v1/system")["state"])


def wait_state(device: Daemon, wanted: str, timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if state(device) == wanted:
            return True
        time.sleep(0.2)
    return False


def journal(device: Daemon) -> list[tuple[str, str]]:
    conn = sqlite3.connect(device.home / "config.sqlite")
    try:
        return [(str(r[0]), str(r[1])) for r in conn.execute("SELECT mode, stage FROM recovery_resets ORDER BY id")]
    finally:
        conn.close()


def mode_1(device: Daemon) -> None:
    done = device.cli("button", "hold", LONG_PRESS)
    assert done.returncode == 0, done.stderr


def mode_2(device: Daemon) -> None:
    for _ in range(2):
        done = device.cli("button", "hold", LONG_PRESS)
        assert done.returncode == 0, done.stderr


def test_the_virtual_button_gives_mode_1_with_one_beep(device: Daemon, volume: Path) -> None:
    set_up(device)
    data = checksums(volume)
    mode_1(device)
    assert state(device) == "ready"  # the (scaled) 10 s window after release is still running (asked at once)
    recent = json.loads(device.cli("status", "--json").stdout)["hardware"]["recent"]
    assert [p["pattern"] for p in recent if p["device"] == "buzzer"][-1] == "one-beep"
    assert wait_state(device, "recovery", 20)
    assert journal(device) == [("mode1", "applied")]
    status = device.cli("status")
    assert "Recovery:       window open until" in status.stdout
    assert checksums(volume) == data


def test_a_short_press_changes_nothing(device: Daemon) -> None:
    set_up(device)
    assert device.cli("button", "hold", "0.25").returncode == 0
    time.sleep(2.5 + 0.5)  # past the (scaled) window a long press would have opened
    assert state(device) == "ready" and journal(device) == []


def test_mode_2_backs_up_to_the_ext4_volume_and_leaves_the_data_alone(device: Daemon, volume: Path) -> None:
    set_up(device)
    data = checksums(volume)
    mode_2(device)
    assert wait_state(device, "migratable", 20)
    recent = json.loads(device.cli("status", "--json").stdout)["hardware"]["recent"]
    assert "three-beeps" in [p["pattern"] for p in recent]
    backups = list((volume / "@homeport" / "config").iterdir())
    assert len(backups) == 1 and (backups[0] / "config.sqlite").is_file()
    assert checksums(volume) == data
    # A full re-setup ("start fresh") does not touch the data either.
    status, body, _ = device.request(
        "POST", "/api/v1/setup", {"name": "fresh", "admin": {"username": "bob", "password": "another long password"}}
    )
    assert status == 201, body
    assert checksums(volume) == data


@pytest.mark.parametrize(
    ("step", "after"),
    [
        ("mode1:intended", "ready"),
        ("mode1:committed", "recovery"),
        ("mode1:realised", "recovery"),
        ("mode2:intended", "ready"),
        ("mode2:backed-up", "ready"),
        ("mode2:committed", "migratable"),
        ("mode2:realised", "migratable"),
    ],
)
def test_a_crash_at_any_step_leaves_before_or_after_never_between(
    device: Daemon, volume: Path, step: str, after: str
) -> None:
    set_up(device)
    data = checksums(volume)
    device.stop()
    device.env = {**SCALED, "HOMEPORT_TEST_CRASH_AT": step}
    device.start()
    assert device.process is not None
    if step.startswith("mode1"):
        device.cli("button", "hold", LONG_PRESS)
    else:
        mode_2_until_death(device)
    assert device.process.wait(30) == -9, device.log()  # killed at that very step, like a power cut
    device.env = dict(SCALED)
    device.start()
    assert state(device) == after
    stages = journal(device)
    assert stages[-1][1] == ("abandoned" if after == "ready" else "applied"), stages
    if after == "recovery":
        network = json.loads(device.cli("network", "show", "--json").stdout)
        assert network["config"]["interfaces"] == [] or all(
            i["mode"] == "dhcp" for i in network["config"]["interfaces"]
        )
    if after == "ready":
        status, _, _ = device.request("POST", "/api/v1/auth/login", {"username": ADMIN, "password": PASSWORD})
        assert status == 200
    assert checksums(volume) == data
    config = volume / "@homeport" / "config"
    assert not (list(config.glob("*.partial")) if config.exists() else [])  # no half-written backup is left


def mode_2_until_death(device: Daemon) -> None:
    """The second long press: the daemon may die while answering it."""
    device.cli("button", "hold", LONG_PRESS)
    device.cli("button", "hold", LONG_PRESS)


def test_first_aid_needs_the_daemon_stopped_and_shows_before_it_changes(device: Daemon) -> None:
    set_up(device)
    running = device.cli("recover", "clear-auto-block")
    assert running.returncode == 5 and "daemon stopped" in running.stderr
    device.stop()
    before = (device.home / "config.sqlite").read_bytes()
    dry = device.cli("recover", "reset-password", ADMIN, "--dry-run")
    assert dry.returncode == 0 and "set a new password for alice" in dry.stdout and "Dry run" in dry.stdout
    assert (device.home / "config.sqlite").read_bytes() == before
    done = device.cli("recover", "reset-password", ADMIN, stdin="a first aid password\n")
    assert done.returncode == 0, done.stderr
    assert device.cli("recover", "network-dhcp", "--dry-run").returncode == 0
    assert device.cli("recover", "nope").returncode == 2
    device.start()
    status, _, _ = device.request("POST", "/api/v1/auth/login", {"username": ADMIN, "password": "a first aid password"})
    assert status == 200
    log = device.cli("log", "-n", "5").stdout
    assert "recovery.console" in log and "root@console" in log


def test_first_aid_restores_a_mode_2_backup(device: Daemon, volume: Path) -> None:
    set_up(device)
    mode_2(device)
    assert wait_state(device, "migratable", 20)
    device.stop()
    [backup] = list((volume / "@homeport" / "config").iterdir())
    plan = device.cli("recover", "restore-backup", str(backup), "--dry-run")
    assert plan.returncode == 0 and "alice" in plan.stdout, plan.stderr
    assert device.cli("recover", "restore-backup", str(backup)).returncode == 0
    device.start()
    assert state(device) == "ready"
    status, _, _ = device.request("POST", "/api/v1/auth/login", {"username": ADMIN, "password": PASSWORD})
    assert status == 200  # a restore from the console brings the configuration back whole
    assert any(p.name.startswith("before-first-aid-") for p in (device.home / "backups").iterdir())


def test_the_loop_volume_is_a_real_ext4_mount(volume: Path) -> None:
    mounts = Path("/proc/mounts").read_text()
    assert any(line.split()[1] == str(volume) and line.split()[2] == "ext4" for line in mounts.splitlines())
    assert os.path.ismount(volume)


def test_after_a_mode_2_restore_user_list_shows_who_has_no_password(device: Daemon) -> None:
    """The other administrators come back from the backup without a password: `homeport user list` says so,
    and how to give them one, instead of showing them as normal."""
    set_up(device)
    added = device.cli("user", "add", "carol", "--admin", "--no-must-change", stdin="a secret long enough\n")
    assert added.returncode == 0, added.stderr
    mode_2(device)
    assert wait_state(device, "migratable", 20)
    [backup] = device.get("/api/v1/setup/found")["backups"]
    restore = {"backup": backup["id"], "administrator": ADMIN, "password": "a fresh admin password"}
    status, body, _ = device.request("POST", "/api/v1/setup/restore", restore)
    assert status == 201, body
    listed = device.cli("user", "list")
    assert listed.returncode == 0, listed.stderr
    status = statuses(listed.stdout)
    assert status["carol"] == "enabled, administrator, NO PASSWORD (set one: homeport user passwd carol)"
    assert status[ADMIN] == "enabled, administrator"
    users = {u["name"]: u for u in json.loads(device.cli("user", "list", "--json").stdout)}
    assert users["carol"]["awaits_password"] and not users[ADMIN]["awaits_password"]


def statuses(table: str) -> dict[str, str]:
    """The Status column of `homeport user list` by account, its wrapped lines joined again."""
    found: dict[str, list[str]] = {}
    name = ""
    for line in table.splitlines():
        cells = [cell.strip() for cell in line.split("│")[1:-1]]
        if len(cells) != 4:
            continue
        name = cells[0] or name
        found.setdefault(name, []).append(cells[3])
    return {account: " ".join(part for part in parts if part) for account, parts in found.items()}
