"""Approving a sign-in from another signed-in session: number matching, expiry, one pending request per
account, rate limits, "this wasn't me", auto block checked again, and the account's live event stream."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pyotp
import pytest
from starlette.testclient import TestClient

from homeport.application import create_app
from homeport.auth.approvals import PAUSE_SECONDS, REQUEST_SECONDS
from homeport.services import Services
from tests.support.api import ADMIN, ADMIN_PASSWORD, create_user, error_code, setup_device, sign_in
from tests.support.clock import FakeClock
from tests.support.loopwatch import loop_never_blocked
from tests.support.recovery import browser
from tests.support.sse import events

PHONE = ("192.168.1.60", 40000)  # alice's phone, signed in already
LAPTOP = ("192.168.1.70", 40000)  # the browser signing in now
OTHER = ("192.168.1.80", 40000)


def enrol_totp(client: TestClient, clock: FakeClock) -> str:
    answer = client.post("/api/v1/me/totp", json={"current_password": ADMIN_PASSWORD})
    assert answer.status_code == 201, answer.text
    secret: str = answer.json()["secret"]
    code = pyotp.TOTP(secret).at(clock.now())
    assert client.post("/api/v1/me/totp/confirm", json={"code": code}).status_code == 200
    return secret


@pytest.fixture
def phone(services: Services, clock: FakeClock) -> Iterator[TestClient]:
    """Alice (an administrator with an authenticator app), signed in on her phone."""
    with browser(services, PHONE) as owner, loop_never_blocked(owner.portal):
        setup_device(owner)
        sign_in(owner)
        owner.totp_secret = enrol_totp(owner, clock)  # type: ignore[attr-defined]
        yield owner


def waiting_browser(services: Services, client: tuple[str, int] = LAPTOP) -> TestClient:
    return browser(services, client)


def password_step(client: TestClient) -> dict[str, Any]:
    answer = client.post("/api/v1/auth/login", json={"username": ADMIN, "password": ADMIN_PASSWORD})
    assert answer.status_code == 202, answer.text
    second: dict[str, Any] = answer.json()["second_factor"]
    return second


def begin(client: TestClient) -> dict[str, Any]:
    answer = client.post("/api/v1/auth/approval/begin")
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def wrong(started: dict[str, Any], listed: dict[str, Any]) -> int:
    return int(next(n for n in listed["choices"] if n != started["number"]))


def actions(services: Services) -> list[tuple[str, str, dict[str, Any]]]:
    return [(r.action, r.outcome, r.detail) for r in reversed(services.audit.query(limit=100))]


def test_another_session_approves_with_the_number_and_the_browser_signs_in(
    phone: TestClient, services: Services
) -> None:
    with waiting_browser(services) as laptop:
        assert "approval" in password_step(laptop)["methods"]
        started = begin(laptop)
        assert started["state"] == "pending" and started["expires_in"] == REQUEST_SECONDS
        assert 10 <= started["number"] <= 99
        assert started["approve_url"] == f"https://192.168.1.20/approve/{started['request_id']}"  # never the number
        assert started["qr_svg"].startswith("<svg")
        assert begin(laptop)["request_id"] == started["request_id"]  # asked again: the same request, not a new push

        listed = phone.get("/api/v1/me/approvals").json()
        assert [r["id"] for r in listed] == [started["request_id"]]
        shown = listed[0]
        assert "number" not in shown and started["number"] in shown["choices"] and len(set(shown["choices"])) == 3
        assert shown["client"] == LAPTOP[0] and shown["account"] == ADMIN

        assert laptop.post("/api/v1/auth/approval/finish").status_code == 409  # not approved yet
        answer = phone.post(f"/api/v1/me/approvals/{started['request_id']}", json={"number": started["number"]})
        assert answer.status_code == 200, answer.text
        assert answer.json()["state"] == "approved"
        assert laptop.get("/api/v1/auth/approval/status").json()["state"] == "approved"

        finished = laptop.post("/api/v1/auth/approval/finish")
        assert finished.status_code == 200, finished.text
        assert finished.json()["user"]["name"] == ADMIN
        laptop.headers["X-CSRF-Token"] = finished.json()["csrf_token"]
        assert laptop.get("/api/v1/me").status_code == 200
        assert laptop.post("/api/v1/auth/approval/finish").status_code == 401  # once
    assert phone.get("/api/v1/me/approvals").json() == []


def test_approval_is_offered_only_with_another_live_session(services: Services, clock: FakeClock) -> None:
    with browser(services, PHONE) as owner:
        setup_device(owner)
        sign_in(owner)
        enrol_totp(owner, clock)
        assert owner.post("/api/v1/auth/logout").status_code == 204
    with waiting_browser(services) as laptop:
        assert "approval" not in password_step(laptop)["methods"]
        answer = laptop.post("/api/v1/auth/approval/begin")
        assert answer.status_code == 409 and error_code(answer) == "approval_unavailable"


def test_a_request_expires_after_two_minutes(phone: TestClient, services: Services, clock: FakeClock) -> None:
    with waiting_browser(services) as laptop:
        password_step(laptop)
        started = begin(laptop)
        clock.advance(REQUEST_SECONDS - 1)
        assert len(phone.get("/api/v1/me/approvals").json()) == 1
        clock.advance(1)
        assert phone.get("/api/v1/me/approvals").json() == []
        answer = phone.post(f"/api/v1/me/approvals/{started['request_id']}", json={"number": started["number"]})
        assert answer.status_code == 404 and error_code(answer) == "approval_not_found"
        assert laptop.get("/api/v1/auth/approval/status").json()["state"] == "expired"
        finished = laptop.post("/api/v1/auth/approval/finish")
        assert finished.status_code == 409 and error_code(finished) == "approval_expired"
        assert begin(laptop)["request_id"] != started["request_id"]  # it may ask again


def test_one_pending_request_per_account(phone: TestClient, services: Services) -> None:
    with waiting_browser(services) as laptop, waiting_browser(services, OTHER) as other:
        password_step(laptop)
        password_step(other)
        first = begin(laptop)
        answer = other.post("/api/v1/auth/approval/begin")
        assert answer.status_code == 409 and error_code(answer) == "approval_pending_elsewhere"
        assert [r["id"] for r in phone.get("/api/v1/me/approvals").json()] == [first["request_id"]]
        assert phone.post(f"/api/v1/me/approvals/{first['request_id']}/deny", json={}).status_code == 200
        assert begin(other)["request_id"] != first["request_id"]  # answered: the next may ask


def test_requests_are_rate_limited_per_account(phone: TestClient, services: Services, clock: FakeClock) -> None:
    with waiting_browser(services) as laptop:
        password_step(laptop)
        for _ in range(3):
            started = begin(laptop)
            denied = phone.post(f"/api/v1/me/approvals/{started['request_id']}/deny", json={"report": False})
            assert denied.json()["state"] == "denied"
        answer = laptop.post("/api/v1/auth/approval/begin")
        assert answer.status_code == 429 and error_code(answer) == "approval_rate_limited"
        assert int(answer.headers["retry-after"]) > 0
        assert phone.get("/api/v1/me/approvals").json() == []  # nothing reached the phone
        clock.advance(601)
        password_step(laptop)  # the waiting sign-in itself lasted 5 minutes
        begin(laptop)


def test_a_wrong_number_denies_the_request(phone: TestClient, services: Services) -> None:
    with waiting_browser(services) as laptop:
        password_step(laptop)
        started = begin(laptop)
        listed = phone.get("/api/v1/me/approvals").json()[0]
        answer = phone.post(f"/api/v1/me/approvals/{started['request_id']}", json={"number": wrong(started, listed)})
        assert answer.status_code == 409 and error_code(answer) == "wrong_number"
        assert laptop.get("/api/v1/auth/approval/status").json()["state"] == "denied"
        again = phone.post(f"/api/v1/me/approvals/{started['request_id']}", json={"number": started["number"]})
        assert again.status_code == 404  # denied for good: the right number now changes nothing
        finished = laptop.post("/api/v1/auth/approval/finish")
        assert finished.status_code == 403 and error_code(finished) == "approval_denied"
    assert ("auth.approval_denied", "failure") in [(a, o) for a, o, _ in actions(services)]


def test_this_was_not_me_ends_the_sign_in_pauses_approvals_and_tells_administrators(
    phone: TestClient, services: Services, clock: FakeClock
) -> None:
    with waiting_browser(services) as laptop:
        password_step(laptop)
        started = begin(laptop)
        answer = phone.post(f"/api/v1/me/approvals/{started['request_id']}/deny", json={"report": True})
        assert answer.status_code == 200 and answer.json()["state"] == "denied"
        assert laptop.get("/api/v1/auth/approval/status").status_code == 401  # that sign-in is over
        assert "approval" not in password_step(laptop)["methods"]  # paused: no request can be sent
        assert laptop.post("/api/v1/auth/approval/begin").status_code == 409
        page = phone.get("/")
        assert "was not theirs" in page.text and 'data-testid="approval-report"' in page.text
        for _ in range(6):  # an hour on, alice's phone still in use (sessions time out after 15 idle minutes)
            clock.advance(PAUSE_SECONDS / 6 + 1)
            assert phone.get("/api/v1/me").status_code == 200
        assert "approval" in password_step(laptop)["methods"]
    reported = [d for a, _, d in actions(services) if a == "auth.approval_reported"]
    assert reported and reported[0]["address"] == LAPTOP[0]


def test_an_address_blocked_meanwhile_is_not_approved(phone: TestClient, services: Services) -> None:
    with waiting_browser(services) as laptop:
        password_step(laptop)
        started = begin(laptop)
        services.throttle.blocklist.add(services.throttle.key_of(LAPTOP[0]), 600, "test")
        answer = phone.post(f"/api/v1/me/approvals/{started['request_id']}", json={"number": started["number"]})
        assert answer.status_code == 409 and error_code(answer) == "approval_refused"
        assert laptop.get("/api/v1/auth/approval/status").json()["state"] == "refused"


def test_a_block_after_the_approval_still_stops_the_sign_in(phone: TestClient, services: Services) -> None:
    with waiting_browser(services) as laptop:
        password_step(laptop)
        started = begin(laptop)
        phone.post(f"/api/v1/me/approvals/{started['request_id']}", json={"number": started["number"]})
        services.throttle.blocklist.add(services.throttle.key_of(LAPTOP[0]), 600, "test")
        answer = laptop.post("/api/v1/auth/approval/finish")
        assert answer.status_code == 429 and error_code(answer) == "address_blocked"
        assert "__Host-homeport_session" not in answer.cookies


def test_another_accounts_session_cannot_see_or_approve(phone: TestClient, services: Services) -> None:
    create_user(phone, "bob", password="a long one for b")
    with waiting_browser(services) as laptop, browser(services, OTHER) as bob:
        sign_in(bob, "bob", "a long one for b")
        password_step(laptop)
        started = begin(laptop)
        assert bob.get("/api/v1/me/approvals").json() == []
        answer = bob.post(f"/api/v1/me/approvals/{started['request_id']}", json={"number": started["number"]})
        assert answer.status_code == 404
        assert bob.post(f"/api/v1/me/approvals/{started['request_id']}/deny", json={"report": True}).status_code == 404
        assert laptop.get("/api/v1/auth/approval/status").json()["state"] == "pending"


def test_root_on_the_local_socket_lists_and_approves(
    phone: TestClient, services: Services, local_client: TestClient
) -> None:
    with waiting_browser(services) as laptop:
        password_step(laptop)
        started = begin(laptop)
        listed = local_client.get("/api/v1/approvals").json()
        assert [(r["id"], r["account"]) for r in listed] == [(started["request_id"], ADMIN)]
        assert "number" not in listed[0]
        answer = local_client.post(f"/api/v1/approvals/{started['request_id']}", json={"number": started["number"]})
        assert answer.status_code == 200 and answer.json()["state"] == "approved"
        assert laptop.post("/api/v1/auth/approval/finish").status_code == 200
    assert phone.get("/api/v1/approvals").status_code == 404  # root's routes exist only on the socket
    granted = services.audit.query(action="auth.approval_granted")
    assert granted[0].actor == "root@local"


def test_open_pages_hear_requests_without_the_number_and_the_waiting_browser_hears_the_decision(
    phone: TestClient, services: Services
) -> None:
    with waiting_browser(services) as laptop, events(phone, "/api/v1/me/events") as mine:
        password_step(laptop)
        with events(laptop, "/api/v1/auth/approval/events") as waiting:
            assert waiting.next("state")[1]["state"] == "none"
            started = begin(laptop)
            _, shown = mine.next("approval")
            assert shown["id"] == started["request_id"] and "number" not in shown
            assert shown["client"] == LAPTOP[0] and started["number"] in shown["choices"]
            phone.post(f"/api/v1/me/approvals/{started['request_id']}", json={"number": started["number"]})
            assert waiting.next("state")[1]["state"] == "approved"
            assert mine.next("approval_closed")[1] == {"id": started["request_id"], "state": "approved"}
            assert laptop.post("/api/v1/auth/approval/finish").status_code == 200


def test_a_stream_ends_when_its_session_ends(phone: TestClient, services: Services) -> None:
    services.approvals.check_seconds = 0.1
    with events(phone, "/api/v1/me/events") as mine:
        assert phone.post("/api/v1/auth/logout").status_code == 204
        assert mine.next(timeout=5)[0] == "(ended)"


def test_streams_per_session_are_bounded(phone: TestClient) -> None:
    with contextlib.ExitStack() as stack:
        for _ in range(4):
            stack.enter_context(events(phone, "/api/v1/me/events"))
        answer = phone.get("/api/v1/me/events")
        assert answer.status_code == 429 and error_code(answer) == "too_many_streams"
    with events(phone, "/api/v1/me/events"):  # closed streams make room again
        pass


def test_other_sessions_hear_of_changed_sign_in_methods(
    phone: TestClient, services: Services, clock: FakeClock
) -> None:
    with waiting_browser(services) as laptop, events(phone, "/api/v1/me/events") as mine:
        password_step(laptop)
        code = pyotp.TOTP(phone.totp_secret).at(clock.now() + 30)  # type: ignore[attr-defined]
        signed = laptop.post("/api/v1/auth/second-factor", json={"method": "totp", "code": code})
        assert signed.status_code == 200, signed.text
        laptop.headers["X-CSRF-Token"] = signed.json()["csrf_token"]
        assert laptop.post("/api/v1/me/recovery-codes", json={"current_password": ADMIN_PASSWORD}).status_code == 200
        _, notice = mine.next("notice")
        assert notice["message"].startswith("Your sign-in methods changed: new recovery codes were made")
        assert f"from {LAPTOP[0]}" in notice["message"]


def test_the_streams_and_the_approval_routes_are_in_the_document(services: Services) -> None:
    """The contract test leaves the never-ending streams out; this says they are documented all the same."""
    paths = create_app(services).openapi()["paths"]
    for stream in ("/api/v1/me/events", "/api/v1/auth/approval/events"):
        answers = paths[stream]["get"]["responses"]
        assert "text/event-stream" in answers["200"]["content"] and {"401", "429", "503"} <= set(answers)
    for path in ("/auth/approval/begin", "/auth/approval/finish", "/me/approvals/{request_id}",
                 "/me/approvals/{request_id}/deny"):  # fmt: skip
        assert "post" in paths["/api/v1" + path]
    assert "/api/v1/approvals" not in paths  # root's routes: only in the socket's document
    assert "/api/v1/approvals" in create_app(services, local=True).openapi()["paths"]


def test_this_wasnt_me_still_counts_when_newer_sign_ins_pushed_the_request_out(
    phone: TestClient, services: Services
) -> None:
    with waiting_browser(services) as laptop:
        password_step(laptop)
        started = begin(laptop)
        for _ in range(5):  # the one who knows the password tries again and again: the first waiting one goes
            password_step(laptop)
        assert phone.get("/api/v1/me/approvals").json() == []  # nothing left to approve
        answer = phone.post(f"/api/v1/me/approvals/{started['request_id']}/deny", json={"report": True})
        assert answer.status_code == 200, answer.text
        assert "approval" not in password_step(laptop)["methods"]  # approvals paused for the account
    assert [a for a, _, _ in actions(services)].count("auth.approval_reported") == 1
