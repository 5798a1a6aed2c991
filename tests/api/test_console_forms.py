"""Console forms as a new owner meets them: a failure comes back to its page with what was typed, every POST
ends in a redirect, a form sent twice is done once, and no form lets an owner lock themselves out."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from starlette.routing import Route
from starlette.testclient import TestClient

from homeport.accounts.models import UserChanges
from homeport.audit.log import Actor
from homeport.core.errors import Conflict
from homeport.recovery.button import Decision
from homeport.services import Services
from homeport.web import (
    advisor,
    approvals,
    factors,
    file_services,
    manage,
    network,
    pages,
    recovery,
    security,
    shares,
    signin,
)
from tests.support.api import ADMIN, ADMIN_PASSWORD, create_user, setup_device, sign_in
from tests.support.console import form_token, shown
from tests.support.recovery import browser, mode


@pytest.fixture
def owner(client: TestClient) -> TestClient:
    setup_device(client)
    sign_in(client)
    client.follow_redirects = False
    return client


def form_id_of(page: str) -> str:
    found = re.search(r'name="form_id" value="([^"]+)"', page)
    assert found, "the form has no one-time id"
    return found.group(1)


def test_an_over_long_field_comes_back_next_to_the_field_with_the_rest_kept(owner: TestClient) -> None:
    page = owner.get("/users").text
    assert re.search(r'id="f-name"[^>]*maxlength="32"', page)  # the page knows the limit too
    form = {"csrf_token": form_token(page), "name": "b" * 10_000, "full_name": "Bob Builder", "password": "x" * 20}
    back = shown(owner, owner.post("/users", data=form))
    assert back.status_code == 422 and back.headers["content-type"].startswith("text/html")
    assert re.search(r'id="e-name">Use at most 32 characters\.<', back.text)
    assert 'value="Bob Builder"' in back.text
    assert "x" * 20 not in back.text  # a password is never sent back


def test_every_console_post_answers_with_a_redirect(owner: TestClient, services: Services) -> None:
    """Reloading any page reached by a form never sends the form again."""
    token = form_token(owner.get("/users").text)
    posts = [
        route.path
        for module in (pages, manage, security, network, recovery, signin, factors, shares, file_services)
        for route in module.router.routes
        if isinstance(route, Route) and "POST" in (route.methods or ())
    ]
    assert len(posts) >= 15
    values = {"session_id": "nosuch", "name": "nosuch", "snapshot_id": "1", "reset_id": "1", "item": "network",
              "browser_id": "1"}  # fmt: skip
    for path in posts:
        if path == "/logout":
            continue
        url = re.sub(r"{(\w+)(:\w+)?}", lambda m: values[m.group(1)], path)
        answer = owner.post(url, data={"csrf_token": token, "name": "Not Valid!"})
        assert answer.status_code in (303, 404), f"{url}: {answer.status_code}"  # 404: an error page, no form
    assert owner.get("/").status_code == 200  # still signed in


def test_a_form_sent_twice_is_done_once(owner: TestClient, services: Services) -> None:
    page = owner.get("/users").text
    form = {"csrf_token": form_token(page), "form_id": form_id_of(page), "name": "bob", "password": "a long enough one"}
    first = owner.post("/users", data=form)
    second = owner.post("/users", data=form)  # a double click
    assert first.status_code == second.status_code == 303
    assert second.headers["location"] == first.headers["location"] == "/users?done=user-created"
    assert "already exists" not in owner.get(second.headers["location"]).text
    assert [u.name for u in services.accounts.list_users()].count("bob") == 1
    again = owner.post("/users", data={**form, "form_id": form_id_of(owner.get("/users").text)})
    assert "already exists" in shown(owner, again).text  # a new form is a new request


def test_a_stale_form_keeps_what_was_typed(owner: TestClient, services: Services) -> None:
    form = {"csrf_token": "from-an-old-session", "name": "carol", "full_name": "Carol C", "password": "secret secret"}
    back = shown(owner, owner.post("/users", data=form))
    assert back.status_code == 403 and "This form had expired" in back.text
    assert 'value="carol"' in back.text and 'value="Carol C"' in back.text and "secret secret" not in back.text
    assert "carol" not in [u.name for u in services.accounts.list_users()]


def test_a_failure_is_shown_only_to_the_browser_that_sent_the_form(owner: TestClient, services: Services) -> None:
    form = {"csrf_token": form_token(owner.get("/users").text), "name": "Bad Name", "full_name": "Private Person"}
    location = owner.post("/users", data=form).headers["location"]
    with TestClient(owner.app, base_url="https://testserver", follow_redirects=False) as other:
        sign_in(other)
        page = other.get(location)
        assert page.status_code == 200 and "Private Person" not in page.text


@pytest.mark.parametrize("action", ["disable", "delete"])
def test_an_administrator_cannot_lock_themselves_out(owner: TestClient, services: Services, action: str) -> None:
    create_user(owner, "bob", groups=["administrators"])  # not the last administrator: the guardrail is another
    page = owner.get(f"/users/{ADMIN}").text
    if action == "disable":
        answer = owner.post(f"/users/{ADMIN}", data={"csrf_token": form_token(page), "admin": "1"})
    else:
        answer = owner.post(f"/users/{ADMIN}/delete", data={"csrf_token": form_token(page)})
    back = shown(owner, answer)
    assert back.status_code == 409 and f"You are signed in as &#39;{ADMIN}&#39;" in back.text
    alice = services.accounts.get_user(ADMIN)
    assert alice.enabled
    assert owner.get("/").status_code == 200  # the session goes on
    api = owner.patch(f"/api/v1/users/{ADMIN}", json={"enabled": False})
    assert api.status_code == 409 and api.json()["error"]["code"] == "own_account"
    assert owner.patch(f"/api/v1/users/{ADMIN}", json={"groups": []}).status_code == 200  # stepping down is fine


def test_the_builtin_admin_cannot_disable_itself(services: Services) -> None:
    """The recovery report's "disable admin again", done while signed in as `admin`, would end that session
    halfway: refused with the reason (another administrator, or root, does it)."""
    services.setup.run("nas", ADMIN, ADMIN_PASSWORD, Actor(ADMIN))
    services.accounts.update_user(Actor("root@local"), "admin", UserChanges(enabled=True))
    with pytest.raises(Conflict, match="You are signed in as 'admin'"):
        services.accounts.update_user(Actor("admin", "192.168.1.7"), "admin", UserChanges(enabled=False))
    services.accounts.update_user(Actor(ADMIN), "admin", UserChanges(enabled=False))
    assert not services.accounts.get_user("admin").enabled


def test_a_network_restore_keeps_the_name_unless_asked(owner: TestClient, services: Services) -> None:
    for hostname, address in (("nas", "192.168.1.20/24"), ("office", "192.168.1.30/24")):
        body = {"hostname": hostname, "interfaces": [{"name": "eth0", "mode": "static", "address": address}]}
        assert owner.put("/api/v1/network", json=body).status_code == 200
    assert services.device.name() == "office"
    snapshots = owner.get("/api/v1/network/snapshots").json()
    earlier = next(s for s in snapshots if s["config"]["hostname"] == "nas")
    assert [s["current"] for s in snapshots].count(True) == 1 and "192.168.1.20/24" in earlier["summary"]
    page = owner.get("/network").text
    assert 'data-testid="current-snapshot"' in page and f'href="/network/snapshots/{earlier["id"]}"' in page
    preview = owner.get(f"/network/snapshots/{earlier['id']}").text
    assert "eth0: 192.168.1.30/24, MTU 1500 → 192.168.1.20/24, MTU 1500" in preview
    assert "Device name" not in preview and 'data-testid="rename"' in preview  # offered, not done
    restored = owner.post(f"/network/snapshots/{earlier['id']}/restore", data={"csrf_token": form_token(preview)})
    assert restored.status_code == 303
    assert services.device.name() == "office" and services.network.current().hostname == "office"
    assert str(services.network.current().interface("eth0").address) == "192.168.1.20/24"  # type: ignore[union-attr]
    api_preview = owner.get(f"/api/v1/network/snapshots/{earlier['id']}/restore", params={"rename": True})
    assert api_preview.status_code == 200 and "Device name: office → nas" in api_preview.json()["changes"]
    renamed = owner.post(f"/api/v1/network/snapshots/{earlier['id']}/restore", json={"rename": True})
    assert renamed.status_code == 200 and services.device.name() == "nas"


def test_the_security_page_shows_ranges_refuses_negatives_and_warns_about_everyone(
    owner: TestClient, services: Services
) -> None:
    page = owner.get("/security").text
    assert re.search(r'id="f-recovery_window_minutes"[^>]*min="5" max="120"', page)
    assert "From 5 to 120." in page
    form = {"csrf_token": form_token(page), "recovery_window_minutes": "-5", "current_password": "x"}
    back = shown(owner, owner.post("/security", data=form))
    assert back.status_code == 422
    assert re.search(r'id="e-recovery_window_minutes">Choose a whole number from 5 to 120\.<', back.text)
    assert 'value="-5"' in back.text
    assert owner.patch("/api/v1/settings/security", json={"allow_list": ["0.0.0.0/0"]}).status_code == 200
    warned = owner.get("/security").text
    assert 'data-testid="allow-everyone"' in warned and "0.0.0.0/0" in warned


def test_what_the_outside_walk_tripped_over(owner: TestClient, services: Services) -> None:
    """Found by a new-owner walk: the menu marked Overview on pages outside it, a current snapshot offered
    a restore, an empty search said so twice, and a page past the end counted backwards."""
    account = owner.get("/account").text
    assert 'aria-current="page"' not in account
    assert 'aria-current="page"' in owner.get("/users/" + ADMIN).text  # under Users
    body = {"hostname": "nas", "interfaces": [{"name": "eth0", "mode": "static", "address": "192.168.1.20/24"}]}
    assert owner.put("/api/v1/network", json=body).status_code == 200
    [current] = [s for s in owner.get("/api/v1/network/snapshots").json() if s["current"]]
    assert 'data-testid="restore-form"' not in owner.get(f"/network/snapshots/{current['id']}").text
    nothing = owner.get("/users", params={"q": "zzz"}).text
    assert nothing.count("No account") == 1
    past = owner.get("/users", params={"offset": 999}).text
    assert "Past the last page" in past and "1000–" not in past
    services.accounts.create_group(Actor(ADMIN), "family")
    owner.patch(f"/api/v1/users/{ADMIN}", json={"groups": ["administrators", "family"]})
    assert "keep their accounts but leave the group" in owner.get("/groups").text


def test_a_form_sent_after_the_session_ended_says_so_at_sign_in(owner: TestClient) -> None:
    page = owner.get("/groups").text
    owner.cookies.clear()
    sent = owner.post("/groups", data={"csrf_token": form_token(page), "page": "/groups", "name": "family"})
    assert sent.status_code == 303 and sent.headers["location"] == "/login?next=%2Fgroups&done=expired"


TYPED = frozenset({"text", "password", "email", "search", "url", "tel"})  # the input types that take free text


class TextFields(HTMLParser):
    """Every field of a page that an owner types free text into (not one the page fills in and hides)."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        typed = tag == "textarea" or (tag == "input" and (found.get("type") or "text") in TYPED)
        if typed and "hidden" not in found:
            self.fields.append(found)


def unbounded(html: str) -> list[str]:
    """The typed fields without a positive `maxlength`."""
    parser = TextFields()
    parser.feed(html)
    return [
        str(found.get("name") or found.get("id"))
        for found in parser.fields
        if not (found.get("maxlength") or "").isdigit() or int(str(found["maxlength"])) < 1
    ]


def test_unbounded_sees_a_field_without_a_limit() -> None:
    page = '<input name="a" maxlength="5"><input name="b"><textarea name="c"></textarea><input type="hidden" name="d">'
    assert unbounded(page + '<input name="e" type="number"><input name="f" hidden>') == ["b", "c"]


# Console pages this walk does not reach, and why; every other page is walked (a new page joins the walk).
NOT_WALKED = {
    "/ca.crt": "a certificate, not a page",
    "/damaged": "only a damaged device shows it; no fields",
    "/network/walk": "only while a change waits; links, no fields",
    "/network/confirmed": "no fields",
    "/recovery/password": "a recovery session's page: the next test",
    "/approve/{request_id}": "needs a sign-in waiting for approval; buttons only",
    "/login/second-step": "needs an account with a second factor; its code field has `maxlength=limits.code`",
    "/login/enrol": "needs a sign-in made to enrol; its code field has `maxlength=limits.code`",
    "/account/totp": "needs an authenticator set-up begun; its code field has `maxlength=limits.code`",
    "/account/recovery-codes": "codes to copy, no fields",
}
CONSOLE = (pages, manage, security, network, recovery, signin, factors, shares, file_services, approvals, advisor)


def test_every_typed_field_of_every_page_has_the_servers_limit(client: TestClient, services: Services) -> None:
    """Every console form checks lengths in the page as the server does: each text field, password field and
    text area carries a `maxlength`, on every page an owner reaches."""
    client.follow_redirects = False
    assert unbounded(client.get("/setup").text) == []
    setup_device(client)
    assert unbounded(client.get("/login").text) == []
    sign_in(client)
    create_user(client, "bob")
    assert client.post("/api/v1/groups", json={"name": "family"}).status_code == 201
    assert client.post("/api/v1/shares", json={"name": "Photos", "volume": "volume1"}).status_code == 201
    body = {"hostname": "nas", "interfaces": [{"name": "eth0", "mode": "static", "address": "192.168.1.20/24"}]}
    assert client.put("/api/v1/network", json=body).status_code == 200
    snapshot = client.get("/api/v1/network/snapshots").json()[-1]["id"]
    paths = [
        "/", "/users", f"/users/{ADMIN}", "/users/bob", "/groups", "/sessions", "/log", "/account", "/password",
        "/account/sign-in-methods", "/network", f"/network/snapshots/{snapshot}", "/security", "/recovery/report",
        "/advisor", "/shares", "/shares/Photos", "/file-services", "/network/confirm",
    ]  # fmt: skip
    shapes = {re.sub(r"/(bob|Photos|\d+)$", "/{}", p).replace(ADMIN, "{}") for p in [*paths, "/setup", "/login"]}
    for module in CONSOLE:
        for route in module.router.routes:
            if isinstance(route, Route) and "GET" in (route.methods or ()) and route.path not in NOT_WALKED:
                assert re.sub(r"{\w+}", "{}", route.path) in shapes, f"{route.path} is not walked"
    for path in paths:
        page = client.get(path)
        assert page.status_code == 200, f"{path}: {page.status_code}"
        assert unbounded(page.text) == [], f"{path} has fields without a maxlength"
    network_page = client.get("/network").text
    assert re.search(r'id="f-hostname"[^>]*maxlength="63"', network_page)  # the bounds of the API's own body
    assert re.search(r'id="f-eth0.address"[^>]*maxlength="64"', network_page)
    assert re.search(r'id="f-allow_list"[^>]*maxlength="6600"', client.get("/security").text)  # 100 lines of 64


def test_the_recovery_password_page_has_the_servers_limits(installed: TestClient, services: Services) -> None:
    mode(installed, services, Decision.MODE_1)
    with browser(services) as lan:
        login = lan.post("/api/v1/auth/login", json={"username": "admin", "password": ""})
        assert login.status_code == 200, login.text
        services.recovery_access.confirm_presence()
        page = lan.get("/recovery/password").text
        assert "recovery-password-form" in page and unbounded(page) == []
        assert re.search(r'id="f-new_password_again"[^>]*maxlength="4096"', page)
        csrf = login.json()["csrf_token"]
        long = {"csrf_token": csrf, "new_password": "x" * 5000, "new_password_again": "x" * 5000}
        back = lan.post("/recovery/password", data=long, follow_redirects=True)
        assert back.status_code == 422 and "Use at most 4096 characters" in back.text  # the API's own check
        assert services.accounts.get_user("admin").password_hash is None
