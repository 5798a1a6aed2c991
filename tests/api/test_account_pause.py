"""Account pause must not be a denial of service: a browser that signed in before carries a device token and
is exempt; administrators see and lift pauses; escalation counts blocks; busy answers count."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from homeport.application import create_app
from homeport.auth.devices import DEVICE_COOKIE
from homeport.core.ids import token_digest
from homeport.services import Services
from tests.support.api import ADMIN, ADMIN_PASSWORD, error_code, setup_device, sign_in
from tests.support.clock import FakeClock

OWNER = ("192.168.1.10", 40000)
WRONG = "a wrong password guess"


def client_at(services: Services, address: str) -> TestClient:
    return TestClient(create_app(services, tarpit_seconds=0), base_url="https://testserver", client=(address, 40000))


@pytest.fixture
def owner(services: Services) -> Iterator[TestClient]:
    """The owner's browser: it has signed in to the administrator account before."""
    with client_at(services, OWNER[0]) as browser:
        setup_device(browser)
        sign_in(browser)
        yield browser


def pause_by_strangers(services: Services, account: str = ADMIN) -> None:
    """100 wrong passwords from 25 addresses: no address is blocked, no pair delayed, the account paused."""
    for n in range(25):
        with client_at(services, f"198.51.100.{n + 1}") as stranger:
            for _ in range(4):
                answer = stranger.post("/api/v1/auth/login", json={"username": account, "password": WRONG})
                assert answer.status_code in (401, 429), answer.text
    with client_at(services, "198.51.100.200") as fresh:
        answer = fresh.post("/api/v1/auth/login", json={"username": account, "password": ADMIN_PASSWORD})
        assert answer.status_code == 429 and error_code(answer) == "account_paused"


def test_the_owners_browser_signs_in_while_strangers_pause_the_account(owner: TestClient, services: Services) -> None:
    assert owner.cookies.get(DEVICE_COOKIE)
    pause_by_strangers(services)
    # Mistyped once, then right: the owner's browser is never told to wait for the account-wide pause.
    mistyped = owner.post("/api/v1/auth/login", json={"username": ADMIN, "password": WRONG})
    assert mistyped.status_code == 401
    assert owner.post("/api/v1/auth/login", json={"username": ADMIN, "password": ADMIN_PASSWORD}).status_code == 200
    # The pause goes on for everyone else.
    with client_at(services, "198.51.100.201") as other:
        answer = other.post("/api/v1/auth/login", json={"username": ADMIN, "password": ADMIN_PASSWORD})
        assert answer.status_code == 429 and error_code(answer) == "account_paused"
    assert services.throttle.blocklist.active() == []  # nobody was auto-blocked, the owner least of all


def test_a_device_token_works_only_for_its_own_account(owner: TestClient, services: Services) -> None:
    owner.post(
        "/api/v1/users", json={"name": "bob", "password": "a long enough password", "must_change_password": False}
    )
    pause_by_strangers(services, "bob")
    answer = owner.post("/api/v1/auth/login", json={"username": "bob", "password": "a long enough password"})
    assert answer.status_code == 429 and error_code(answer) == "account_paused"


def test_device_tokens_are_kept_only_as_digests(owner: TestClient, services: Services) -> None:
    cookie = owner.cookies[DEVICE_COOKIE]
    with services.db.read() as conn:
        stored = [str(r[0]) for r in conn.execute("SELECT token_hash FROM device_tokens")]
    assert stored == [token_digest(cookie)] and cookie not in stored
    # Signing in again from the same browser keeps its token rather than piling up new ones.
    sign_in(owner)
    assert owner.cookies[DEVICE_COOKIE] == cookie
    assert services.login.devices.count(services.accounts.get_user(ADMIN).id) == 1


def test_a_password_change_forgets_the_device_tokens_but_renews_the_changing_browser(
    owner: TestClient, services: Services
) -> None:
    old = owner.cookies[DEVICE_COOKIE]
    changed = owner.put(
        "/api/v1/me/password", json={"current_password": ADMIN_PASSWORD, "new_password": "an entirely new passphrase"}
    )
    assert changed.status_code == 204
    new = owner.cookies[DEVICE_COOKIE]
    assert new != old
    assert services.login.devices.recognises(ADMIN, new) and not services.login.devices.recognises(ADMIN, old)


def test_administrators_see_and_lift_pauses(owner: TestClient, services: Services, clock: FakeClock) -> None:
    pause_by_strangers(services)
    paused = [r for r in services.audit.query(limit=300) if r.action == "auth.account_paused"]
    assert [r.target for r in paused] == [ADMIN]
    listed = owner.get("/api/v1/account-pauses").json()
    assert [(p["account"], p["address"]) for p in listed] == [(ADMIN, "")]
    assert listed[0]["until"] == pytest.approx(clock.now() + 15 * 60, abs=2)
    assert "100 failed sign-ins" in listed[0]["reason"]
    page = owner.get("/security").text
    assert 'data-testid="pauses"' in page and "every address" in page
    lifted = owner.post(
        "/security/unpause",
        data={"csrf_token": owner.headers["X-CSRF-Token"], "account": ADMIN},
        follow_redirects=False,
    )
    assert lifted.status_code == 303
    assert owner.get("/api/v1/account-pauses").json() == []
    with client_at(services, "198.51.100.202") as other:
        sign_in(other)
    assert any(r.action == "auth.account_unpaused" for r in services.audit.query(limit=10))
    missing = owner.delete(f"/api/v1/account-pauses/{ADMIN}")
    assert missing.status_code == 404 and error_code(missing) == "not_paused"


def test_root_lifts_a_pause_through_the_local_socket(
    owner: TestClient, local_client: TestClient, services: Services
) -> None:
    pause_by_strangers(services)
    assert local_client.delete(f"/api/v1/account-pauses/{ADMIN}").status_code == 204
    assert services.throttle.pauses() == []


def test_a_burst_in_flight_starts_one_block_of_the_base_length(services: Services, clock: FakeClock) -> None:
    """Escalation counts blocks, not the attempts that were in flight when the first block began."""
    settings = services.settings.security()
    address = "203.0.113.5"
    for n in range(64):  # 64 parallel guesses, all admitted before any of them fails
        services.throttle.admit(f"user{n}", address, settings)
    for n in range(64):
        services.throttle.failed(f"user{n}", address, settings)
    blocks = services.throttle.blocklist.active()
    assert len(blocks) == 1 and blocks[0].until - blocks[0].blocked_at == 30 * 60
    clock.advance(30 * 60 + 1)
    for n in range(10):  # the next block, after this one ends, is the first to double
        services.throttle.failed(f"again{n}", address, settings)
    blocks = services.throttle.blocklist.active()
    assert len(blocks) == 1 and blocks[0].until - blocks[0].blocked_at == 60 * 60


def test_a_lifted_block_can_start_again(owner: TestClient, services: Services) -> None:
    settings = services.settings.security()
    for n in range(10):
        services.throttle.failed(f"user{n}", "203.0.113.6", settings)
    assert owner.delete("/api/v1/auto-block/203.0.113.6").status_code == 204
    for n in range(10):
        services.throttle.failed(f"user{n}", "203.0.113.6", settings)
    assert [b.address for b in services.throttle.blocklist.active()] == ["203.0.113.6"]


def test_busy_answers_count_against_the_address(owner: TestClient, services: Services) -> None:
    """A full hashing queue answers 503; each such answer counts toward the address's auto block."""
    release = threading.Event()
    started = threading.Event()

    def hold() -> None:
        started.set()
        release.wait(10)

    # Both workers hashing first (a worker is kept for known devices only once strangers queue), then 16 wait.
    holders = [threading.Thread(target=services.hasher._pool.run, args=(hold,)) for _ in range(2 + 16)]
    for thread in holders[:2]:
        thread.start()
    for _ in range(1000):  # until both run (bounded)
        if services.hasher._pool._ordinary_running == 2:
            break
        threading.Event().wait(0.01)
    for thread in holders[2:]:
        thread.start()
    try:
        assert started.wait(10)
        for _ in range(1000):  # until the queue is full (bounded)
            if len(services.hasher._pool._waiting) == 16:
                break
            threading.Event().wait(0.01)
        statuses = []
        with client_at(services, "203.0.113.7") as flooder:
            for n in range(11):
                statuses.append(
                    flooder.post("/api/v1/auth/login", json={"username": f"u{n}", "password": WRONG}).status_code
                )
    finally:
        release.set()
        for thread in holders:
            thread.join(10)
    assert statuses[:10] == [503] * 10 and statuses[10] == 429
    assert [b.address for b in services.throttle.blocklist.active()] == ["203.0.113.7"]
    # A block caused by refusals is in the log like any other.
    blocked = [r for r in services.audit.query(limit=50) if r.action == "auth.address_blocked"]
    assert [r.target for r in blocked] == ["203.0.113.7"]
