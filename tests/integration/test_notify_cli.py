"""Notices from a real daemon (`homeport serve`): its dispatcher mails a real SMTP server and posts to a real webhook
receiver, both on loopback; `homeport notify status|test` over the daemon's socket, with exit codes and --json."""

from __future__ import annotations

import json
import subprocess
import time
from typing import Any

from tests.support.daemon import Daemon
from tests.support.mail import SMTP_PASSWORD, SMTP_USER, smtp_server
from tests.support.receiver import webhook_receiver

ADMIN, PASSWORD = "alice", "correct horse battery staple"
WAIT_SECONDS = 15.0


def signed_in(daemon: Daemon) -> dict[str, str]:
    status, body, headers = daemon.request("POST", "/api/v1/auth/login", {"username": ADMIN, "password": PASSWORD})
    assert status == 200, body
    return {"cookie": headers["set-cookie"].split(";")[0], "x-csrf-token": body["csrf_token"]}


def call(daemon: Daemon, auth: dict[str, str], method: str, path: str, body: Any = None) -> Any:
    status, answer, _ = daemon.request(method, path, body, auth)
    assert status in (200, 204), answer
    return answer


def wait_for(condition: Any, what: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        assert time.monotonic() < deadline, f"not within {WAIT_SECONDS} s: {what}"
        time.sleep(0.1)


def ran(result: subprocess.CompletedProcess[str], code: int = 0) -> str:
    assert result.returncode == code, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    return result.stdout


def test_a_real_daemon_sends_notices_and_the_cli_tests_the_channels(daemon: Daemon) -> None:
    daemon.start().set_up(ADMIN, PASSWORD)
    assert daemon.cli("user", "add", "bob", "--no-must-change", stdin="a long enough password\n").returncode == 0
    auth = signed_in(daemon)
    call(daemon, auth, "PATCH", f"/api/v1/users/{ADMIN}", {"email": "alice@home.test"})
    with smtp_server() as mail, webhook_receiver() as receiver:
        email = {
            "enabled": True, "host": "127.0.0.1", "port": mail.port, "security": "starttls", "username": SMTP_USER,
            "password": SMTP_PASSWORD, "from_address": "nas@home.test", "fingerprint": mail.certificate.fingerprint,
        }  # fmt: skip
        webhook = {"enabled": True, "url": receiver.url + "/nas", "format": "ntfy", "token": "tk-123"}
        body = {"email": email, "webhook": webhook, "current_password": PASSWORD}
        call(daemon, auth, "PUT", "/api/v1/notifications/settings", body)

        tested = ran(daemon.cli("notify", "test"))
        assert "Email: sent" in tested and "Webhook: sent" in tested
        assert len(mail.mailbox.messages) == 1 and len(receiver.requests) == 1

        # An action that tells the administrators: its notice goes out from the daemon's own dispatcher.
        call(daemon, auth, "DELETE", "/api/v1/users/bob/factors", {"admin_password": PASSWORD})
        wait_for(lambda: len(mail.mailbox.messages) == 2 and len(receiver.requests) == 2, "the notice's delivery")
        raw = mail.mailbox.messages[1][2]
        assert b"Every second factor of bob was removed" in raw and SMTP_PASSWORD.encode() not in raw
        assert json.loads(receiver.requests[1].body)["topic"] == "nas"

        status = json.loads(ran(daemon.cli("notify", "status", "--json")))
        assert status["notices"]["unread"] == 1
        assert (status["queue"]["sent"], status["queue"]["pending"]) == (2, 0)
        assert SMTP_PASSWORD not in json.dumps(status) and "tk-123" not in json.dumps(status)
        said = ran(daemon.cli("notify", "status"))
        assert "starttls" in said and "password set" in said and "Every second factor of bob was removed" in said

    down = daemon.cli("notify", "test", "--channel", "email", "--json")
    [result] = json.loads(ran(down, 1))
    assert result["ok"] is False and result["reason"] == "connection_refused"
    assert "NOT SENT (connection_refused)" in ran(daemon.cli("notify", "test", "--channel", "webhook"), 1)
