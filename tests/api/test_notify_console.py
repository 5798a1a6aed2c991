"""The Notifications page and the overview's banners as an owner meets them, with plain form posts: saving needs
the current password, a failure is shown on the form that failed with what was typed (never a secret), a test
message shows its exact outcome, and notices stay on the overview until marked read."""

from __future__ import annotations

import html

import pytest
from httpx2 import Response
from starlette.testclient import TestClient

from homeport.core.events import NoticeRaised
from homeport.services import Services
from tests.support.api import ADMIN_PASSWORD, create_user, setup_device, sign_in
from tests.support.console import form_token, shown
from tests.support.mail import SMTP_PASSWORD, SMTP_USER, free_port, smtp_server


@pytest.fixture
def owner(client: TestClient) -> TestClient:
    setup_device(client)
    sign_in(client)
    assert client.patch("/api/v1/users/alice", json={"email": "alice@home.test"}).status_code == 200
    client.follow_redirects = False
    return client


def post(owner: TestClient, path: str, **fields: str) -> Response:
    page = owner.get("/notifications").text
    return owner.post(path, data={"csrf_token": form_token(page), **fields})


def email_form(port: int, **extra: str) -> dict[str, str]:
    return {
        "part": "email", "enabled": "1", "host": "127.0.0.1", "port": str(port), "security": "starttls",
        "username": SMTP_USER, "password": SMTP_PASSWORD, "from_address": "nas@home.test", **extra,
    }  # fmt: skip


def test_the_page_is_in_the_system_group_and_only_for_administrators(owner: TestClient, services: Services) -> None:
    page = owner.get("/notifications")
    assert page.status_code == 200
    assert 'href="/notifications"' in owner.get("/").text
    assert "not set" in page.text and 'data-testid="deliveries"' not in page.text
    create_user(owner, "bob", password="a long one for b")
    with TestClient(owner.app, base_url="https://testserver") as bob:
        sign_in(bob, "bob", "a long one for b")
        assert bob.get("/notifications", follow_redirects=False).status_code in (303, 403)


def test_saving_email_needs_the_current_password_and_keeps_what_was_typed_but_secrets(
    owner: TestClient, services: Services
) -> None:
    refused = shown(owner, post(owner, "/notifications", **email_form(2525, fingerprint="nonsense")))
    assert refused.status_code == 422
    email_part = refused.text[
        refused.text.index('data-testid="email-form"') : refused.text.index('data-testid="email-test-form"')
    ]
    assert "64 hexadecimal digits" in email_part and 'value="nonsense"' in email_part
    assert SMTP_PASSWORD not in refused.text
    hook_part = refused.text[refused.text.index('data-testid="webhook-form"') :]
    assert "64 hexadecimal digits" not in hook_part  # the error is on the form that failed only
    missing = shown(owner, post(owner, "/notifications", **email_form(2525)))
    assert "Enter your current password" in missing.text
    assert not services.notices.service.email_settings().enabled
    saved = shown(owner, post(owner, "/notifications", **email_form(2525, current_password=ADMIN_PASSWORD)))
    assert "The email settings have been saved" in saved.text
    settings = services.notices.service.email_settings()
    assert settings.enabled and settings.port == 2525 and settings.password_set
    assert "set: leave empty to keep it" in saved.text and SMTP_PASSWORD not in saved.text
    # Saved again with the password field empty: the stored password stays.
    again = email_form(2526, current_password=ADMIN_PASSWORD, password="")
    shown(owner, post(owner, "/notifications", **again))
    assert services.notices.service.email_settings().password_set


def test_a_test_message_shows_success_or_the_exact_failure(owner: TestClient, services: Services) -> None:
    with smtp_server() as server:
        form = email_form(server.port, fingerprint=server.certificate.fingerprint, current_password=ADMIN_PASSWORD)
        shown(owner, post(owner, "/notifications", **form))
        sent = shown(owner, post(owner, "/notifications/test", channel="email"))
        assert "The test mail was sent" in sent.text
        assert len(server.mailbox.messages) == 1
    down = shown(owner, post(owner, "/notifications/test", channel="email"))
    assert "could not be sent" in down.text and "refused the connection" in html.unescape(down.text)
    hook = {"part": "webhook", "enabled": "1", "url": f"http://127.0.0.1:{free_port()}/x", "format": "json",
            "current_password": ADMIN_PASSWORD}  # fmt: skip
    assert "webhook settings have been saved" in shown(owner, post(owner, "/notifications", **hook)).text
    failed = shown(owner, post(owner, "/notifications/test", channel="webhook"))
    assert "The test webhook request could not be sent" in failed.text


def test_the_overview_shows_unread_notices_until_marked_read(owner: TestClient, services: Services) -> None:
    services.bus.publish(
        NoticeRaised("update.rolled_back", "The update was rolled back", "Its trial failed.", "critical")
    )
    services.bus.publish(NoticeRaised("backup.failed", "The backup failed", "volume1 is full.", "warning"))
    page = owner.get("/").text
    assert page.count('data-severity="critical"') == 1 and page.count('data-severity="warning"') == 1
    assert 'role="alert"' in page and "The update was rolled back" in page
    first = services.notices.service.notices()[-1].id
    shown(
        owner, owner.post("/notifications/read", data={"csrf_token": form_token(page), "id": str(first), "back": "/"})
    )
    page = owner.get("/").text
    assert "The update was rolled back" not in page and "The backup failed" in page
    shown(owner, owner.post("/notifications/read", data={"csrf_token": form_token(page), "back": "/"}))
    assert 'data-testid="notices"' not in owner.get("/").text
    # ...and the Notifications page still lists them, read.
    assert "The update was rolled back" in owner.get("/notifications").text


def test_marking_a_notice_that_does_not_exist_marks_nothing(owner: TestClient, services: Services) -> None:
    services.bus.publish(NoticeRaised("backup.failed", "The backup failed", "volume1 is full.", "warning"))
    token = form_token(owner.get("/").text)
    for wrong in ("999", "18446744073709551616", "-1", "x"):
        answer = owner.post("/notifications/read", data={"csrf_token": token, "id": wrong, "back": "/"})
        assert answer.status_code == 404, answer.text
    assert services.notices.service.unread_count() == 1
