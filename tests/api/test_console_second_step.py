"""The console's second step, without JavaScript: the sign-in form leads to it, a code completes it, a setup the
policy requires cannot be skipped, and new recovery codes are shown exactly once."""

from __future__ import annotations

import re

import pyotp
import pytest
from starlette.testclient import TestClient

from homeport.services import Services
from tests.support.api import ADMIN, ADMIN_PASSWORD, setup_device, sign_in
from tests.support.clock import FakeClock
from tests.support.console import form_token, shown


@pytest.fixture
def owner(client: TestClient) -> TestClient:
    setup_device(client)
    sign_in(client)
    client.follow_redirects = False
    return client


def set_up_app(owner: TestClient, clock: FakeClock) -> tuple[pyotp.TOTP, list[str]]:
    """Through the console's own forms, as a browser without JavaScript."""
    page = owner.get("/account/sign-in-methods")
    assert page.status_code == 200 and "Set up an app" in page.text
    token = form_token(page.text)
    started = owner.post("/account/totp", data={"csrf_token": token, "current_password": ADMIN_PASSWORD})
    setup = shown(owner, started)
    assert setup.status_code == 200 and "<svg" in setup.text and setup.headers["cache-control"] == "no-store"
    secret = re.search(r'data-testid="totp-secret">([A-Z2-7]+)<', setup.text)
    assert secret, setup.text
    app = pyotp.TOTP(secret.group(1))
    wrong = shown(owner, owner.post("/account/totp/confirm", data={"csrf_token": token, "code": "12"}))
    assert "field-error" in wrong.text and secret.group(1) in wrong.text  # the same secret, shown again
    codes_page = shown(owner, owner.post("/account/totp/confirm", data={"csrf_token": token,
                                                                      "code": app.at(clock.now())}))  # fmt: skip
    codes = re.findall(r"<li><code>([A-Z0-9-]+)</code></li>", codes_page.text)
    assert len(codes) == 10
    assert owner.get("/account/recovery-codes").status_code == 303  # shown once: a reload finds them gone
    clock.advance(90)
    return app, codes


def test_sign_in_with_a_code_through_the_forms(owner: TestClient, services: Services, clock: FakeClock) -> None:
    app, _ = set_up_app(owner, clock)
    with TestClient(owner.app, base_url="https://testserver", follow_redirects=False) as other:
        login = other.post("/login", data={"username": ADMIN, "password": ADMIN_PASSWORD, "next": "/users"})
        assert login.status_code == 303 and login.headers["location"] == "/login/second-step"
        step = other.get("/login/second-step")
        assert step.status_code == 200 and 'autocomplete="one-time-code"' in step.text
        assert "Recovery code" in step.text  # one click to the other method
        wrong = shown(other, other.post("/login/second-step", data={"method": "totp", "code": "000000"}))
        assert wrong.status_code == 401 and "clock reads" in wrong.text
        done = other.post("/login/second-step", data={"method": "totp", "code": app.at(clock.now())})
        assert done.status_code == 303 and done.headers["location"] == "/users"
        assert other.get("/users").status_code == 200


def test_a_recovery_code_through_the_forms_says_what_is_left(
    owner: TestClient, services: Services, clock: FakeClock
) -> None:
    _, codes = set_up_app(owner, clock)
    with TestClient(owner.app, base_url="https://testserver", follow_redirects=False) as other:
        other.post("/login", data={"username": ADMIN, "password": ADMIN_PASSWORD})
        assert "recovery-code-form" in other.get("/login/second-step?method=recovery_code").text
        done = other.post("/login/second-step", data={"method": "recovery_code", "code": codes[4]})
        assert done.headers["location"] == "/account/sign-in-methods?done=recovery-code-used"
        assert "<strong>9</strong> of 10 left" in other.get(done.headers["location"]).text


def test_the_second_step_page_without_a_waiting_sign_in_goes_back_to_sign_in(owner: TestClient) -> None:
    with TestClient(owner.app, base_url="https://testserver", follow_redirects=False) as other:
        for path in ("/login/second-step", "/login/enrol"):
            answer = other.get(path)
            assert answer.status_code == 303 and answer.headers["location"] == "/login?done=second-step-expired"


def test_a_required_setup_cannot_be_skipped(owner: TestClient, services: Services, clock: FakeClock) -> None:
    set_up_app(owner, clock)
    policy = {"second_factor_required": "everyone", "current_password": ADMIN_PASSWORD}
    assert owner.patch("/api/v1/settings/security", json=policy,
                       headers={"X-CSRF-Token": owner.headers["X-CSRF-Token"]}).status_code == 200  # fmt: skip
    owner.post("/api/v1/users", json={"name": "bob", "password": "a long one for b", "must_change_password": False})
    with TestClient(owner.app, base_url="https://testserver", follow_redirects=False) as bob:
        login = bob.post("/login", data={"username": "bob", "password": "a long one for b"})
        assert login.headers["location"] == "/login/enrol"
        for page in ("/", "/account", "/account/sign-in-methods", "/users"):
            assert bob.get(page).headers["location"].startswith("/login")  # no session: every page says sign in
        assert bob.get("/login/second-step").headers["location"] == "/login/enrol"
        enrol = bob.get("/login/enrol")
        secret = re.search(r'data-testid="totp-secret">([A-Z2-7]+)<', enrol.text)
        assert secret and "<svg" in enrol.text
        wrong = shown(bob, bob.post("/login/enrol", data={"code": "000000"}))
        assert secret.group(1) in wrong.text  # the app keeps working: the same secret after a wrong code
        done = bob.post("/login/enrol", data={"code": pyotp.TOTP(secret.group(1)).at(clock.now())})
        assert done.headers["location"] == "/account/recovery-codes"
        assert len(re.findall(r"<li><code>", bob.get("/account/recovery-codes").text)) == 10


def test_a_malformed_console_address_is_an_error_page_not_json(owner: TestClient) -> None:
    token = form_token(owner.get("/account/sign-in-methods").text)
    for path in ("/account/remembered/abc/forget", "/approve/" + "x" * 200):
        answer = owner.post(path, data={"csrf_token": token})
        assert answer.status_code == 404 and answer.headers["content-type"].startswith("text/html"), path
        assert "There is no such page." in answer.text
    assert owner.get("/api/v1/users", params={"limit": "abc"}).status_code == 422  # the API still answers JSON


def test_every_page_warns_when_two_recovery_codes_or_fewer_are_left(
    owner: TestClient, services: Services, clock: FakeClock
) -> None:
    set_up_app(owner, clock)
    assert 'data-testid="codes-low-banner"' not in owner.get("/").text
    with services.db.write() as conn:
        conn.execute("UPDATE recovery_codes SET used_at = 1 WHERE id IN (SELECT id FROM recovery_codes LIMIT 8)")
    page = owner.get("/users").text
    assert 'data-testid="codes-low-banner"' in page and "Only 2 recovery codes left" in page


@pytest.mark.parametrize(
    ("asked", "kept"),
    [("/users?q=bob", "/users?q=bob"), ("/", "/"), ("//evil.example/", "/"), ("/\t/evil.example/", "/"),
     ("/\n/evil.example", "/"), ("/\\evil.example", "/"), ("https://evil.example/", "/"), ("/ok\x7f", "/"),
     ("/" + "a" * 3000, "/"), ("evil", "/")],
)  # fmt: skip
def test_where_to_go_after_sign_in_is_only_a_path_here(asked: str, kept: str) -> None:
    from homeport.web.pages import safe_next

    assert safe_next(asked) == kept
