"""The user story, end to end on a (namespaced) LAN with real parts: dnsmasq DHCP, the netlink backend, an
ext4 data volume on a loop device, `homeport find` and headless Chromium on another host of the LAN."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import ARTIFACTS
from tests.support.lan import SUBNET, Lan, LanDevice, find, lan_lab, wait_for
from tests.support.volumes import checksums, ext4_volume

ADMIN, PASSWORD = "alice", "correct horse battery staple"
STATIC = f"{SUBNET}.20/24"


@pytest.fixture
def lab(short_tmp: Path) -> Iterator[tuple[Lan, LanDevice, Path]]:
    (short_tmp / "lan").mkdir()
    with lan_lab(short_tmp / "lan") as lan, ext4_volume(short_tmp) as volume:
        device = LanDevice(lan, short_tmp / "home", volume).start()
        try:
            yield lan, device, volume
        finally:
            device.stop()


def dhcp_address(lan: Lan) -> str:
    found = wait_for(lambda: [a for a in lan.ipv4(lan.device) if a.startswith(f"{SUBNET}.1")], 15)
    assert found, "no DHCP lease"
    return str(found[0]).split("/")[0]


def set_up(lan: Lan, device: LanDevice, address: str) -> None:
    body = json.dumps({"name": "nas", "admin": {"username": ADMIN, "password": PASSWORD}})
    done = lan.run(lan.client, ["curl", "-s", "--cacert", str(device.ca), "-H", "content-type: application/json",
                                "-d", body, f"https://{address}:5001/api/v1/setup"])  # fmt: skip
    assert '"state":"ready"' in done.stdout, done.stdout + done.stderr


def seen_as(lan: Lan, address: str, state: str) -> dict[str, Any] | None:
    def look() -> dict[str, Any] | None:
        return next((s for s in find(lan, 1.5) if address in s["addresses"] and s["state"] == state), None)

    result: dict[str, Any] | None = wait_for(look, 30, interval=0.3)
    return result


def browse(lan: Lan, device: LanDevice, flow: str, address: str, *args: str) -> dict[str, Any]:
    command = [sys.executable, "-m", "tests.support.lanbrowser", flow, str(device.ca), address, str(ARTIFACTS), *args]
    done = lan.run(lan.client, command, timeout=180)
    assert done.stdout.strip(), done.stderr
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    assert done.returncode == 0 and "error" not in result, result
    return result


def test_mode_1_the_user_story(lab: tuple[Lan, LanDevice, Path]) -> None:
    lan, device, volume = lab
    dhcp = dhcp_address(lan)
    set_up(lan, device, dhcp)
    assert device.cli("network", "set", "-i", "eth0", "--static", STATIC, "--gateway", f"{SUBNET}.1").returncode == 0
    assert wait_for(lambda: lan.ipv4(lan.device) == [STATIC], 10)
    assert device.cli_json("user", "list")[0]["enabled"] is False  # the built-in admin is disabled
    data = checksums(volume)
    # The owner holds the reset button until the beep, and lets go.
    assert device.cli("button", "hold", "4.3").returncode == 0
    # The device comes back on DHCP, in recovery, and says so on the LAN.
    seen = seen_as(lan, dhcp, "recovery")
    assert seen is not None, find(lan, 2)
    assert seen["next_step"] == (
        "sign in as an administrator with an empty password, press the reset button briefly, then set a new password"
    )
    result = browse(lan, device, "mode1", dhcp, STATIC, str(device.home))
    assert result["steps"][-1] == "mode1-06-kept"
    assert lan.ipv4(lan.device) == [STATIC]  # the previous static address, restored and confirmed
    assert device.cli_json("network", "show")["pending"] is None
    assert checksums(volume) == data


def test_mode_2_through_the_setup_wizard_restore(lab: tuple[Lan, LanDevice, Path]) -> None:
    lan, device, volume = lab
    dhcp = dhcp_address(lan)
    set_up(lan, device, dhcp)
    data = checksums(volume)
    for _ in range(2):  # a long press, and a second one within 10 s
        assert device.cli("button", "hold", "4.3").returncode == 0
    assert seen_as(lan, dhcp, "migratable") is not None
    result = browse(lan, device, "mode2", dhcp, ADMIN)
    assert result["steps"][-1] == "mode2-02-restored-and-signed-in"
    assert seen_as(lan, dhcp, "ready") is not None
    assert checksums(volume) == data
