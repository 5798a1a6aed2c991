"""The daemon as a real process: HTTPS with its own CA, clean stops, persistence, refusals to start."""

from __future__ import annotations

import http.client
import json
import os
import signal
import sqlite3
import ssl

import pytest

from tests.support.daemon import Daemon

ADMIN, PASSWORD = "alice", "correct horse battery staple"


def setup_and_sign_in(daemon: Daemon) -> dict[str, str]:
    daemon.set_up(ADMIN, PASSWORD)
    status, body, headers = daemon.request("POST", "/api/v1/auth/login", {"username": ADMIN, "password": PASSWORD})
    assert status == 200, body
    cookie = headers["set-cookie"].split(";")[0]
    return {"Cookie": cookie, "X-CSRF-Token": body["csrf_token"]}


def test_https_answers_with_a_certificate_the_ca_vouches_for(daemon: Daemon) -> None:
    daemon.start()
    system = daemon.get("/api/v1/system")
    assert system["state"] == "not-installed"
    # The CA download works over plain HTTP, before the owner trusts anything.
    plain = http.client.HTTPConnection("127.0.0.1", daemon.http_port, timeout=5)
    try:
        plain.request("GET", "/ca.crt")
        assert plain.getresponse().read() == (daemon.home / "tls" / "ca.crt").read_bytes()
        # Everything else on HTTP moves to HTTPS.
        plain.request("GET", "/login", headers={"Host": f"127.0.0.1:{daemon.http_port}"})
        moved = plain.getresponse()
        moved.read()
        assert moved.status == 301
        assert moved.getheader("location") == f"https://127.0.0.1:{daemon.https_port}/login"
    finally:
        plain.close()
    # A client that does not trust the CA refuses the connection.
    untrusting = http.client.HTTPSConnection("localhost", daemon.https_port, context=ssl.create_default_context())
    try:
        with pytest.raises(ssl.SSLCertVerificationError):
            untrusting.request("GET", "/api/v1/system")
    finally:
        untrusting.close()


def test_sigterm_stops_it_cleanly(daemon: Daemon) -> None:
    daemon.start()
    assert (daemon.home / "homeport.sock").exists()
    assert daemon.stop(signal.SIGTERM) == 0
    assert not (daemon.home / "homeport.sock").exists()
    assert "homeport stopped" in daemon.log()


def test_data_survives_a_restart(daemon: Daemon) -> None:
    daemon.start()
    auth = setup_and_sign_in(daemon)
    status, _, _ = daemon.request("POST", "/api/v1/users", {"name": "bob", "password": "a long enough password"}, auth)
    assert status == 201
    serial = daemon.get("/api/v1/system")["serial"]
    assert daemon.stop() == 0
    daemon.start()
    assert daemon.get("/api/v1/system")["serial"] == serial
    status, body, _ = daemon.request(
        "POST", "/api/v1/auth/login", {"username": "bob", "password": "a long enough password"}
    )
    assert status == 200 and body["must_change_password"] is True  # the API default for new accounts


def test_data_survives_sigkill_right_after_the_answer(daemon: Daemon) -> None:
    daemon.start()
    auth = setup_and_sign_in(daemon)
    status, _, _ = daemon.request("POST", "/api/v1/users", {"name": "bob", "password": "a long enough password"}, auth)
    assert status == 201
    daemon.stop(signal.SIGKILL)
    daemon.start()
    status, _, _ = daemon.request(
        "POST", "/api/v1/auth/login", {"username": "bob", "password": "a long enough password"}
    )
    assert status == 200
    # The stale socket file of the killed daemon did not stop the new one.
    assert daemon.cli("status").returncode == 0


def test_a_second_instance_on_the_same_home_is_refused(daemon: Daemon) -> None:
    daemon.start()
    second = Daemon(daemon.home, daemon.volume)
    try:
        second.start(wait=False)
        assert second.process is not None
        assert second.process.wait(30) == 1
        assert "already running with the home" in second.log()
    finally:
        second.kill()
    assert daemon.get("/api/v1/system")["state"] == "not-installed"


def test_a_home_writable_by_others_is_refused(daemon: Daemon) -> None:
    daemon.home.mkdir(mode=0o700)
    os.chmod(daemon.home, 0o777)
    daemon.start(wait=False)
    assert daemon.process is not None and daemon.process.wait(30) == 1
    assert "writable by other users" in daemon.log() and "chmod 700" in daemon.log()


def test_a_home_owned_by_someone_else_is_refused(daemon: Daemon) -> None:
    daemon.home.mkdir(mode=0o700)
    os.chown(daemon.home, 65534, 65534)
    daemon.start(wait=False)
    assert daemon.process is not None and daemon.process.wait(30) == 1
    assert "belongs to user id 65534" in daemon.log()


def test_a_store_from_a_newer_version_is_refused_and_left_alone(daemon: Daemon) -> None:
    daemon.start()
    setup_and_sign_in(daemon)
    daemon.stop()
    conn = sqlite3.connect(daemon.home / "config.sqlite")
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    before = (daemon.home / "config.sqlite").read_bytes()
    daemon.start(wait=False)
    assert daemon.process is not None and daemon.process.wait(30) == 1
    assert "newer Homeport" in daemon.log()
    assert (daemon.home / "config.sqlite").read_bytes() == before


def test_a_port_in_use_is_a_clear_refusal(daemon: Daemon) -> None:
    import socket

    with socket.socket() as holder:
        holder.bind(("127.0.0.1", daemon.https_port))
        holder.listen(1)
        daemon.start(wait=False)
        assert daemon.process is not None and daemon.process.wait(30) == 1
    assert f"Port {daemon.https_port} on 127.0.0.1 is already in use" in daemon.log()
    assert "Traceback" not in daemon.log()


def test_a_damaged_store_starts_in_the_damaged_state_until_root_decides(daemon: Daemon) -> None:
    daemon.start()
    daemon.stop()
    for suffix in ("-wal", "-shm"):
        (daemon.home / f"config.sqlite{suffix}").unlink(missing_ok=True)
    (daemon.home / "config.sqlite").write_bytes(b"garbage" * 1000)
    daemon.start()
    system = daemon.get("/api/v1/system")
    assert system["state"] == "damaged"
    assert os.path.exists(system["damage"]["quarantined_to"])
    status, _, _ = daemon.request(
        "POST", "/api/v1/setup", {"name": "x", "admin": {"username": "eve", "password": "x" * 20}}
    )
    assert status == 409
    result = daemon.cli("store", "start-fresh", "--yes")
    assert result.returncode == 0, result.stderr
    assert daemon.get("/api/v1/system")["state"] == "not-installed"
    assert json.loads(daemon.cli("status", "--json").stdout)["system"]["damage"] is None
