"""The security promises on a real (namespaced) LAN: client addresses, the recovery window bound to the button,
household IPv6, a burst's block, a flood of the hashing pool. Every client is another host (a namespace)."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.lan import CLIENT_ADDRESS, SUBNET, Lan, LanDevice, client_call, ip, lan_lab, wait_for

pytestmark = pytest.mark.integration

ADMIN, PASSWORD = "alice", "correct horse battery staple"
WRONG = {"username": ADMIN, "password": "a wrong password guess"}
SECOND_CLIENT = f"{SUBNET}.201"
PRESENCE_SECONDS = 4  # the daemon's --presence-seconds here: a short wait instead of 2 minutes
FORMS = {
    "x-forwarded-for": lambda a: {"X-Forwarded-For": a},
    "forwarded": lambda a: {"Forwarded": f'for="{a}";proto=https'},
    "x-real-ip": lambda a: {"X-Real-IP": a},
}


@pytest.fixture(scope="module")
def lan(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lan]:
    with lan_lab(tmp_path_factory.mktemp("lansec")) as made:
        # The second-device host serves as a second computer on the LAN here.
        ip("-n", made.second_device, "addr", "add", f"{SECOND_CLIENT}/24", "dev", "eth0")
        yield made


def start_device(lan: Lan, home: Path) -> LanDevice:
    volume = home.parent / "volume1"
    volume.mkdir(exist_ok=True)
    extra = ("--presence-seconds", str(PRESENCE_SECONDS))
    return LanDevice(lan, home / "home", volume, extra_args=extra).start()


@pytest.fixture
def device(lan: Lan, short_tmp: Path) -> Iterator[LanDevice]:
    made = start_device(lan, short_tmp)
    try:
        yield made
    finally:
        made.stop()


def leased(lan: Lan) -> str:
    found = wait_for(lambda: [a for a in lan.ipv4(lan.device) if a.startswith(f"{SUBNET}.1")], 15)
    assert found, "no DHCP lease"
    return str(found[0]).split("/")[0]


def call(
    lan: Lan, device: LanDevice, address: str, requests: list[dict[str, Any]], namespace: str = "", **script: Any
) -> dict[str, Any]:
    """Requests in order, as one browser on `namespace` (the client host by default)."""
    body = json.dumps({"requests": requests, **script})
    result: dict[str, Any] = client_call(lan, device, "call", address, "5001", body, namespace=namespace)
    assert "answers" in result, result  # else the host could not reach the device at all
    return result


def sign_in(password: str = "", user: str = "admin", headers: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "method": "POST",
        "path": "/api/v1/auth/login",
        "body": {"username": user, "password": password},
        "headers": headers or {},
    }


ME = {"method": "GET", "path": "/api/v1/me"}
NEW_PASSWORD = {
    "method": "PUT",
    "path": "/api/v1/me/password",
    "body": {"current_password": "", "new_password": "a brand new secret pass"},
}


def set_up(lan: Lan, device: LanDevice, address: str) -> None:
    admin = {"username": ADMIN, "password": PASSWORD}
    setup = {"method": "POST", "path": "/api/v1/setup", "body": {"name": "nas", "admin": admin}}
    assert call(lan, device, address, [setup])["answers"][0]["status"] == 201


def failed_sign_in_clients(device: LanDevice, count: int) -> list[str]:
    records = device.api("GET", "/log?limit=200&action=auth.sign_in")
    return [r["client"] for r in records if r["outcome"] == "failure"][:count]


def security(device: LanDevice, **changes: Any) -> None:
    device.api("PATCH", "/settings/security", changes)


def press(device: LanDevice) -> None:
    """A short press of the (virtual) reset button, by the owner at the device."""
    done = device.cli("button", "hold", "1")
    assert done.returncode == 0, done.stderr


def code(answer: dict[str, Any]) -> str:
    return str(answer["body"]["error"]["code"])


def test_forwarding_headers_count_only_from_a_trusted_proxy(lan: Lan, device: LanDevice) -> None:
    address = leased(lan)
    set_up(lan, device, address)
    forged = [sign_in(WRONG["password"], ADMIN, make("192.0.2.66")) for make in FORMS.values()]
    assert [a["status"] for a in call(lan, device, address, forged)["answers"]] == [401] * 3
    assert failed_sign_in_clients(device, 3) == [CLIENT_ADDRESS] * 3
    security(device, trusted_proxies=[CLIENT_ADDRESS])
    for n, (form, make) in enumerate(FORMS.items()):
        security(device, proxy_header=form)
        # The configured form names the client; the other forms are what the client typed, and are ignored.
        others = {k: v for f, m in FORMS.items() if f != form for k, v in m("198.51.100.1").items()}
        headers = {**others, **make(f"192.0.2.{10 + n}")}
        assert call(lan, device, address, [sign_in(WRONG["password"], ADMIN, headers)])["answers"][0]["status"] == 401
        assert failed_sign_in_clients(device, 1) == [f"192.0.2.{10 + n}"]
    # Another host on the LAN is not the proxy: its headers are ignored.
    other = call(lan, device, address, [sign_in(WRONG["password"], ADMIN, FORMS["x-real-ip"]("192.0.2.99"))],
                 namespace=lan.second_device)  # fmt: skip
    assert other["answers"][0]["status"] == 401
    assert failed_sign_in_clients(device, 1) == [SECOND_CLIENT]


def link_local(namespace: str, interface: str) -> str | None:
    """The interface's link-local IPv6 address once it is usable (duplicate address detection done)."""
    data = json.loads(ip("-j", "-n", namespace, "addr", "show", "dev", interface).stdout)
    for info in data[0].get("addr_info", []):
        if info.get("family") == "inet6" and info.get("scope") == "link" and not info.get("tentative"):
            return str(info["local"])
    return None


def add_unmanaged_tunnel(lan: Lan) -> str:
    """A host behind an interface Homeport does not manage (named like a WireGuard tunnel): 10.211.9.0/24."""
    far = lan.add_host("tun")
    ip("-n", lan.device, "link", "add", "wg0", "type", "veth", "peer", "name", "eth0", "netns", far)
    ip("-n", lan.device, "addr", "add", "10.211.9.1/24", "dev", "wg0")
    ip("-n", lan.device, "link", "set", "wg0", "up")
    ip("-n", far, "addr", "add", "10.211.9.2/24", "dev", "eth0")
    ip("-n", far, "link", "set", "eth0", "up")
    return far


def test_the_recovery_window_waits_for_the_button_and_trusts_only_the_managed_lan(lan: Lan, device: LanDevice) -> None:
    address = leased(lan)
    set_up(lan, device, address)
    tunnel = add_unmanaged_tunnel(lan)
    security(device, trusted_proxies=[CLIENT_ADDRESS])  # the client host is also a trusted reverse proxy
    assert device.cli("button", "hold", "4.3").returncode == 0
    assert wait_for(lambda: device.api("GET", "/system")["state"] == "recovery", 30)
    address = leased(lan)
    # Mode 1 took the address away and DHCP gave it back: HTTPS is trusted again once the certificate follows.
    assert wait_for(lambda: client_call(lan, device, "system", address, "5001")["status"] == 200, 15, 0.3)

    # Through the unmanaged interface, and through the proxy: never local, whatever the headers say.
    tunneled = call(lan, device, "10.211.9.1", [sign_in()], namespace=tunnel, any_name=True)["answers"][0]
    assert tunneled["status"] == 403 and code(tunneled) == "recovery_local_only"
    # Link-local through the tunnel: same fe80::/64 as the LAN, but it reached wg0, not a managed interface.
    device_link_local = wait_for(lambda: link_local(lan.device, "wg0"), 10)
    assert device_link_local and wait_for(lambda: link_local(tunnel, "eth0"), 10)
    linked = call(lan, device, f"{device_link_local}%eth0", [sign_in()], namespace=tunnel, any_name=True)
    assert linked["answers"][0]["status"] == 403 and code(linked["answers"][0]) == "recovery_local_only"
    for headers in ({"X-Forwarded-For": SECOND_CLIENT}, {}):  # named by the proxy or not
        proxied = call(lan, device, address, [sign_in(headers=headers)])["answers"][0]
        assert proxied["status"] == 403 and code(proxied) == "recovery_local_only"
    security(device, trusted_proxies=[])  # from here on the client host is a plain computer on the LAN

    # Two recovery sign-ins waiting when the button is pressed: neither is confirmed, both end.
    first = call(lan, device, address, [sign_in(), ME])
    assert first["answers"][1]["body"]["awaiting_presence"] is True
    second = call(lan, device, address, [sign_in(), ME], namespace=lan.second_device)
    assert second["answers"][1]["body"]["awaiting_presence"] is True
    press(device)
    for browser, namespace in ((first, ""), (second, lan.second_device)):
        after = call(lan, device, address, [ME, NEW_PASSWORD], namespace=namespace, cookies=browser["cookies"],
                     csrf=browser["csrf"])  # fmt: skip
        assert [a["status"] for a in after["answers"]] == [401, 401]
        assert code(after["answers"][0]) == "recovery_presence_ambiguous"
    log = device.api("GET", "/log?limit=50&action=recovery.presence_ambiguous")
    assert len(log) == 1 and sorted(s["client"] for s in log[0]["detail"]["sign_ins"]) == [
        CLIENT_ADDRESS,
        SECOND_CLIENT,
    ]

    # Nobody presses: the waiting sign-in cannot set a password and ends when its time is up.
    waiting = call(lan, device, address, [sign_in(), NEW_PASSWORD])
    assert waiting["answers"][1]["status"] == 403 and code(waiting["answers"][1]) == "recovery_presence_required"
    time.sleep(PRESENCE_SECONDS + 1)
    late = call(lan, device, address, [NEW_PASSWORD], cookies=waiting["cookies"], csrf=waiting["csrf"])
    assert late["answers"][0]["status"] == 401 and code(late["answers"][0]) == "recovery_presence_timeout"

    # A press after the time is up confirms nothing.
    slow = call(lan, device, address, [sign_in()])
    time.sleep(PRESENCE_SECONDS + 1)
    press(device)
    after = call(lan, device, address, [ME], cookies=slow["cookies"], csrf=slow["csrf"])["answers"][0]
    assert after["status"] == 401 and code(after) == "recovery_presence_timeout"
    assert device.api("GET", "/log?limit=50&action=recovery.presence_confirmed") == []
    assert device.api("GET", "/system")["state"] == "recovery"

    # One waiting sign-in and a short press: the owner sets the password; the window closes, auto block is back.
    owner = call(lan, device, address, [sign_in()])
    press(device)
    done = call(lan, device, address, [ME, NEW_PASSWORD], cookies=owner["cookies"], csrf=owner["csrf"])
    assert done["answers"][0]["body"]["awaiting_presence"] is False
    assert done["answers"][1]["status"] == 204
    assert device.api("GET", "/system")["state"] == "ready"
    assert device.api("GET", "/settings/security")["auto_block_enabled"] is True


def add_ipv6(lan: Lan) -> str:
    """The LAN gets 2001:db8:211:1::/64 (a household's global prefix); a routed host sits in ...:2::/64."""
    ip("-n", lan.server, "addr", "add", "2001:db8:211:1::1/64", "dev", "br0", "nodad")
    ip("-n", lan.device, "addr", "add", "2001:db8:211:1::20/64", "dev", "eth0", "nodad")
    ip("-n", lan.client, "addr", "add", "2001:db8:211:1::200/64", "dev", "eth0", "nodad")
    ip("-n", lan.second_device, "addr", "add", "2001:db8:211:1::201/64", "dev", "eth0", "nodad")
    far = lan.add_host("far")
    ip("-n", lan.server, "link", "add", "vfar", "type", "veth", "peer", "name", "eth0", "netns", far)
    ip("-n", lan.server, "addr", "add", "2001:db8:211:2::1/64", "dev", "vfar", "nodad")
    ip("-n", lan.server, "link", "set", "vfar", "up")
    for host in ("2001:db8:211:2::5/64", "2001:db8:211:2::6/64"):
        ip("-n", far, "addr", "add", host, "dev", "eth0", "nodad")
    ip("-n", far, "link", "set", "eth0", "up")
    ip("-n", far, "-6", "route", "add", "default", "via", "2001:db8:211:2::1")
    ip("-n", lan.device, "-6", "route", "add", "2001:db8:211:2::/64", "via", "2001:db8:211:1::1")
    done = lan.run(lan.server, ["sysctl", "-qw", "net.ipv6.conf.all.forwarding=1"])
    assert done.returncode == 0, done.stderr
    return far


def test_household_ipv6_is_counted_per_device_and_a_routed_64_as_one(lan: Lan, short_tmp: Path) -> None:
    far = add_ipv6(lan)
    device = start_device(lan, short_tmp)  # after the addresses exist: it reads its LAN at start
    try:
        set_up(lan, device, leased(lan))
        target = "2001:db8:211:1::20"
        guesses = [sign_in(WRONG["password"], f"user{n}") for n in range(11)]
        misbehaving = call(lan, device, target, guesses, namespace=lan.second_device, any_name=True)
        assert [a["status"] for a in misbehaving["answers"]] == [401] * 10 + [429]
        assert [b["address"] for b in device.api("GET", "/auto-block")] == ["2001:db8:211:1::201"]
        # The laptop next to it, in the same /64, still signs in.
        laptop = call(lan, device, target, [sign_in(PASSWORD, ADMIN)], any_name=True)
        assert laptop["answers"][0]["status"] == 200
        # A routed /64 is one remote host: a block of one address is a block of its neighbour.
        remote = call(lan, device, target, guesses[:10], namespace=far, any_name=True, source="2001:db8:211:2::5")
        assert [a["status"] for a in remote["answers"]] == [401] * 10
        neighbour = call(lan, device, target, [sign_in(PASSWORD, ADMIN)], namespace=far, any_name=True,
                         source="2001:db8:211:2::6")  # fmt: skip
        assert neighbour["answers"][0]["status"] == 429
        assert "2001:db8:211:2::/64" in [b["address"] for b in device.api("GET", "/auto-block")]
    finally:
        device.stop()


def test_a_parallel_burst_starts_a_first_block_of_thirty_minutes(lan: Lan, device: LanDevice) -> None:
    address = leased(lan)
    set_up(lan, device, address)
    script = json.dumps({"count": 64, "body": WRONG})
    statuses = client_call(lan, device, "burst", address, "5001", script, timeout=120)["statuses"]
    assert -1 not in statuses and set(statuses) <= {401, 429}, statuses
    blocks = device.api("GET", "/auto-block")
    assert [b["address"] for b in blocks] == [CLIENT_ADDRESS]
    assert blocks[0]["until"] - blocks[0]["blocked_at"] == pytest.approx(30 * 60, abs=1)


def test_a_flood_from_many_addresses_never_keeps_the_owner_out(lan: Lan, device: LanDevice) -> None:
    address = leased(lan)
    set_up(lan, device, address)
    flooders = [f"{SUBNET}.{n}" for n in range(160, 200)]
    for flooder in flooders:
        ip("-n", lan.client, "addr", "add", f"{flooder}/24", "dev", "eth0")
    owner = call(lan, device, address, [sign_in(PASSWORD, ADMIN)])  # the owner's browser, signed in before
    assert owner["answers"][0]["status"] == 200
    security(device, auto_block_enabled=False)  # the worst case: nothing stops the flooders
    script = json.dumps({"sources": flooders, "seconds": 12, "body": WRONG})
    command = [sys.executable, "-m", "tests.support.lanclient", str(device.ca), "flood", address, "5001", script]
    out = lan.workdir / "flood.json"
    flood = lan.popen(lan.client, ["sh", "-c", f'exec "$@" > {out}', "sh", *command])
    lan.processes.append(flood)
    try:
        time.sleep(3)  # the pool is full and the queue overflowing
        cookies = {k: v for k, v in owner["cookies"].items() if "device" in k}
        statuses = [
            call(lan, device, address, [sign_in(PASSWORD, ADMIN)], cookies=cookies)["answers"][0]["status"]
            for _ in range(5)
        ]
    finally:
        flood.wait(90)
    counts = json.loads(out.read_text())["counts"]
    assert counts.get("503", 0) > 0, counts  # the flood did fill the pool
    assert statuses == [200] * 5, (statuses, counts)
