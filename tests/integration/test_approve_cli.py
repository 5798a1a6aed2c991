"""`homeport approve` against a real daemon: root lists the sign-ins waiting for approval and answers one."""

from __future__ import annotations

import json
import re
import time

import pyotp

from tests.support.daemon import Daemon

ADMIN, PASSWORD = "alice", "correct horse battery staple"


def cookie(headers: dict[str, str], name: str) -> str:
    match = re.search(rf"{re.escape(name)}=([^;,]+)", headers.get("set-cookie", ""))
    assert match, headers
    return f"{name}={match.group(1)}"


def test_root_lists_and_approves_a_waiting_sign_in(daemon: Daemon) -> None:
    daemon.start()
    setup = {"name": "nas", "admin": {"username": ADMIN, "password": PASSWORD}}
    status, body, _ = daemon.request("POST", "/api/v1/setup", setup)
    assert status == 201, body
    status, body, headers = daemon.request("POST", "/api/v1/auth/login", {"username": ADMIN, "password": PASSWORD})
    session = {"Cookie": cookie(headers, "__Host-homeport_session"), "X-CSRF-Token": body["csrf_token"]}
    status, body, _ = daemon.request("POST", "/api/v1/me/totp", {"current_password": PASSWORD}, session)
    assert status == 201, body
    code = pyotp.TOTP(body["secret"]).at(time.time())
    assert daemon.request("POST", "/api/v1/me/totp/confirm", {"code": code}, session)[0] == 200

    status, body, headers = daemon.request("POST", "/api/v1/auth/login", {"username": ADMIN, "password": PASSWORD})
    assert status == 202 and "approval" in body["second_factor"]["methods"], body
    waiting = {"Cookie": cookie(headers, "__Host-homeport_preauth")}
    status, started, _ = daemon.request("POST", "/api/v1/auth/approval/begin", None, waiting)
    assert status == 200, started

    listed = daemon.cli("approve")
    assert listed.returncode == 0, listed.stderr
    assert started["request_id"] in listed.stdout and ADMIN in listed.stdout
    pending = json.loads(daemon.cli("approve", "--json").stdout)
    assert [r["id"] for r in pending] == [started["request_id"]] and "number" not in pending[0]

    assert daemon.cli("approve", "no-such-request", "--number", "42").returncode == 4
    assert daemon.cli("approve", started["request_id"]).returncode == 2  # no terminal to ask on: says what to pass
    answered = daemon.cli("approve", started["request_id"], "--number", str(started["number"]), "--json")
    assert answered.returncode == 0, answered.stderr
    assert json.loads(answered.stdout)["state"] == "approved"

    status, body, headers = daemon.request("POST", "/api/v1/auth/approval/finish", None, waiting)
    assert status == 200 and body["user"]["name"] == ADMIN
    assert "__Host-homeport_session=" in headers["set-cookie"]
    assert json.loads(daemon.cli("approve", "--json").stdout) == []
