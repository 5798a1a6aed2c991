"""Second factors from the machine itself, in a home made by a real daemon: `homeport user factors`,
`homeport user reset-2fa` through the socket, and `homeport recover reset-2fa` with the daemon stopped."""

from __future__ import annotations

import json

import pyotp

from tests.support.daemon import Daemon

ADMIN, PASSWORD = "alice", "correct horse battery staple"


def set_up_with_an_app(daemon: Daemon) -> None:
    """A device whose administrator has turned on an authenticator app, as the console does it."""
    daemon.start()
    daemon.set_up(ADMIN, PASSWORD)
    status, body, headers = daemon.request("POST", "/api/v1/auth/login", {"username": ADMIN, "password": PASSWORD})
    assert status == 200, body
    signed_in = {"Cookie": headers["set-cookie"].split(";")[0], "X-CSRF-Token": body["csrf_token"]}
    status, begun, _ = daemon.request("POST", "/api/v1/me/totp", {"current_password": PASSWORD}, signed_in)
    assert status == 201, begun
    code = pyotp.TOTP(begun["secret"]).now()
    status, confirmed, _ = daemon.request("POST", "/api/v1/me/totp/confirm", {"code": code}, signed_in)
    assert status == 200 and len(confirmed["recovery_codes"]) == 10, confirmed


def sign_in_status(daemon: Daemon) -> int:
    status, _, _ = daemon.request("POST", "/api/v1/auth/login", {"username": ADMIN, "password": PASSWORD})
    return status


def test_root_sees_and_removes_an_accounts_factors_through_the_socket(daemon: Daemon) -> None:
    set_up_with_an_app(daemon)
    shown = daemon.cli("user", "factors", ADMIN)
    assert shown.returncode == 0, shown.stderr
    assert "Authenticator app: on" in shown.stdout and "Recovery codes:    10 left" in shown.stdout
    factors = json.loads(daemon.cli("user", "factors", ADMIN, "--json").stdout)
    assert factors["totp"] is True and factors["passkeys"] == 0 and factors["suspended"] is False
    assert daemon.cli("user", "factors", "nobody").returncode == 4
    assert sign_in_status(daemon) == 202  # the password is not the whole sign-in
    declined = daemon.cli("user", "reset-2fa", ADMIN, stdin="n\n")
    assert declined.returncode == 2 and "Nothing was removed" in declined.stderr
    assert json.loads(daemon.cli("user", "factors", ADMIN, "--json").stdout)["totp"] is True
    done = daemon.cli("user", "reset-2fa", ADMIN, "--yes", "--json")
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["factors_cleared"] is True and answer["factors"]["totp"] is False
    assert answer["factors"]["recovery_codes_left"] == 0
    assert sign_in_status(daemon) == 200
    log = json.loads(daemon.cli("log", "-n", "5", "--json").stdout)
    cleared = next(r for r in log if r["action"] == "auth.factors_cleared")
    assert cleared["actor"] == "root@local" and cleared["target"] == ADMIN


def test_first_aid_removes_the_factors_with_the_daemon_stopped(daemon: Daemon) -> None:
    set_up_with_an_app(daemon)
    running = daemon.cli("recover", "reset-2fa", ADMIN)
    assert running.returncode == 5 and "daemon stopped" in running.stderr
    daemon.stop()
    store = daemon.home / "config.sqlite"
    before = store.read_bytes()
    dry = daemon.cli("recover", "reset-2fa", ADMIN, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert f"remove the authenticator app of {ADMIN}" in dry.stdout and "10 unused recovery codes" in dry.stdout
    assert "Dry run" in dry.stdout
    assert store.read_bytes() == before  # the dry run changed nothing
    assert daemon.cli("recover", "reset-2fa", "nobody").returncode == 4
    key = (daemon.home / "secrets.key").read_bytes()
    done = daemon.cli("recover", "reset-2fa", ADMIN)
    assert done.returncode == 0, done.stderr
    assert (daemon.home / "secrets.key").read_bytes() == key  # the daemon's key is never touched
    again = daemon.cli("recover", "reset-2fa", ADMIN, "--dry-run")
    assert f"nothing: {ADMIN} has no second factor" in again.stdout
    daemon.start()
    assert sign_in_status(daemon) == 200  # the password alone, now
    log = json.loads(daemon.cli("log", "-n", "5", "--json").stdout)
    cleared = next(r for r in log if r["action"] == "auth.factors_cleared")
    assert cleared["actor"] == "root@console" and cleared["target"] == ADMIN
