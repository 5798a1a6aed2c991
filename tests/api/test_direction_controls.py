"""Unicode direction controls (U+202E and friends) are refused where names are typed and neutralised where
text is shown, so nobody can make a name or a log line read differently from what it is."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from homeport.audit.log import Actor
from homeport.services import Services
from tests.support.api import ADMIN, ADMIN_PASSWORD, create_user, setup_device, sign_in

PROBLEM = "invisible direction-control characters"
RLO = "\u202e"


@pytest.fixture
def admin(client: TestClient) -> TestClient:
    setup_device(client)
    sign_in(client)
    return client


def field_problem(answer: Any, field: str) -> str:
    assert answer.status_code == 422, answer.text
    problem: str = answer.json()["error"]["fields"][field]
    return problem


def test_a_full_name_with_a_direction_control_is_refused(admin: TestClient, services: Services) -> None:
    body = {"name": "bob", "password": "a long enough password", "full_name": f"Bob {RLO}fdp.exe"}
    answer = admin.post("/api/v1/users", json=body)
    assert PROBLEM in field_problem(answer, "full_name")
    assert [u.name for u in services.accounts.list_users()] == ["admin", ADMIN]
    create_user(admin, "bob", full_name="Bob")
    patched = admin.patch("/api/v1/users/bob", json={"full_name": "\u2067Bob\u2069"})
    assert PROBLEM in field_problem(patched, "full_name")
    assert services.accounts.get_user("bob").full_name == "Bob"


def test_a_group_description_with_a_direction_control_is_refused(admin: TestClient) -> None:
    answer = admin.post("/api/v1/groups", json={"name": "family", "description": f"Photos{RLO} and films"})
    assert PROBLEM in field_problem(answer, "description")
    assert "family" not in [g["name"] for g in admin.get("/api/v1/groups").json()]


def test_a_device_name_with_a_direction_control_is_refused(client: TestClient, services: Services) -> None:
    answer = client.post(
        "/api/v1/setup", json={"name": f"nas{RLO}", "admin": {"username": ADMIN, "password": ADMIN_PASSWORD}}
    )
    assert PROBLEM in field_problem(answer, "name")
    assert services.device.state() == "not-installed"


def test_the_log_page_shows_a_replacement_character_instead(client: TestClient, services: Services) -> None:
    setup_device(client)
    client.follow_redirects = False
    services.audit.record_now("test.typed", Actor("system"), target=f"evil{RLO}txt.exe", note=f"x{RLO}y")
    answer = client.post("/login", data={"username": ADMIN, "password": ADMIN_PASSWORD, "next": "/"})
    assert answer.status_code == 303
    for path in ("/log", "/"):
        page = client.get(path)
        assert page.status_code == 200
        assert RLO not in page.text
        assert "evil\ufffdtxt.exe" in page.text


def test_a_stored_full_name_is_shown_neutralised_and_escaped(client: TestClient, services: Services) -> None:
    """Names stored before this rule existed (or restored from an old backup) still display safely."""
    setup_device(client)
    sign_in(client)
    create_user(client, "bob", full_name="Bob")
    with services.db.write() as conn:
        conn.execute("UPDATE users SET full_name = ? WHERE name = 'bob'", (f"<b>Bob</b> {RLO}fdp.exe",))
    page = client.get("/users").text
    assert RLO not in page
    assert "&lt;b&gt;Bob&lt;/b&gt; \ufffdfdp.exe" in page
