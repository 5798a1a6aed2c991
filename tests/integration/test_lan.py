"""Homeport on a real (namespaced) LAN: dnsmasq DHCP, the netlink backend, mDNS seen from another host."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.lan import CLIENT_ADDRESS, SUBNET, Lan, LanDevice, client_call, find, lan_lab, wait_for

ADMIN, PASSWORD = "alice", "correct horse battery staple"
STATIC = f"{SUBNET}.20/24"
OTHER_STATIC = f"{SUBNET}.30/24"


@pytest.fixture(scope="module")
def lan(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lan]:
    with lan_lab(tmp_path_factory.mktemp("lan")) as made:
        yield made


@pytest.fixture
def device(lan: Lan, short_tmp: Path) -> Iterator[LanDevice]:
    volume = short_tmp / "volume1"
    volume.mkdir()
    made = LanDevice(lan, short_tmp / "home", volume).start()
    try:
        yield made
    finally:
        made.stop()


def dhcp_address(lan: Lan) -> str:
    found = wait_for(lambda: [a for a in lan.ipv4(lan.device) if a.startswith(f"{SUBNET}.1")], 15)
    assert found, "no DHCP lease"
    return str(found[0])


def sees(lan: Lan, address: str, state: str | None = None, device: LanDevice | None = None) -> dict[str, Any]:
    """What `homeport find` in the client namespace reports, once it shows `address` (bounded). Fails with what
    was seen instead and the end of the device's log, so a slow machine's miss can be told from a wrong record."""
    last: list[dict[str, Any]] = []

    def look() -> dict[str, Any] | None:
        last[:] = find(lan, 1.5)
        for seen in last:
            if address in seen["addresses"] and (state is None or seen["state"] == state):
                return seen
        return None

    result: dict[str, Any] | None = wait_for(look, 30, interval=0.2)
    if result is None:
        log = device.log()[-4000:] if device is not None else ""
        pytest.fail(f"{address} ({state or 'any state'}) not found; last seen: {last}\n{log}")
    return result


def settings(device: LanDevice, **eth0: Any) -> dict[str, Any]:
    current = device.cli_json("network", "show")["config"]
    interface = {"name": "eth0", "mode": "dhcp", "dns": [], "mtu": 1500, **eth0}
    return {"hostname": current["hostname"], "interfaces": [interface], "web": current["web"]}


def test_a_fresh_device_gets_a_lease_and_is_found_with_its_state(lan: Lan, device: LanDevice) -> None:
    address = dhcp_address(lan)
    assert lan.default_route(lan.device) == f"{SUBNET}.1"
    assert "nameserver 10.211.0.1" in lan.resolv_conf.read_text()
    shown = device.cli_json("network", "show")
    lease = shown["live"][0]["lease"]
    assert lease["address"] == address and lease["server"] == f"{SUBNET}.1" and lease["lease_seconds"] == 120
    seen = sees(lan, address.split("/")[0], "not-installed", device)
    assert seen is not None
    assert seen["next_step"] == "open the console and run the setup wizard"
    assert seen["console_url"] == f"https://{address.split('/')[0]}:5001/"
    # An mDNS client that is not python-zeroconf sees the same records (unicast query to port 5353).
    ip = address.split("/")[0]
    ptr = lan.run(lan.client, ["dig", "+short", "+time=2", "-p", "5353", f"@{ip}", "_homeport._tcp.local", "PTR"])
    name = ptr.stdout.strip().splitlines()[0]
    txt = lan.run(lan.client, ["dig", "+short", "+time=2", "-p", "5353", f"@{ip}", name, "TXT"]).stdout
    assert '"vendor=homeport"' in txt and '"state=not-installed"' in txt and '"https_port=5001"' in txt
    assert "password" not in txt.lower()
    # The console answers HTTPS on the leased address with a certificate the device's CA vouches for.
    answer = client_call(lan, device, "system", ip, "5001")
    assert answer["status"] == 200 and answer["body"]["state"] == "not-installed"


def test_static_dhcp_static_with_the_kernel_and_the_lan_following(lan: Lan, device: LanDevice) -> None:
    dhcp = dhcp_address(lan)
    done = device.cli(
        "network", "set", "-i", "eth0", "--static", STATIC, "--gateway", f"{SUBNET}.1", "--dns", "9.9.9.9"
    )
    assert done.returncode == 0, done.stderr
    assert wait_for(lambda: lan.ipv4(lan.device) == [STATIC], 10), lan.ipv4(lan.device)
    assert lan.default_route(lan.device) == f"{SUBNET}.1"
    assert "nameserver 9.9.9.9" in lan.resolv_conf.read_text()
    sees(lan, STATIC.split("/", maxsplit=1)[0], device=device)
    assert device.cli("network", "set", "-i", "eth0", "--dhcp").returncode == 0
    assert wait_for(lambda: lan.ipv4(lan.device) == [dhcp], 15), lan.ipv4(lan.device)
    sees(lan, dhcp.split("/")[0], device=device)
    assert device.cli("network", "set", "-i", "eth0", "--static", OTHER_STATIC).returncode == 0
    assert wait_for(lambda: lan.ipv4(lan.device) == [OTHER_STATIC], 10)
    assert lan.default_route(lan.device) is None
    seen = sees(lan, OTHER_STATIC.split("/", maxsplit=1)[0], device=device)
    assert seen is not None and dhcp.split("/")[0] not in seen["addresses"]


def test_a_lease_is_renewed_on_request(lan: Lan, device: LanDevice) -> None:
    dhcp_address(lan)
    before = lan.dnsmasq_log.read_text().count("DHCPACK")
    assert device.cli("network", "renew", "eth0").returncode == 0
    assert wait_for(lambda: lan.dnsmasq_log.read_text().count("DHCPACK") > before, 10)
    # The renewal came back to the daemon as an event and was recorded.
    assert wait_for(lambda: device.cli_json("network", "show")["live"][0]["lease"] is not None, 5)


def test_an_older_snapshot_is_restored(lan: Lan, device: LanDevice) -> None:
    dhcp_address(lan)
    device.cli("network", "set", "-i", "eth0", "--static", STATIC)
    wait_for(lambda: lan.ipv4(lan.device) == [STATIC], 10)
    static_snapshot = device.cli_json("network", "snapshots")[0]["id"]
    device.cli("network", "set", "-i", "eth0", "--static", OTHER_STATIC)
    assert wait_for(lambda: lan.ipv4(lan.device) == [OTHER_STATIC], 10)
    assert device.cli("network", "restore", str(static_snapshot)).returncode == 0
    assert wait_for(lambda: lan.ipv4(lan.device) == [STATIC], 10)


def test_bad_input_is_refused_and_nothing_is_applied(lan: Lan, device: LanDevice) -> None:
    dhcp = dhcp_address(lan)
    snapshots = len(device.cli_json("network", "snapshots"))
    for bad in (["--static", f"{SUBNET}.0/24"], ["--static", STATIC, "--gateway", "192.0.2.1"], ["--mtu", "100"]):
        done = device.cli("network", "set", "-i", "eth0", *bad)
        assert done.returncode == 2, done.stderr
    assert lan.ipv4(lan.device) == [dhcp]
    assert len(device.cli_json("network", "snapshots")) == snapshots


def setup_device(lan: Lan, device: LanDevice, address: str) -> None:
    body = json.dumps({"name": "nas", "admin": {"username": ADMIN, "password": PASSWORD}})
    done = lan.run(
        lan.client,
        ["curl", "-s", "--cacert", str(device.ca), "-H", "content-type: application/json", "-d", body,
         f"https://{address}:5001/api/v1/setup"],
    )  # fmt: skip
    assert '"state":"ready"' in done.stdout, done.stdout + done.stderr


def test_a_move_confirmed_from_the_new_address_is_kept(lan: Lan, device: LanDevice) -> None:
    dhcp = dhcp_address(lan).split("/")[0]
    setup_device(lan, device, dhcp)
    assert sees(lan, dhcp, "ready", device)["state"] == "ready"
    applied = client_call(lan, device, "apply", dhcp, "5001", ADMIN, PASSWORD,
                          json.dumps(settings(device, mode="static", address=STATIC)))  # fmt: skip
    assert applied["status"] == 200, applied
    token = applied["body"]["confirm_token"]
    assert token and applied["body"]["confirm_urls"][0].startswith(f"https://{STATIC.split('/', maxsplit=1)[0]}:5001/")
    assert wait_for(lambda: lan.ipv4(lan.device) == [STATIC], 10)
    # Confirming through the old address is impossible (it is gone); through the new one it works.
    new_address = STATIC.split("/", maxsplit=1)[0]
    confirm = lambda: client_call(lan, device, "confirm", new_address, "5001", token)["status"] == 204  # noqa: E731
    assert wait_for(confirm, 10, 0.5)
    assert device.cli_json("network", "show")["pending"] is None
    assert lan.ipv4(lan.device) == [STATIC]


def test_a_move_nobody_confirms_is_rolled_back(lan: Lan, device: LanDevice) -> None:
    dhcp = dhcp_address(lan).split("/")[0]
    setup_device(lan, device, dhcp)
    applied = client_call(lan, device, "apply", dhcp, "5001", ADMIN, PASSWORD,
                          json.dumps(settings(device, mode="static", address=STATIC)))  # fmt: skip
    assert applied["status"] == 200 and applied["body"]["pending"] is not None
    assert wait_for(lambda: lan.ipv4(lan.device) == [STATIC], 10)
    # confirm-seconds is 10 in the lab: the DHCP address comes back on its own.
    assert wait_for(lambda: lan.ipv4(lan.device) == [f"{dhcp}/24"], 30, 0.2), lan.ipv4(lan.device)
    assert device.cli_json("network", "snapshots")[0]["reason"].startswith("rolled back")
    answer = client_call(lan, device, "system", dhcp, "5001")
    assert answer["status"] == 200
    assert sees(lan, dhcp, "ready", device)["state"] == "ready"


def test_the_client_namespace_is_really_another_host(lan: Lan) -> None:
    assert lan.ipv4(lan.client) == [f"{CLIENT_ADDRESS}/24"]


def test_the_console_lists_the_other_homeport_devices(lan: Lan, device: LanDevice, short_tmp: Path) -> None:
    dhcp_address(lan)
    volume = short_tmp / "volume2"
    volume.mkdir()
    other = LanDevice(lan, short_tmp / "home2", volume, namespace=lan.second_device).start()
    try:
        other_name = other.api("GET", "/system")["name"]

        def listed() -> list[dict[str, Any]]:
            return [n for n in device.api("GET", "/network/neighbours") if n["name"] == other_name]

        seen = wait_for(listed, 15, interval=0.3)
        assert seen, device.api("GET", "/network/neighbours")
        assert seen[0]["state"] == "not-installed" and seen[0]["addresses"][0].startswith(SUBNET)
        assert all(
            n["serial"] != device.api("GET", "/system")["serial"] for n in device.api("GET", "/network/neighbours")
        )
    finally:
        other.stop()


def test_the_web_assistant_lists_the_device_live(lan: Lan, device: LanDevice) -> None:
    address = dhcp_address(lan).split("/")[0]
    assistant = lan.popen(lan.client, [sys.executable, "-m", "homeport", "find", "--serve", "--port", "5080"])
    lan.processes.append(assistant)
    try:

        def listed() -> list[dict[str, Any]]:
            done = lan.run(lan.client, ["curl", "-s", "--max-time", "2", "http://127.0.0.1:5080/devices.json"])
            return [d for d in json.loads(done.stdout or "[]") if address in d["addresses"]]

        found = wait_for(listed, 20, interval=0.3)
        assert found and found[0]["state"] == "not-installed"
        page = lan.run(lan.client, ["curl", "-s", "http://127.0.0.1:5080/"]).stdout
        assert found[0]["name"] in page and f"https://{address}:5001/" in page and "run the setup wizard" in page
    finally:
        os.killpg(assistant.pid, signal.SIGTERM)
        assistant.wait(10)


def udhcpc_pids(lan: Lan) -> set[int]:
    pids = set()
    for pid in ip_netns_pids(lan.device):
        with contextlib.suppress(OSError):
            if Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0].endswith(b"udhcpc"):
                pids.add(pid)
    return pids


def ip_netns_pids(namespace: str) -> list[int]:
    done = subprocess.run(["ip", "netns", "pids", namespace], capture_output=True, text=True, check=False)
    return [int(p) for p in done.stdout.split()]


def test_a_dhcp_client_that_dies_is_restarted(lan: Lan, device: LanDevice) -> None:
    address = dhcp_address(lan)
    [first] = wait_for(lambda: udhcpc_pids(lan), 10)
    os.kill(first, signal.SIGKILL)
    restarted = wait_for(lambda: udhcpc_pids(lan) - {first}, 15, 0.2)
    assert restarted, "the DHCP client was not restarted"
    assert wait_for(lambda: lan.ipv4(lan.device) == [address], 10)
    assert "dhcp client exited; restarting" in device.log()


def test_stopping_the_daemon_leaves_no_dhcp_client_behind(lan: Lan, device: LanDevice) -> None:
    dhcp_address(lan)
    assert wait_for(lambda: udhcpc_pids(lan), 10)
    assert device.process is not None
    os.killpg(device.process.pid, signal.SIGKILL)  # the daemon dies without cleaning up
    device.process.wait(10)
    assert wait_for(lambda: not udhcpc_pids(lan), 10), "an orphaned udhcpc survived the daemon"


def test_the_console_moves_to_new_ports(lan: Lan, device: LanDevice) -> None:
    address = dhcp_address(lan).split("/")[0]
    assert client_call(lan, device, "system", address, "5001")["status"] == 200
    assert device.cli("network", "set", "--http-port", "8080", "--https-port", "8443").returncode == 0
    assert wait_for(lambda: client_call(lan, device, "system", address, "8443")["status"] == 200, 10, 0.2)
    assert wait_for(lambda: client_call(lan, device, "system", address, "5001")["status"] == 0, 10, 0.2)
    moved = lan.run(
        lan.client, ["curl", "-s", "-o", "/dev/null", "-w", "%{redirect_url}", f"http://{address}:8080/login"]
    )
    assert moved.stdout == f"https://{address}:8443/login"
    seen = sees(lan, address, device=device)
    assert seen is not None and seen["https_port"] == 8443


def test_nothing_sent_to_the_device_over_udp_changes_it(lan: Lan, device: LanDevice) -> None:
    """mDNS carries no commands: queries, bogus answers and junk on 5353 and elsewhere leave the device as it was."""
    address = dhcp_address(lan).split("/")[0]
    before = device.api("GET", "/system")
    script = (
        "import os,socket,struct\n"
        "s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n"
        f"s.setsockopt(socket.IPPROTO_IP,socket.IP_MULTICAST_IF,socket.inet_aton('{CLIENT_ADDRESS}'))\n"
        "name=b''.join(bytes([len(p)])+p for p in b'homeport-x._homeport._tcp.local'.split(b'.'))+b'\\0'\n"
        "answer=struct.pack('>HHHHHH',0,0x8400,0,1,0,0)+name+struct.pack('>HHIH',16,0x8001,120,14)+b'\\rstate=recovery'\n"
        f"for port in (5353, 5000, 5001, 67, 68):\n"
        "    for payload in (answer, os.urandom(512), b'reset mode1', b''):\n"
        f"        s.sendto(payload, ('{address}', port)); s.sendto(payload, ('224.0.0.251', 5353))\n"
    )
    done = lan.run(lan.client, [sys.executable, "-c", script])
    assert done.returncode == 0, done.stderr
    time.sleep(1)
    after = device.api("GET", "/system")
    assert after == before and device.cli("status").returncode == 0
    conn = sqlite3.connect(device.home / "config.sqlite")
    try:
        assert conn.execute("SELECT COUNT(*) FROM recovery_resets").fetchone()[0] == 0
    finally:
        conn.close()


def test_a_second_device_claiming_the_same_name_is_renamed_on_the_lan(
    lan: Lan, device: LanDevice, short_tmp: Path
) -> None:
    """Probing at the RFC's faster pace still catches a conflict: the later claimant's service becomes `twin-2`
    and its host `twin-2.local` (a clash would leave one name where two devices answer, their addresses
    mixed), and the LAN keeps seeing both devices, each at its own addresses."""
    dhcp_address(lan)
    volume = short_tmp / "volume2"
    volume.mkdir()
    other = LanDevice(lan, short_tmp / "home2", volume, namespace=lan.second_device).start()
    try:

        def named(names: set[str]) -> list[dict[str, Any]] | None:
            found = [s for s in find(lan, 1.5) if s["name"].startswith("twin")]
            return found if {s["name"] for s in found} == names else None

        for claimant, names in ((device, {"twin"}), (other, {"twin", "twin-2"})):
            body = settings(claimant)
            body["hostname"] = "twin"
            claimant.api("PUT", "/network", body)
            found = wait_for(lambda names=names: named(names), 20, interval=0.3)
            assert found, find(lan, 1.5)
        serials = {s["name"]: s["serial"] for s in found}
        assert serials["twin"] == device.api("GET", "/system")["serial"]
        assert serials["twin-2"] == other.api("GET", "/system")["serial"]

        def apart() -> list[dict[str, Any]] | None:
            seen = {s["name"]: set(s["addresses"]) for s in find(lan, 1.5) if s["name"].startswith("twin")}
            mine, theirs = set(lan.ipv4(lan.device)), set(lan.ipv4(lan.second_device))
            mine, theirs = {a.split("/")[0] for a in mine}, {a.split("/")[0] for a in theirs}
            return [seen] if seen.get("twin") == mine and seen.get("twin-2") == theirs else None

        assert wait_for(apart, 20, interval=0.5), find(lan, 1.5)
        assert "mDNS host name taken by another device" in other.log()
    finally:
        other.stop()
