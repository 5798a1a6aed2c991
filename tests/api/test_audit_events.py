"""The audit log says what happened, no more: the one setting changed, a re-typed password as what it is, the
name an unknown sign-in tried (never a password typed into the name field)."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from homeport.services import Services
from tests.support.api import ADMIN, ADMIN_PASSWORD, setup_device, sign_in
from tests.support.console import form_token, security_form


@pytest.fixture
def owner(client: TestClient) -> TestClient:
    setup_device(client)
    sign_in(client)
    client.follow_redirects = False
    return client


def test_saving_the_whole_security_form_logs_only_what_changed(owner: TestClient, services: Services) -> None:
    form = {**security_form(services), "csrf_token": form_token(owner.get("/security").text)}
    assert owner.post("/security", data={**form, "session_idle_minutes": "20"}).status_code == 303
    [record] = services.audit.query(action="settings.security_changed")
    assert record.detail["fields"] == ["session_idle_minutes"]
    assert owner.post("/security", data={**form, "session_idle_minutes": "20"}).status_code == 303
    assert len(services.audit.query(action="settings.security_changed")) == 1  # nothing changed: nothing logged


def test_a_wrong_current_password_is_not_a_failed_sign_in(owner: TestClient, services: Services) -> None:
    form = {
        "csrf_token": form_token(owner.get("/password").text),
        "current_password": "not my password at all",
        "new_password": "a brand new passphrase",
        "new_password_again": "a brand new passphrase",
    }
    assert owner.post("/password", data=form).status_code == 303
    assert not [r for r in services.audit.query(action="auth.sign_in") if r.outcome == "failure"]
    [confirm] = services.audit.query(action="auth.password_confirm")
    assert confirm.outcome == "failure" and confirm.target == ADMIN


@pytest.mark.parametrize(
    ("typed", "logged"),
    [("mallory", "mallory"), ("Tr0ub4dor&3 horse", "(not a valid user name)"), ("", "(not a valid user name)")],
)
def test_an_unknown_name_is_logged_only_when_it_could_be_a_name(
    owner: TestClient, services: Services, typed: str, logged: str
) -> None:
    owner.post("/api/v1/auth/login", json={"username": typed, "password": ADMIN_PASSWORD})
    [failed] = [r for r in services.audit.query(action="auth.sign_in") if r.outcome == "failure"]
    assert failed.detail["tried"] == logged
    if typed and typed != logged:
        assert typed not in repr(failed)


def test_the_log_reads_as_sentences_and_filters(owner: TestClient, services: Services) -> None:
    owner.post("/api/v1/users", json={"name": "bob", "password": "a long enough password"})
    owner.post("/api/v1/auth/login", json={"username": "mallory", "password": "guess guess guess"})
    entries = owner.get("/api/v1/log").json()
    sentences = [e["sentence"] for e in entries]
    assert f"{ADMIN} created the account bob from testclient" in sentences
    assert "A sign-in as mallory failed from testclient" in sentences
    only_auth = owner.get("/api/v1/log", params={"kind": "auth"}).json()
    assert only_auth and all(e["action"].startswith("auth.") for e in only_auth)
    failed = owner.get("/api/v1/log", params={"outcome": "failure"}).json()
    assert [e["detail"].get("tried") for e in failed] == ["mallory"]
    assert [e["target"] for e in owner.get("/api/v1/log", params={"q": "bob"}).json()] == ["bob"]
    assert owner.get("/api/v1/log", params={"q": "100%_"}).json() == []  # wildcards are literal
    assert owner.get("/api/v1/log", params={"kind": "nonsense"}).status_code == 422
    about_bob = owner.get("/api/v1/log", params={"user": "BOB"}).json()  # what bob did, and what was done to him
    assert [e["action"] for e in about_bob] == ["user.created"]
    page = owner.get("/log", params={"kind": "user"}).text
    assert "created the account bob" in page and "<code>auth.sign_in</code>" not in page
