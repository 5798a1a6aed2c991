"""Lists that grow come a page at a time, sorted and searched, in the API and the console."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from homeport.accounts.credentials import NewPassword
from homeport.accounts.service import NewUser
from homeport.audit.log import Actor
from homeport.services import Services
from tests.support.api import ADMIN, setup_device, sign_in

UNUSABLE = NewPassword("x", None)


def add_users(services: Services, count: int) -> None:
    """Many accounts at once, straight into the store (hashing each password would take minutes)."""
    with services.db.write() as conn:
        for n in range(count):
            new = NewUser(f"user{n:04d}", f"Person {count - n:04d}", f"u{n}@example.org", ("users",), UNUSABLE, False)
            services.accounts.insert_user(conn, new, Actor("root@local"))


@pytest.fixture
def owner(client: TestClient, services: Services) -> TestClient:
    setup_device(client)
    sign_in(client)
    add_users(services, 120)
    return client


def test_users_come_a_page_at_a_time(owner: TestClient) -> None:
    first = owner.get("/api/v1/users", params={"limit": 50})
    assert first.status_code == 200 and len(first.json()) == 50 and first.headers["X-Total-Count"] == "122"
    names = [u["name"] for u in first.json()]
    assert names == sorted(names)
    last = owner.get("/api/v1/users", params={"limit": 50, "offset": 100}).json()
    assert len(last) == 22
    by_full_name = owner.get("/api/v1/users", params={"sort": "-full_name", "limit": 3}).json()
    assert [u["full_name"] for u in by_full_name] == ["Person 0120", "Person 0119", "Person 0118"]
    found = owner.get("/api/v1/users", params={"q": "u7@example"})
    assert [u["name"] for u in found.json()] == ["user0007"] and found.headers["X-Total-Count"] == "1"
    assert owner.get("/api/v1/users", params={"q": "%"}).json() == []  # a wildcard is just a character
    assert owner.get("/api/v1/users", params={"limit": 0}).status_code == 422
    assert owner.get("/api/v1/users", params={"sort": "password_hash"}).status_code == 200  # unknown: by name


def test_the_users_page_pages_sorts_and_searches(owner: TestClient) -> None:
    page = owner.get("/users").text
    # admin and alice sort first ('a' < 'u'): the first page ends with user0047.
    assert "1–50 of 122 accounts" in page and 'rel="next"' in page and "user0047" in page and "user0048" not in page
    second = owner.get("/users", params={"offset": 50}).text
    assert "51–100 of 122 accounts" in second and "user0048" in second and 'rel="prev"' in second
    searched = owner.get("/users", params={"q": "Person 0001"}).text
    assert "user0119" in searched and "1–1 of 1 accounts" in searched
    assert owner.get("/users", params={"offset": "junk", "sort": "'; DROP"}).status_code == 200


def test_groups_and_sessions_page_too(owner: TestClient) -> None:
    groups = owner.get("/api/v1/groups", params={"limit": 1})
    assert len(groups.json()) == 1 and groups.headers["X-Total-Count"] == "2"
    sessions = owner.get("/api/v1/sessions", params={"q": ADMIN})
    assert sessions.headers["X-Total-Count"] == "1" and sessions.json()[0]["browser"]
    page = owner.get("/sessions").text
    assert "1–1 of 1 sessions" in page and "data-confirm=" in page  # ending a session asks first
