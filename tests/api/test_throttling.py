"""Brute-force protection over the API: auto block per address, account protection per account+address."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from homeport.application import create_app
from homeport.services import Services
from tests.support.api import ADMIN, ADMIN_PASSWORD, create_user, error_code, setup_device, sign_in
from tests.support.clock import FakeClock

ATTACKER = ("198.51.100.7", 40000)
OWNER = ("192.168.1.10", 40000)


@pytest.fixture
def clients(services: Services) -> Iterator[tuple[TestClient, TestClient]]:
    app = create_app(services, tarpit_seconds=0)  # the pause itself is tested on its own below
    with (
        TestClient(app, base_url="https://testserver", client=ATTACKER) as attacker,
        TestClient(app, base_url="https://testserver", client=OWNER) as owner,
    ):
        setup_device(owner)
        sign_in(owner)
        create_user(owner, "bob")
        yield attacker, owner


def guess(client: TestClient, user: str, password: str = "a wrong password guess") -> int:
    return client.post("/api/v1/auth/login", json={"username": user, "password": password}).status_code


def test_ten_failures_in_five_minutes_block_the_address(
    clients: tuple[TestClient, TestClient], services: Services
) -> None:
    attacker, owner = clients
    # Spread over accounts so that account protection (5 per pair) does not trigger first.
    statuses = [guess(attacker, f"user{i}") for i in range(10)]
    assert statuses == [401] * 10
    blocked = attacker.post("/api/v1/auth/login", json={"username": ADMIN, "password": ADMIN_PASSWORD})
    assert blocked.status_code == 429
    assert error_code(blocked) == "address_blocked"
    assert 1790 <= int(blocked.headers["Retry-After"]) <= 1801
    # The owner's address is not affected, and the block is listed for administrators.
    assert guess(owner, ADMIN, ADMIN_PASSWORD) == 200
    owner.headers["X-CSRF-Token"] = owner.post(
        "/api/v1/auth/login", json={"username": ADMIN, "password": ADMIN_PASSWORD}
    ).json()["csrf_token"]
    listed = owner.get("/api/v1/auto-block").json()
    assert [b["address"] for b in listed] == [ATTACKER[0]]


def test_the_block_is_decided_before_any_hashing(
    clients: tuple[TestClient, TestClient], services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    attacker, _ = clients
    for i in range(10):
        guess(attacker, f"user{i}")
    calls: list[str] = []
    monkeypatch.setattr(services.hasher, "verify", lambda h, p: calls.append("verify") or False)
    for _ in range(50):
        assert guess(attacker, ADMIN) == 429
    assert calls == []


def test_failures_older_than_the_window_do_not_count(clients: tuple[TestClient, TestClient], clock: FakeClock) -> None:
    attacker, _ = clients
    for i in range(9):
        assert guess(attacker, f"user{i}") == 401
    clock.advance(5 * 60 + 1)
    for i in range(9):
        assert guess(attacker, f"other{i}") == 401
    assert guess(attacker, "last") == 401
    assert guess(attacker, "after") == 429


def test_the_block_expires_after_30_minutes(clients: tuple[TestClient, TestClient], clock: FakeClock) -> None:
    attacker, _ = clients
    for i in range(10):
        guess(attacker, f"user{i}")
    clock.advance(30 * 60 - 5)
    assert guess(attacker, ADMIN, ADMIN_PASSWORD) == 429
    clock.advance(10)
    assert guess(attacker, ADMIN, ADMIN_PASSWORD) == 200


def test_a_repeated_block_lasts_twice_as_long(clients: tuple[TestClient, TestClient], clock: FakeClock) -> None:
    attacker, _ = clients
    for i in range(10):
        guess(attacker, f"user{i}")
    clock.advance(30 * 60 + 1)
    for i in range(10):
        guess(attacker, f"again{i}")
    answer = attacker.post("/api/v1/auth/login", json={"username": ADMIN, "password": ADMIN_PASSWORD})
    assert answer.status_code == 429
    assert 3590 <= int(answer.headers["Retry-After"]) <= 3601


def test_five_failures_for_one_account_delay_only_that_account_from_that_address(
    clients: tuple[TestClient, TestClient],
) -> None:
    attacker, owner = clients
    assert [guess(attacker, "bob") for _ in range(5)] == [401] * 5
    delayed = attacker.post("/api/v1/auth/login", json={"username": "bob", "password": "a long enough password"})
    assert delayed.status_code == 429
    assert error_code(delayed) == "account_protection"
    assert 1790 <= int(delayed.headers["Retry-After"]) <= 1801
    assert guess(attacker, ADMIN, ADMIN_PASSWORD) == 200  # another account from the same address
    assert guess(owner, "bob", "a long enough password") == 200  # the same account from its owner's address


def test_account_protection_is_case_insensitive(clients: tuple[TestClient, TestClient]) -> None:
    attacker, _ = clients
    for name in ("bob", "BOB", "Bob", "bOb", "boB"):
        guess(attacker, name)
    assert guess(attacker, "bob", "a long enough password") == 429


def test_allow_listed_addresses_are_never_auto_blocked(clients: tuple[TestClient, TestClient]) -> None:
    attacker, owner = clients
    answer = owner.patch("/api/v1/settings/security", json={"allow_list": ["198.51.100.0/24"]})
    assert answer.status_code == 200
    for i in range(20):
        assert guess(attacker, f"user{i}") == 401
    assert guess(attacker, ADMIN, ADMIN_PASSWORD) == 200


def test_auto_block_can_be_turned_off_with_the_list_kept(
    clients: tuple[TestClient, TestClient], services: Services
) -> None:
    attacker, owner = clients
    for i in range(10):
        guess(attacker, f"user{i}")
    assert owner.patch("/api/v1/settings/security", json={"auto_block_enabled": False}).status_code == 200
    assert guess(attacker, ADMIN, ADMIN_PASSWORD) == 200
    assert [b.address for b in services.throttle.blocklist.active()] == [ATTACKER[0]]


def test_an_administrator_can_lift_a_block(clients: tuple[TestClient, TestClient]) -> None:
    attacker, owner = clients
    for i in range(10):
        guess(attacker, f"user{i}")
    assert owner.delete(f"/api/v1/auto-block/{ATTACKER[0]}").status_code == 204
    assert guess(attacker, ADMIN, ADMIN_PASSWORD) == 200
    assert owner.delete(f"/api/v1/auto-block/{ATTACKER[0]}").status_code == 404
    assert owner.delete("/api/v1/auto-block/not-an-address").status_code == 422


def test_blocks_survive_a_restart(clients: tuple[TestClient, TestClient], services: Services) -> None:
    attacker, _ = clients
    for i in range(10):
        guess(attacker, f"user{i}")
    from homeport.auth.blocklist import BlockList

    reloaded = BlockList(services.db, services.clock)
    assert reloaded.blocked_until(ATTACKER[0]) is not None


def test_sign_ins_failures_and_blocks_are_in_the_log(clients: tuple[TestClient, TestClient]) -> None:
    attacker, owner = clients
    for i in range(10):
        guess(attacker, f"user{i}")
    for _ in range(5):
        guess(attacker, ADMIN)
    log = owner.get("/api/v1/log", params={"limit": 100}).json()
    outcomes = [(r["action"], r["outcome"], r["client"]) for r in log if r["client"] == ATTACKER[0]]
    assert outcomes.count(("auth.sign_in", "failure", ATTACKER[0])) == 10
    assert ("auth.address_blocked", "success", ATTACKER[0]) in outcomes
    # Blocked attempts are logged, but at most once a minute per address: a flood does not flood the log.
    assert outcomes.count(("auth.sign_in", "blocked", ATTACKER[0])) == 1
    # Unknown names typed into the form are not logged (they may be passwords typed in the wrong field).
    attacker_records = [r for r in log if r["client"] == ATTACKER[0]]
    assert not any(r["actor"].startswith("user") or r["target"].startswith("user") for r in attacker_records)
    assert {r["actor"] for r in attacker_records} == {"", "system"}  # refused before the body is read


def test_a_blocked_address_is_refused_on_the_sign_in_page_too(clients: tuple[TestClient, TestClient]) -> None:
    attacker, owner = clients
    for i in range(10):
        guess(attacker, f"user{i}")
    page = attacker.post("/login", data={"username": ADMIN, "password": ADMIN_PASSWORD}, follow_redirects=False)
    assert page.status_code == 429
    assert page.headers["content-type"].startswith("text/html")
    assert "blocked for now" in page.text
    assert int(page.headers["retry-after"]) > 1700
    assert "content-security-policy" in page.headers
    # Other addresses sign in through the same page.
    assert (
        owner.post("/login", data={"username": ADMIN, "password": ADMIN_PASSWORD}, follow_redirects=False).status_code
        == 303
    )


def test_answers_to_a_blocked_address_come_after_a_pause(services: Services) -> None:
    app = create_app(services, tarpit_seconds=0.3)
    with TestClient(app, base_url="https://testserver", client=ATTACKER) as attacker:
        setup_device(attacker)
        for i in range(10):
            guess(attacker, f"user{i}")
        started = time.monotonic()
        assert guess(attacker, ADMIN) == 429
        assert time.monotonic() - started >= 0.3


def test_a_delayed_account_is_answered_after_a_pause_too(services: Services) -> None:
    app = create_app(services, tarpit_seconds=0.3)
    with TestClient(app, base_url="https://testserver", client=ATTACKER) as attacker:
        setup_device(attacker)
        for _ in range(5):
            guess(attacker, ADMIN)
        started = time.monotonic()
        answer = attacker.post("/api/v1/auth/login", json={"username": ADMIN, "password": "another guess here"})
        assert answer.status_code == 429 and error_code(answer) == "account_protection"
        assert time.monotonic() - started >= 0.3
        started = time.monotonic()
        assert guess(attacker, "bob") == 401  # a plain failure is not delayed
        assert time.monotonic() - started < 0.3


def test_trying_again_while_told_to_wait_ends_in_an_address_block(clients: tuple[TestClient, TestClient]) -> None:
    attacker, _ = clients
    assert [guess(attacker, "bob") for _ in range(5)] == [401] * 5
    refused = [guess(attacker, "bob") for _ in range(5)]
    assert refused == [429] * 5  # the pair's delay; each refusal also counts against the address
    blocked = attacker.post("/api/v1/auth/login", json={"username": ADMIN, "password": ADMIN_PASSWORD})
    assert blocked.status_code == 429 and error_code(blocked) == "address_blocked"


def test_a_lone_surrogate_in_a_setting_is_refused_with_422(clients: tuple[TestClient, TestClient]) -> None:
    _, owner = clients
    for field in ("allow_list", "trusted_proxies"):
        raw = f'{{"{field}": ["\\ud800"]}}'.encode()
        answer = owner.patch("/api/v1/settings/security", content=raw, headers={"content-type": "application/json"})
        assert answer.status_code == 422 and field in answer.json()["error"]["fields"]
