"""Sign-in approval in the console without JavaScript: the second step shows the number and a QR code, the
phone's approve page answers with a form, "Check again" completes the sign-in."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from homeport.services import Services
from tests.api.test_approvals import LAPTOP, OTHER, PHONE, enrol_totp
from tests.support.api import ADMIN, ADMIN_PASSWORD, create_user, setup_device, sign_in
from tests.support.clock import FakeClock
from tests.support.console import form_token
from tests.support.recovery import browser


@pytest.fixture
def phone(services: Services, clock: FakeClock) -> Iterator[TestClient]:
    with browser(services, PHONE) as owner:
        setup_device(owner)
        sign_in(owner)
        enrol_totp(owner, clock)
        yield owner


def console_password_step(client: TestClient, next_page: str = "/users") -> None:
    answer = client.post(
        "/login", data={"username": ADMIN, "password": ADMIN_PASSWORD, "next": next_page}, follow_redirects=False
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/login/second-step", answer.text


def ask(client: TestClient) -> str:
    """Open the approval method (which changes nothing), then send the request with its button."""
    opened = client.get("/login/second-step?method=approval").text
    assert 'data-testid="approval-start"' in opened and 'data-testid="approval-number"' not in opened
    assert client.post("/login/approval/again", follow_redirects=False).status_code == 303
    return client.get("/login/second-step?method=approval").text


def shown_number(html: str) -> int:
    match = re.search(r'data-testid="approval-number"[^>]*>(\d+)<', html)
    assert match, "the page shows no number"
    return int(match.group(1))


def test_the_second_step_shows_the_number_and_check_again_signs_in_once_approved(
    phone: TestClient, services: Services
) -> None:
    with browser(services, LAPTOP) as laptop:
        console_password_step(laptop)
        assert not services.approvals.pending()  # opening the method asked nobody yet (no change on GET)
        page = ask(laptop)
        number = shown_number(page)
        assert 'data-testid="approval-qr"' in page and "<svg" in page
        assert shown_number(laptop.get("/login/second-step?method=approval").text) == number  # a reload: same one
        (request,) = services.approvals.pending()
        assert request.number == number

        early = laptop.post("/login/approval/finish", follow_redirects=True)
        assert "Not approved yet" in early.text

        approve = phone.get(f"/approve/{request.id}")
        assert approve.status_code == 200 and f'data-testid="choice-{number}"' in approve.text
        answer = phone.post(
            f"/approve/{request.id}", data={"csrf_token": form_token(approve.text), "number": str(number)},
            follow_redirects=False,
        )  # fmt: skip
        assert answer.headers["location"] == "/?done=approval-approved"

        finished = laptop.post("/login/approval/finish", follow_redirects=False)
        assert finished.status_code == 303 and finished.headers["location"] == "/users"
        assert "__Host-homeport_session" in finished.headers["set-cookie"]
        assert laptop.get("/api/v1/me").json()["user"]["name"] == ADMIN


def test_a_wrong_number_on_the_approve_page_denies_and_the_waiting_page_offers_to_ask_again(
    phone: TestClient, services: Services
) -> None:
    with browser(services, LAPTOP) as laptop:
        console_password_step(laptop)
        number = shown_number(ask(laptop))
        (request,) = services.approvals.pending()
        approve = phone.get(f"/approve/{request.id}")
        other = next(n for n in request.choices if n != number)
        answer = phone.post(
            f"/approve/{request.id}", data={"csrf_token": form_token(approve.text), "number": str(other)},
            follow_redirects=False,
        )  # fmt: skip
        assert answer.headers["location"] == "/?done=approval-wrong-number"
        page = laptop.get("/login/second-step?method=approval")
        assert "wrong number" in page.text and 'data-testid="approval-again"' in page.text
        laptop.post("/login/approval/again")
        assert shown_number(laptop.get("/login/second-step?method=approval").text) in range(10, 100)
        assert len(services.approvals.pending()) == 1


def test_this_was_not_me_on_the_approve_page_pauses_and_the_sign_in_page_says_so(
    phone: TestClient, services: Services
) -> None:
    with browser(services, LAPTOP) as laptop:
        console_password_step(laptop)
        ask(laptop)
        (request,) = services.approvals.pending()
        approve = phone.get(f"/approve/{request.id}")
        answer = phone.post(
            f"/approve/{request.id}/deny", data={"csrf_token": form_token(approve.text), "report": "1"},
            follow_redirects=False,
        )  # fmt: skip
        assert answer.headers["location"] == "/?done=approval-reported"
        assert laptop.get("/login/second-step", follow_redirects=False).headers["location"].startswith("/login?")
        console_password_step(laptop)
        page = laptop.get("/login/second-step")
        assert 'data-testid="approvals-paused"' in page.text and "Use another method" in page.text
        assert "?method=approval" not in page.text
        home = phone.get("/")
        assert 'data-testid="approval-report"' in home.text
        dismissed = phone.post("/approvals/reports/dismiss", data={"csrf_token": form_token(home.text)})
        assert 'data-testid="approval-report"' not in dismissed.text


def test_the_approve_page_is_only_for_the_accounts_own_sessions(phone: TestClient, services: Services) -> None:
    create_user(phone, "bob", password="a long one for b")
    with browser(services, LAPTOP) as laptop, browser(services, OTHER) as bob:
        console_password_step(laptop)
        ask(laptop)
        (request,) = services.approvals.pending()
        sign_in(bob, "bob", "a long one for b")
        answer = bob.get(f"/approve/{request.id}", follow_redirects=False)
        assert answer.headers["location"] == "/?done=approval-gone"
        signed_out = TestClient(bob.app, base_url="https://192.168.1.20", client=OTHER)
        with signed_out:
            assert (
                signed_out.get(f"/approve/{request.id}", follow_redirects=False)
                .headers["location"]
                .startswith(f"/login?next=/approve/{request.id}")
            )
        assert len(services.approvals.pending()) == 1
