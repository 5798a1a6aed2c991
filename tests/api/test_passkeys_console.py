"""Passkeys in the console (its JSON steps for passkeys.js, its forms and pages) and a rename's warning."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from homeport.services import Services
from tests.api.test_passkeys import HOST, ORIGIN, OTHER_CLIENT, begin_passwordless, named, register
from tests.support.api import ADMIN_PASSWORD, setup_device, sign_in
from tests.support.authenticator import SoftPasskey
from tests.support.recovery import browser


@pytest.fixture
def page_owner(services: Services) -> Iterator[TestClient]:
    """alice signed in through the console at https://nas.local/, with the form token of her pages."""
    with named(services) as client:
        setup_device(client)
        answer = client.post("/login", data={"username": "alice", "password": ADMIN_PASSWORD}, follow_redirects=False)
        assert answer.status_code == 303
        yield client


def alice_id(services: Services) -> int:
    with services.db.read() as conn:
        return int(conn.execute("SELECT id FROM users WHERE name = 'alice'").fetchone()[0])


def csrf_of(client: TestClient, path: str = "/account/sign-in-methods") -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text)
    assert found, "no form token on the page"
    return found.group(1)


def add_in_console(client: TestClient, key: SoftPasskey, name: str = "Laptop") -> str:
    token = csrf_of(client)
    headers = {"X-CSRF-Token": token}
    begun = client.post("/account/passkeys/begin", json={"current_password": ADMIN_PASSWORD}, headers=headers)
    assert begun.status_code == 200, begun.text
    done = client.post(
        "/account/passkeys/finish", json={"name": name, "credential": key.create(begun.json()["options"], ORIGIN)},
        headers=headers,
    )  # fmt: skip
    assert done.status_code == 200, done.text
    next_page: str = done.json()["next"]
    return next_page


def test_the_sign_in_page_offers_a_passkey_only_at_the_devices_name(services: Services, page_owner: TestClient) -> None:
    with named(services, OTHER_CLIENT) as at_name:
        assert "Sign in with a passkey" in at_name.get("/login").text
    with browser(services, OTHER_CLIENT) as at_address:  # https://192.168.1.20/login
        page = at_address.get("/login").text
        assert "Sign in with a passkey" not in page
        assert "open https://nas.local/ to use passkeys" in page


def test_adding_in_the_console_shows_the_new_recovery_codes_once(page_owner: TestClient) -> None:
    assert add_in_console(page_owner, SoftPasskey()) == "/account/recovery-codes"
    codes_page = page_owner.get("/account/recovery-codes")
    assert codes_page.status_code == 200 and len(re.findall(r"[A-Z0-9]{4}-[A-Z0-9]{4}", codes_page.text)) >= 10
    assert add_in_console(page_owner, SoftPasskey(), "Phone") == "/account/sign-in-methods?done=passkey-added"
    listed = page_owner.get("/account/sign-in-methods").text
    assert "Laptop" in listed and "Phone" in listed


def test_the_consoles_passkey_steps_need_the_page_token(page_owner: TestClient) -> None:
    answer = page_owner.post("/account/passkeys/begin", json={"current_password": ADMIN_PASSWORD})
    assert answer.status_code == 403 and answer.json()["error"]["code"] == "csrf_token_missing"
    wrong = page_owner.post(
        "/account/passkeys/begin",
        json={"current_password": "not it at all"},
        headers={"X-CSRF-Token": csrf_of(page_owner)},
    )
    assert wrong.status_code == 422 and "current_password" in wrong.json()["error"]["fields"]


def test_a_console_sign_in_with_a_passkey_goes_where_it_was_going(services: Services, page_owner: TestClient) -> None:
    key = SoftPasskey()
    add_in_console(page_owner, key)
    with named(services, OTHER_CLIENT) as laptop:
        options = laptop.post("/login/passkey/begin").json()["options"]
        done = laptop.post("/login/passkey/finish", json={"credential": key.get(options, ORIGIN), "next": "/users"})
        assert done.status_code == 200 and done.json() == {"next": "/users"}
        assert laptop.get("/account/sign-in-methods", follow_redirects=False).status_code == 200
        evil = laptop.post("/login/passkey/begin").json()["options"]
        away = laptop.post(
            "/login/passkey/finish", json={"credential": key.get(evil, ORIGIN), "next": "//evil.example"}
        )
        assert away.json() == {"next": "/"}  # never an open redirect


def test_a_console_second_step_with_a_passkey(services: Services, page_owner: TestClient) -> None:
    key = SoftPasskey()
    add_in_console(page_owner, key)
    with named(services, OTHER_CLIENT) as laptop:
        sent = laptop.post("/login", data={"username": "alice", "password": ADMIN_PASSWORD, "next": "/log"},
                           follow_redirects=False)  # fmt: skip
        assert sent.headers["location"] == "/login/second-step"
        page = laptop.get("/login/second-step").text
        assert "Use my passkey" in page
        options = laptop.post("/login/second-step/passkey/begin").json()["options"]
        done = laptop.post("/login/second-step/passkey/finish", json={"credential": key.get(options, ORIGIN)})
        assert done.status_code == 200 and done.json() == {"next": "/log"}


def test_rename_and_remove_forms(page_owner: TestClient, services: Services) -> None:
    add_in_console(page_owner, SoftPasskey())
    alice = alice_id(services)
    passkey_id = services.passkeys.list_for(alice)[0].id
    token = csrf_of(page_owner)
    renamed = page_owner.post(f"/account/passkeys/{passkey_id}/rename", data={"csrf_token": token, "name": "Desk"},
                              follow_redirects=False)  # fmt: skip
    assert renamed.headers["location"] == "/account/sign-in-methods?done=passkey-renamed"
    removed = page_owner.post(
        f"/account/passkeys/{passkey_id}/remove", data={"csrf_token": csrf_of(page_owner)}, follow_redirects=False
    )
    assert removed.headers["location"] == "/account/sign-in-methods?done=passkey-removed"  # proven a moment ago
    assert services.passkeys.list_for(alice) == []


def test_a_rename_warns_and_leaves_the_old_names_passkeys_behind(services: Services) -> None:
    with browser(services) as admin, named(services, OTHER_CLIENT) as laptop:
        setup_device(admin)
        sign_in(admin)
        sign_in(laptop)
        key = SoftPasskey()
        register(laptop, key, "Laptop")
        page = admin.get("/network").text
        assert "Renaming the device stops 1 passkey registered on nas.local" in page and "alice's “Laptop”" in page
        body = {"hostname": "vault", "interfaces": [{"name": "eth0", "mode": "static", "address": "192.168.1.20/24"}]}
        applied = admin.put("/api/v1/network", json=body)
        assert applied.status_code == 200, applied.text
        assert applied.json()["passkeys_left_behind"] == [{"account": "alice", "name": "Laptop", "rp_id": HOST}]
        mine = admin.get("/api/v1/me/passkeys").json()
        assert mine[0]["rp_id"] == HOST and not mine[0]["usable_here"]
        assert "old name" in admin.get("/account/sign-in-methods").text
        # nas.local is no name of this device any more: no passkey ceremony there
        assert laptop.post("/api/v1/auth/passkey/begin").status_code == 409
    with named(services, OTHER_CLIENT) as at_old_name:
        at_old_name.base_url = at_old_name.base_url.copy_with(host="vault.local")
        at_old_name.headers["Origin"] = "https://vault.local"
        options = begin_passwordless(at_old_name)
        answer = at_old_name.post(
            "/api/v1/auth/passkey/finish", json={"credential": key.get(options, "https://vault.local", rp_id=HOST)}
        )
        assert answer.status_code == 401 and "registered on nas.local" in answer.json()["error"]["message"]
