"""Hardening seen from the device itself: forged client addresses from loopback, the HTTP redirect's host,
account pauses lifted by root, a known browser past a pause. A real daemon process on loopback."""

from __future__ import annotations

import http.client
import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.daemon import Daemon

pytestmark = pytest.mark.integration

ADMIN, PASSWORD = "alice", "correct horse battery staple"
WRONG = "a wrong password guess"
FORGED = {
    "x-forwarded-for": {"X-Forwarded-For": "192.0.2.66"},
    "forwarded": {"Forwarded": 'for="192.0.2.66"'},
    "x-real-ip": {"X-Real-IP": "192.0.2.66"},
}


@pytest.fixture
def ready(short_tmp: Path) -> Iterator[Daemon]:
    volume = short_tmp / "volume1"
    volume.mkdir()
    daemon = Daemon(short_tmp / "home", volume, extra=("--bind", "::1")).start()
    try:
        daemon.set_up(ADMIN, PASSWORD)
        yield daemon
    finally:
        daemon.kill()


def post_login(
    daemon: Daemon, host: str, body: dict[str, str], headers: dict[str, str] | None = None, source: str | None = None
) -> tuple[int, Any, http.client.HTTPResponse]:
    context = daemon.tls_context()
    context.check_hostname = False  # ::1 and 127.0.0.x are reached by address; the chain is still checked
    connection = http.client.HTTPSConnection(
        host, daemon.https_port, context=context, timeout=30, source_address=(source, 0) if source else None
    )
    try:
        connection.request(
            "POST", "/api/v1/auth/login", json.dumps(body), {"content-type": "application/json", **(headers or {})}
        )
        answer = connection.getresponse()
        raw = answer.read()
        return answer.status, json.loads(raw) if raw else None, answer
    finally:
        connection.close()


def failed_clients(daemon: Daemon, count: int) -> list[str]:
    """The client addresses of the newest `count` failed sign-ins, as the audit log has them (oldest first)."""
    done = daemon.cli("log", "-n", "100", "--json")
    assert done.returncode == 0, done.stderr
    records = list(reversed(json.loads(done.stdout)))  # one JSON document, newest first
    return [r["client"] for r in records if r["action"] == "auth.sign_in" and r["outcome"] == "failure"][-count:]


@pytest.mark.parametrize("host", ["127.0.0.1", "::1"])
def test_a_local_process_cannot_choose_its_client_address(ready: Daemon, host: str) -> None:
    """uvicorn alone would believe these headers from loopback: any process on the box could pick an address."""
    for headers in FORGED.values():
        status, _, _ = post_login(ready, host, {"username": ADMIN, "password": WRONG}, headers)
        assert status == 401
    assert failed_clients(ready, 3) == [host] * 3


def test_a_trusted_proxy_on_loopback_names_the_client(ready: Daemon) -> None:
    import httpx2

    with httpx2.Client(transport=httpx2.HTTPTransport(uds=str(ready.home / "homeport.sock")), timeout=30) as http:
        for form, headers in FORGED.items():
            answer = http.patch(
                "http://homeport/api/v1/settings/security",
                json={"trusted_proxies": ["127.0.0.1"], "proxy_header": form},
            )
            assert answer.status_code == 200, answer.text
            status, _, _ = post_login(ready, "127.0.0.1", {"username": ADMIN, "password": WRONG}, headers)
            assert status == 401
            assert failed_clients(ready, 1) == ["192.0.2.66"]
            # ::1 is not the configured proxy: its headers are still ignored.
            post_login(ready, "::1", {"username": ADMIN, "password": WRONG}, headers)
            assert failed_clients(ready, 1) == ["::1"]


def test_the_http_redirect_names_only_the_device(ready: Daemon) -> None:
    for host, expected in (("localhost", "localhost"), ("evil.example", "127.0.0.1"), ("127.0.0.1", "127.0.0.1")):
        with socket.create_connection(("127.0.0.1", ready.http_port), timeout=10) as sock:
            sock.sendall(f"GET /login HTTP/1.1\r\nHost: {host}:{ready.http_port}\r\nConnection: close\r\n\r\n".encode())
            answer = sock.makefile("rb").read().decode("latin-1")
        assert f"location: https://{expected}:{ready.https_port}/login" in answer.lower(), answer


def test_root_sees_and_lifts_a_pause_that_strangers_caused(ready: Daemon) -> None:
    status, _, owner = post_login(ready, "127.0.0.1", {"username": ADMIN, "password": PASSWORD})
    assert status == 200
    device_cookie = next(c.split(";")[0] for c in owner.headers.get_all("set-cookie") or [] if "device" in c)
    for n in range(2, 27):  # 100 wrong passwords from 25 addresses (127.0.0.0/8 is all loopback)
        for _ in range(4):
            status, _, _ = post_login(ready, "127.0.0.1", {"username": ADMIN, "password": WRONG}, source=f"127.0.0.{n}")
            assert status in (401, 429)
    status, body, _ = post_login(ready, "127.0.0.1", {"username": ADMIN, "password": PASSWORD}, source="127.0.0.99")
    assert status == 429 and body["error"]["code"] == "account_paused"
    # The owner's browser is not held back by the pause.
    status, _, _ = post_login(ready, "127.0.0.1", {"username": ADMIN, "password": PASSWORD}, {"Cookie": device_cookie})
    assert status == 200
    listed = ready.cli("user", "pauses", "--json")
    assert listed.returncode == 0 and [p["account"] for p in json.loads(listed.stdout)] == [ADMIN]
    assert "every address" in ready.cli("user", "pauses").stdout
    assert ready.cli("user", "unpause", ADMIN).returncode == 0
    status, _, _ = post_login(ready, "127.0.0.1", {"username": ADMIN, "password": PASSWORD}, source="127.0.0.99")
    assert status == 200
    again = ready.cli("user", "unpause", ADMIN)
    assert again.returncode == 4 and "not paused" in again.stderr


def test_a_typed_password_never_reaches_the_daemon_log(ready: Daemon) -> None:
    """(Tracebacks without locals: tests/unit/test_serve_logging.py raises in a frame holding a password.)"""
    post_login(ready, "127.0.0.1", {"username": ADMIN, "password": "a password that must never be logged"})
    assert "a password that must never be logged" not in ready.log()
