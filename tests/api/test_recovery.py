"""Mode 1 and Mode 2 through the real services, the recovery window's sign-in, and the post-recovery report."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from homeport.application import create_app
from homeport.audit.log import Actor
from homeport.files.models import ShareDraft
from homeport.recovery.button import Decision
from homeport.services import Services
from tests.support.api import ADMIN, ADMIN_PASSWORD, create_user, error_code, sign_in
from tests.support.clock import FakeClock
from tests.support.recovery import ROUTED_CLIENT, browser, mode


def hashes(services: Services) -> dict[str, str | None]:
    with services.db.read() as conn:
        return {str(r[0]): r[1] for r in conn.execute("SELECT name, password_hash FROM users")}


def smb_passwords(services: Services) -> dict[int, bytes]:
    with services.db.read() as conn:
        return {int(r[0]): bytes(r[1]) for r in conn.execute("SELECT user_id, sealed_nt_hash FROM smb_passwords")}


def test_mode_1_resets_what_it_promises_and_keeps_the_rest(
    installed: TestClient, services: Services, clock: FakeClock
) -> None:
    before = hashes(services)
    volume = services.volumes.paths[0].name
    services.shares.create(Actor(ADMIN), ShareDraft(name="Docs", volume=volume, folder="Docs", users={"bob": "rw"}))
    shares_before, smb_before = services.shares.list(), smb_passwords(services)
    assert len(smb_before) == 2  # alice and bob: their SMB passwords were made with their passwords
    mode(installed, services, Decision.MODE_1)
    assert services.shares.list() == shares_before and smb_passwords(services) == smb_before  # files untouched
    system = installed.get("/api/v1/system").json()
    assert system["state"] == "recovery"
    assert system["recovery_window_closes_at"] == pytest.approx(clock.now() + 30 * 60)
    assert installed.get("/api/v1/me").status_code == 401  # every session ended
    assert hashes(services) == before  # no password hash was touched
    config = services.network.current()
    assert [(i.mode, i.mtu) for i in config.interfaces] == [("dhcp", 1500)] and (config.web.http, config.web.https) == (
        5000,
        5001,
    )
    assert services.settings.security().auto_block_enabled is False
    assert [p.pattern for p in services.feedback.history if p.device == "led"][-2:] == ["applying", "recovery"]
    # Whoever still knows their password signs in as before.
    sign_in(installed)
    assert installed.get("/api/v1/me").status_code == 200


def test_the_built_in_admin_comes_back_through_the_window(installed: TestClient, services: Services) -> None:
    mode(installed, services, Decision.MODE_1)
    with browser(services) as lan:
        login = lan.post("/api/v1/auth/login", json={"username": "admin", "password": ""})
        assert login.status_code == 200, login.text
        assert login.json()["awaiting_presence"] is True
        lan.headers["X-CSRF-Token"] = login.json()["csrf_token"]
        me = lan.get("/api/v1/me").json()
        assert "recovery" in me, me
        assert me["recovery"] is True and me["restricted"] is True and me["awaiting_presence"] is True
        refused = lan.get("/api/v1/users")
        assert refused.status_code == 403 and error_code(refused) == "password_change_required"
        early = lan.put("/api/v1/me/password", json={"current_password": "", "new_password": "a brand new secret pass"})
        assert early.status_code == 403 and error_code(early) == "recovery_presence_required"
        services.recovery_access.confirm_presence()  # a short press of the reset button
        assert lan.get("/api/v1/me").json()["awaiting_presence"] is False
        weak = lan.put("/api/v1/me/password", json={"current_password": "", "new_password": "short"})
        assert weak.status_code == 422
        done = lan.put("/api/v1/me/password", json={"current_password": "", "new_password": "a brand new secret pass"})
        assert done.status_code == 204
        assert lan.get("/api/v1/me").status_code == 401  # the recovery session ended with it
    assert services.device.state() == "ready"
    admin = services.accounts.get_user("admin")
    assert admin.enabled and services.hasher.verify(admin.password_hash, "a brand new secret pass")
    with browser(services) as lan:
        again = lan.post("/api/v1/auth/login", json={"username": "admin", "password": ""})
        assert again.status_code == 401  # the window closed once the recovery password was set
        sign_in(lan, "admin", "a brand new secret pass")


def test_the_window_admits_only_administrators_from_the_local_network(
    installed: TestClient, services: Services
) -> None:
    mode(installed, services, Decision.MODE_1)
    with browser(services, ROUTED_CLIENT) as remote:
        routed = remote.post("/api/v1/auth/login", json={"username": "admin", "password": ""})
        assert routed.status_code == 403 and error_code(routed) == "recovery_local_only"
    with browser(services) as lan:
        user = lan.post("/api/v1/auth/login", json={"username": "bob", "password": ""})
        assert user.status_code == 401
        nobody = lan.post("/api/v1/auth/login", json={"username": "nobody", "password": ""})
        assert nobody.status_code == 401
        assert lan.post("/api/v1/auth/login", json={"username": ADMIN, "password": ""}).status_code == 200
    assert services.device.state() == "recovery"


def test_the_window_closes_on_time(installed: TestClient, services: Services, clock: FakeClock) -> None:
    mode(installed, services, Decision.MODE_1)
    clock.advance(30 * 60 - 1)
    assert services.recovery.close_window_if_due() is False
    assert services.settings.security().auto_block_enabled is False
    clock.advance(1)
    assert services.recovery.close_window_if_due() is True
    assert services.device.state() == "ready"
    assert services.settings.security().auto_block_enabled is True  # back on as the window closes
    records = [r for r in services.audit.query(limit=20) if r.action == "settings.auto_block_restored"]
    assert len(records) == 1 and records[0].actor == "system"
    with browser(services) as lan:
        assert lan.post("/api/v1/auth/login", json={"username": "admin", "password": ""}).status_code == 401


def test_empty_passwords_do_nothing_outside_recovery(installed: TestClient) -> None:
    answer = installed.post("/api/v1/auth/login", json={"username": "admin", "password": ""})
    assert answer.status_code == 401 and error_code(answer) == "wrong_credentials"


def test_the_report_and_its_one_click_restores(installed: TestClient, services: Services) -> None:
    reset_id = mode(installed, services, Decision.MODE_1)
    assert services.settings.security().auto_block_enabled is False  # off while the window is open
    with browser(services) as lan:
        login = lan.post("/api/v1/auth/login", json={"username": "admin", "password": ""})
        lan.headers["X-CSRF-Token"] = login.json()["csrf_token"]
        services.recovery_access.confirm_presence()
        lan.put("/api/v1/me/password", json={"current_password": "", "new_password": "a brand new secret pass"})
    # The window closed with the recovery password: auto block is back on by itself.
    assert services.settings.security().auto_block_enabled is True
    sign_in(installed)
    report = installed.get("/api/v1/recovery/report").json()
    assert report["reset"] == reset_id
    items = {i["key"]: i for i in report["items"]}
    assert set(items) == {"network", "auto_block", "builtin_admin"}
    assert "192.168.1.20/24" in items["network"]["before"] and "DHCP" in items["network"]["now"]
    assert (
        items["auto_block"]["now"] == "on"
        and "was off while the recovery window was open" in (items["auto_block"]["title"])
    )
    assert items["auto_block"]["restored"] is True and items["auto_block"]["restorable"] is False
    checks = {c["title"]: c["ok"] for c in report["checklist"]}
    assert checks["At least two administrators who can sign in"] is False
    assert checks["The built-in admin is disabled"] is False
    for key in ("builtin_admin", "network"):
        answer = installed.post(f"/api/v1/recovery/report/{reset_id}/restore/{key}")
        assert answer.status_code == 200, answer.text
    assert services.accounts.get_user("admin").enabled is False
    assert str(services.network.current().interface("eth0").address) == "192.168.1.20/24"  # type: ignore[union-attr]
    report = installed.get("/api/v1/recovery/report").json()
    assert all(i["restored"] for i in report["items"])
    assert installed.post(f"/api/v1/recovery/report/{reset_id}/restore/auto_block").status_code == 409
    assert 'data-testid="reset-banner"' in installed.get("/").text
    assert installed.post(f"/api/v1/recovery/report/{reset_id}/acknowledge").status_code == 204
    assert 'data-testid="reset-banner"' not in installed.get("/").text


def checksums(volume: Path) -> dict[str, str]:
    return {
        str(p.relative_to(volume)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(volume.rglob("*"))
        if p.is_file() and p.relative_to(volume).parts[0] != "@homeport"
    }


def test_mode_2_backs_up_to_the_volume_resets_and_restores_through_the_wizard(
    installed: TestClient, services: Services
) -> None:
    volume = services.volumes.paths[0]
    (volume / "photos").mkdir()
    (volume / "photos" / "holiday.jpg").write_bytes(b"\xff\xd8" + bytes(range(256)) * 40)
    (volume / "notes.txt").write_text("keep me")
    create_user(installed, "carol", password="a secret long enough", groups=["administrators"])
    draft = ShareDraft(
        name="Photos", volume=volume.name, folder="photos", description="Family pictures", recycle_bin=True,
        users={"bob": "ro", "carol": "none"}, groups={"users": "rw"},
    )  # fmt: skip
    services.shares.create(Actor(ADMIN), draft, attach=True)
    services.files.change_settings(Actor(ADMIN), {"encryption": "required"})
    data_before = checksums(volume)
    mode(installed, services, Decision.MODE_2)
    assert services.shares.list() == [] and services.files.settings().encryption == "desired"
    [backup] = sorted((volume / "@homeport" / "config").iterdir())
    assert {p.name for p in backup.iterdir()} == {"config.sqlite", "audit.jsonl", "manifest.json"}
    manifest = json.loads((backup / "manifest.json").read_text())
    assert manifest["serial"] == services.device.identity.serial
    assert checksums(volume) == data_before
    assert services.device.state() == "migratable"
    assert [u.name for u in services.accounts.list_users()] == ["admin"]
    assert services.audit.query(action="system.setup")  # the log survived
    with browser(services) as wizard:
        found = wizard.get("/api/v1/setup/found").json()
        assert [b["name"] for b in found["backups"]] == ["nas"]
        assert found["shared_folders"] == [str(volume / "photos")]
        wrong = wizard.post("/api/v1/setup/restore", json={"backup": found["backups"][0]["id"], "administrator": "bob",
                                                            "password": "a fresh admin password"})  # fmt: skip
        assert wrong.status_code == 422
        done = wizard.post("/api/v1/setup/restore", json={"backup": found["backups"][0]["id"], "administrator": ADMIN,
                                                           "password": "a fresh admin password"})  # fmt: skip
        assert done.status_code == 201, done.text
    assert services.device.state() == "ready" and services.device.name() == "nas"
    with browser(services) as lan:
        assert lan.post("/api/v1/auth/login", json={"username": ADMIN, "password": ADMIN_PASSWORD}).status_code == 401
        sign_in(lan, ADMIN, "a fresh admin password")
        carol = lan.post("/api/v1/auth/login", json={"username": "carol", "password": "a secret long enough"})
        assert carol.status_code == 401  # every administrator must set a new password
        # ... and is told why, and who can help, instead of "wrong password".
        assert carol.json()["error"]["code"] == "no_password"
        assert "configuration backup" in carol.json()["error"]["message"] and ADMIN in carol.json()["error"]["message"]
        listed = {u["name"]: u for u in lan.get("/api/v1/users").json()}
        assert listed["carol"]["awaits_password"] and not listed[ADMIN]["awaits_password"]
        assert not listed["admin"]["awaits_password"]  # the built-in admin has no password by design
        users_page = lan.get("/users").text
        assert 'data-testid="awaiting-password"' in users_page and 'href="/users/carol#set-password"' in users_page
        assert 'data-testid="awaiting-password"' in lan.get("/users/carol").text
        # The report is the Mode 2's, not the Mode 1 before it: what happened, and who needs a password.
        report = lan.get("/api/v1/recovery/report").json()
        assert report["mode"] == "mode2" and report["items"] == [] and report["awaiting_password"] == ["carol"]
        assert "backed up to" in report["facts"][0] and f"{ADMIN} restored the backup" in report["facts"][1]
        page = lan.get("/recovery/report").text
        assert 'data-testid="mode2-facts"' in page and 'href="/users/carol#set-password"' in page
        lan.headers.pop("X-CSRF-Token", None)
        sign_in(lan, "bob", "a long one for b")  # other accounts come back as they were
    # The shared folder comes back as it was, with who may use it, on its files that never moved.
    [restored] = services.shares.list()
    assert restored.available and restored.share.description == "Family pictures" and restored.share.recycle_bin
    assert (restored.share.users, restored.share.groups) == ({"bob": "ro", "carol": "none"}, {"users": "rw"})
    assert services.files.settings().encryption == "required"
    # SMB passwords never travel in a backup: each account's next console sign-in makes it again.
    assert "bob" not in services.files.accounts_needing_password()  # signed in just now
    assert "carol" not in services.files.accounts_needing_password()  # no password at all yet
    assert checksums(volume) == data_before


def test_an_interrupted_reset_is_finished_at_start_and_an_unstarted_one_dropped(
    installed: TestClient, services: Services
) -> None:
    from homeport.recovery import journal

    with services.db.write() as conn:
        abandoned = journal.begin(conn, "mode1", services.clock.now(), {})
        committed = journal.begin(conn, "mode1", services.clock.now(), {})
        services.network.stage_defaults(conn, "staged before a crash")
        journal.set_stage(conn, committed, "committed")
    installed.portal.call(services.recovery.resume)  # type: ignore[union-attr]
    with services.db.read() as conn:
        assert journal.find(conn, abandoned).stage == "abandoned"  # type: ignore[union-attr]
        assert journal.find(conn, committed).stage == "applied"  # type: ignore[union-attr]


def test_no_http_endpoint_can_start_a_reset(services: Services) -> None:
    network_paths = create_app(services).openapi()["paths"]
    words = ("button", "reset", "mode1", "mode2", "mode-1", "mode-2", "factory")
    fixed_parts = {p: re.sub(r"\{[^}]+\}", "", p).lower() for p in network_paths}  # path parameters aside
    assert not [p for p, fixed in fixed_parts.items() if any(w in fixed for w in words)]
    # The recovery routes there only read the report and put things back.
    assert {p for p in network_paths if p.startswith("/api/v1/recovery")} == {
        "/api/v1/recovery/report",
        "/api/v1/recovery/report/{reset_id}/restore/{item}",
        "/api/v1/recovery/report/{reset_id}/acknowledge",
    }
    with browser(services) as lan:
        for path in ("/api/v1/button", "/api/v1/recovery/mode1", "/api/v1/reset"):
            assert lan.post(path, json={"action": "hold", "seconds": 5}).status_code in (404, 405)
    local_paths = create_app(services, local=True).openapi()["paths"]
    assert "/api/v1/button" in local_paths  # only root, on the machine, through the socket


def test_a_second_mode_1_in_an_open_window_restores_what_was_there_before_the_first(
    installed: TestClient, services: Services, clock: FakeClock
) -> None:
    mode(installed, services, Decision.MODE_1)
    clock.advance(60)
    second = mode(installed, services, Decision.MODE_1)  # the owner held the button again
    assert services.settings.security().auto_block_enabled is False
    clock.advance(30 * 60)
    assert services.recovery.close_window_if_due() is True
    assert services.settings.security().auto_block_enabled is True  # it was on before the first reset
    with browser(services) as owner:
        sign_in(owner)
        report = owner.get("/api/v1/recovery/report").json()
    assert report["reset"] == second
    items = {i["key"]: i for i in report["items"]}
    assert items["auto_block"]["now"] == "on" and items["auto_block"]["restored"] is True
    assert "192.168.1.20/24" in items["network"]["before"]  # the static address, not the first reset's DHCP
