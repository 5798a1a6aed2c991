"""Notices sent for real: a real SMTP server (aiosmtpd on loopback, STARTTLS or TLS, AUTH LOGIN/PLAIN) and a real HTTP
receiver; the settings through the API, the queue worked by the dispatcher, the bytes that arrived grepped for
secrets."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from homeport.core.events import NoticeRaised
from homeport.services import Services
from tests.support.api import ADMIN_PASSWORD, create_user, error_code
from tests.support.clock import FakeClock
from tests.support.factors import enrol_totp
from tests.support.mail import SMTP_PASSWORD, SMTP_USER, RunningServer, smtp_server
from tests.support.receiver import Receiver, webhook_receiver

TOKEN = "webhook-bearer-token-kept-sealed"


@pytest.fixture
def owner(installed: TestClient) -> TestClient:
    """alice, with an email address: the administrators' addresses are the recipients."""
    assert installed.patch("/api/v1/users/alice", json={"email": "alice@home.test"}).status_code == 200
    return installed


@pytest.fixture
def mail() -> Iterator[RunningServer]:
    with smtp_server() as server:
        yield server


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with webhook_receiver() as running:
        yield running


def email_body(server: RunningServer, **extra: Any) -> dict[str, Any]:
    return {
        "enabled": True,
        "host": "127.0.0.1",
        "port": server.port,
        "security": "starttls",
        "username": SMTP_USER,
        "password": SMTP_PASSWORD,
        "from_address": "nas@home.test",
        "fingerprint": server.certificate.fingerprint,
        **extra,
    }


def save(client: TestClient, **channels: dict[str, Any]) -> Any:
    return client.put("/api/v1/notifications/settings", json={**channels, "current_password": ADMIN_PASSWORD})


def send_due(services: Services, client: TestClient) -> int:
    async def run() -> int:
        return await services.notices.dispatcher.send_due()

    return int(client.portal.call(run)) if client.portal else asyncio.run(run())


def secrets_of(services: Services) -> list[bytes]:
    """Everything that must never leave the device: the SMTP password, the token, the admin's password and the
    stored hashes."""
    with services.db.read() as conn:
        hashes = [str(r[0]).encode() for r in conn.execute("SELECT password_hash FROM users") if r[0]]
    return [SMTP_PASSWORD.encode(), TOKEN.encode(), ADMIN_PASSWORD.encode(), *hashes]


def test_a_notice_is_mailed_over_starttls_with_auth_and_holds_no_secret(
    owner: TestClient, services: Services, clock: FakeClock, mail: RunningServer
) -> None:
    answer = save(owner, email=email_body(mail))
    assert answer.status_code == 200, answer.text
    shown = answer.json()["email"]
    assert shown["password_set"] is True
    assert SMTP_PASSWORD not in answer.text  # never shown back
    totp_secret, recovery_codes = enrol_totp(owner, clock)  # a notice of its own: a factor added
    services.bus.publish(NoticeRaised("backup.failed", "The nightly backup failed", "volume1 is full.", "warning"))
    assert send_due(services, owner) == 2
    assert len(mail.mailbox.messages) == 2
    sender, recipients, raw = mail.mailbox.messages[1]
    assert (sender, recipients) == ("nas@home.test", ["alice@home.test"])
    assert {mechanism for mechanism, _ in mail.mailbox.logins} == {"PLAIN"}  # smtplib prefers PLAIN to LOGIN
    assert all(ok for _, ok in mail.mailbox.logins)
    text = raw.decode()
    assert "Subject: [nas] The nightly backup failed" in text
    assert "volume1 is full." in text and "https://nas.local" in text and services.device.identity.serial in text
    assert "An authenticator app was added for alice" in mail.mailbox.messages[0][2].decode()
    secrets = [*secrets_of(services), totp_secret.encode(), *(code.encode() for code in recovery_codes)]
    for _, _, sent in mail.mailbox.messages:
        for secret in secrets:
            assert secret not in sent
    queue = owner.get("/api/v1/notifications/queue").json()
    assert (queue["pending"], queue["sent"]) == (0, 2)


def test_implicit_tls_auth_login_and_the_test_message(owner: TestClient, services: Services) -> None:
    with smtp_server(implicit_tls=True, exclude_auth=("PLAIN",)) as server:
        assert save(owner, email=email_body(server, security="tls")).status_code == 200
        answer = owner.post("/api/v1/notifications/test", json={"channel": "email"})
        assert answer.json() == {"channel": "email", "ok": True, "reason": None, "message": "Sent."}
        assert "A test message from Homeport" in server.mailbox.messages[0][2].decode()
        assert server.mailbox.logins == [("LOGIN", True)]
    assert services.audit.query(action="notify.test_sent")[0].outcome == "success"


def test_an_untrusted_certificate_is_refused_before_the_password_is_sent(
    owner: TestClient, mail: RunningServer
) -> None:
    assert save(owner, email=email_body(mail, fingerprint="")).status_code == 200
    result = owner.post("/api/v1/notifications/test", json={"channel": "email"}).json()
    assert result["ok"] is False and result["reason"] == "tls_failed"
    assert "not trusted" in result["message"] and "fingerprint" in result["message"]
    wrong = "ab" * 32
    assert save(owner, email={"fingerprint": wrong}).status_code == 200
    result = owner.post("/api/v1/notifications/test", json={"channel": "email"}).json()
    assert result["reason"] == "tls_failed" and "not the one accepted" in result["message"]
    assert mail.mailbox.logins == []  # no password ever reached the server


def test_a_wrong_password_says_so_and_the_delivery_is_retried_later(
    owner: TestClient, services: Services, clock: Any, mail: RunningServer
) -> None:
    mail.mailbox.password = "the server's real password"
    assert save(owner, email=email_body(mail)).status_code == 200
    result = owner.post("/api/v1/notifications/test", json={"channel": "email"}).json()
    assert result["reason"] == "auth_refused" and "user name or password" in result["message"]
    assert SMTP_PASSWORD not in json.dumps(result)
    services.bus.publish(NoticeRaised("update.rolled_back", "An update was rolled back", "It failed its trial."))
    assert send_due(services, owner) == 1
    (delivery,) = owner.get("/api/v1/notifications/queue").json()["deliveries"]
    assert delivery["state"] == "pending" and delivery["attempts"] == 1
    assert "user name or password" in delivery["last_error"] and SMTP_PASSWORD not in delivery["last_error"]
    assert send_due(services, owner) == 0  # not due yet: 30 s later
    mail.mailbox.password = SMTP_PASSWORD
    clock.advance(30)
    assert send_due(services, owner) == 1
    assert len(mail.mailbox.messages) == 1


def test_a_server_that_is_down_is_retried_with_back_off_then_given_up(
    owner: TestClient, services: Services, clock: Any
) -> None:
    from tests.support.mail import free_port

    port = free_port()  # nothing listens there
    assert save(owner, email={**email_body_for(port), "security": "none"}).status_code == 200
    result = owner.post("/api/v1/notifications/test", json={"channel": "email"}).json()
    assert result["reason"] == "connection_refused"
    services.bus.publish(NoticeRaised("backup.failed", "Backup failed", "Disk full.", "warning"))
    delays = []
    for _ in range(10):
        assert send_due(services, owner) == 1
        (delivery,) = services.notices.service.queue_summary().recent
        delays.append(delivery.next_attempt_at - clock.now())
        clock.advance(delivery.next_attempt_at - clock.now())
    assert delays[:8] == [30, 60, 120, 240, 480, 960, 1920, 3600]
    clock.advance(3 * 24 * 3600)
    assert send_due(services, owner) == 1  # three days after the notice: the last try
    (delivery,) = services.notices.service.queue_summary().recent
    assert delivery.state == "failed" and "refused the connection" in delivery.last_error


def email_body_for(port: int) -> dict[str, Any]:
    return {
        "enabled": True, "host": "127.0.0.1", "port": port, "security": "starttls", "username": "",
        "from_address": "nas@home.test", "fingerprint": "",
    }  # fmt: skip


def test_the_webhook_posts_json_with_the_bearer_token(
    owner: TestClient, services: Services, receiver: Receiver
) -> None:
    answer = save(owner, webhook={"enabled": True, "url": receiver.url + "/hooks/nas?x=1", "token": TOKEN})
    assert answer.status_code == 200, answer.text
    assert answer.json()["webhook"]["token_set"] is True and TOKEN not in answer.text
    services.bus.publish(NoticeRaised("update.committed", "Homeport 1.2 is running", "The trial passed."))
    assert send_due(services, owner) == 1
    (request,) = receiver.requests
    assert request.path == "/hooks/nas?x=1"
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    document = json.loads(request.body)
    assert document["kind"] == "update.committed" and document["device"] == "nas"
    assert set(document) == {"kind", "title", "body", "severity", "device", "serial", "time", "console"}
    for secret in secrets_of(services):
        if secret != TOKEN.encode():
            assert secret not in request.body


def test_the_ntfy_form_and_no_redirect_followed(owner: TestClient, services: Services, receiver: Receiver) -> None:
    assert save(owner, webhook={"enabled": True, "url": receiver.url + "/nas-alerts", "format": "ntfy"}).is_success
    assert owner.post("/api/v1/notifications/test", json={"channel": "webhook"}).json()["ok"] is True
    (request,) = receiver.requests
    document = json.loads(request.body)
    assert request.path == "/" and document["topic"] == "nas-alerts" and document["priority"] == 3
    receiver.status, receiver.location = 302, "http://127.0.0.1:1/elsewhere"
    result = owner.post("/api/v1/notifications/test", json={"channel": "webhook"}).json()
    assert result["reason"] == "redirect" and len(receiver.requests) == 2
    receiver.status = 401
    assert owner.post("/api/v1/notifications/test", json={"channel": "webhook"}).json()["reason"] == "auth_refused"


def test_saving_needs_the_current_password_and_valid_values(owner: TestClient, services: Services) -> None:
    body = {"email": {"enabled": True, "host": "smtp.example.com", "from_address": "nas@example.com"}}
    answer = owner.put("/api/v1/notifications/settings", json=body)
    assert answer.status_code == 422 and "current_password" in answer.json()["error"]["fields"]
    answer = owner.put("/api/v1/notifications/settings", json={**body, "current_password": "wrong"})
    assert answer.status_code == 422 and error_code(answer)
    bad = {
        "email": {"enabled": True, "host": "not a host", "from_address": "x", "security": "none", "fingerprint": "12"},
        "webhook": {"enabled": True, "url": "https://user:pw@example.com/x"},
    }
    answer = save(owner, **bad)
    fields = answer.json()["error"]["fields"]
    assert answer.status_code == 422
    assert {"host", "from_address", "fingerprint"} <= set(fields)
    assert save(owner, email={"host": "8.8.8.8", "security": "none"}).json()["error"]["fields"]["security"]
    assert save(owner, webhook={"url": "ftp://example.com/"}).json()["error"]["fields"]["url"]
    assert owner.get("/api/v1/notifications/settings").json()["email"]["host"] == ""  # nothing half-saved
    assert save(owner, **body).status_code == 200
    record = services.audit.query(action="notify.settings_changed")[0]
    assert "email.host" in record.detail["fields"]


def test_the_password_is_sealed_in_the_store(owner: TestClient, services: Services, mail: RunningServer) -> None:
    assert save(owner, email=email_body(mail)).status_code == 200
    with services.db.read() as conn:
        stored = b"".join(bytes(r[0] or b"") + str(r[1]).encode() for r in conn.execute(
            "SELECT secret, config FROM notice_channels"
        ))  # fmt: skip
    assert SMTP_PASSWORD.encode() not in stored
    assert save(owner, email={"clear_password": True}).json()["email"]["password_set"] is False


def test_a_title_cannot_inject_a_header_and_only_enabled_administrators_are_mailed(
    owner: TestClient, services: Services, mail: RunningServer
) -> None:
    create_user(owner, "carol", email="carol@home.test", groups=["administrators"])
    create_user(owner, "dave", email="dave@home.test", groups=["administrators"])
    assert owner.patch("/api/v1/users/dave", json={"enabled": False}).status_code == 200
    create_user(owner, "erin", email="erin@home.test")  # not an administrator
    assert save(owner, email=email_body(mail)).status_code == 200
    services.bus.publish(NoticeRaised("backup.failed", "Backup failed\r\nBcc: mallory@evil.test", "Disk full."))
    assert send_due(services, owner) == 1
    _, recipients, raw = mail.mailbox.messages[0]
    assert sorted(recipients) == ["alice@home.test", "carol@home.test"]
    headers = raw.split(b"\r\n\r\n", 1)[0]
    assert b"\nBcc:" not in headers and b"Subject: [nas] Backup failed Bcc: mallory@evil.test" in headers
    assert services.notices.service.notices()[0].title == "Backup failed Bcc: mallory@evil.test"  # one line


def test_turning_a_channel_off_gives_up_what_it_still_had_to_send(
    owner: TestClient, services: Services, receiver: Receiver
) -> None:
    assert save(owner, webhook={"enabled": True, "url": receiver.url + "/x"}).status_code == 200
    services.bus.publish(NoticeRaised("backup.failed", "Backup failed", "Disk full."))
    assert save(owner, webhook={"enabled": False}).status_code == 200
    assert send_due(services, owner) == 1
    assert receiver.requests == []
    (delivery,) = services.notices.service.queue_summary().recent
    assert delivery.state == "failed" and "turned off" in delivery.last_error
