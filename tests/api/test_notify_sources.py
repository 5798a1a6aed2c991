"""Each source of the issue's list raises its notice, in the transaction of its action: a reset (Mode 1, Mode 2), a
recovery sign-in, a second factor added or removed, Samba's accounts repaired, many addresses blocked (once a
spell), a volume missing or nearly full, and any domain's NoticeRaised."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.testclient import TestClient

from homeport.audit.log import SYSTEM
from homeport.auth.blocklist import Block
from homeport.core.events import NoticeRaised
from homeport.notify import volumes as volume_check
from homeport.recovery.button import Decision
from homeport.services import Services
from homeport.system.volumes import Volume
from tests.support.api import ADMIN_PASSWORD
from tests.support.clock import FakeClock
from tests.support.factors import enrol_totp
from tests.support.recovery import browser, mode


def kinds(services: Services) -> list[str]:
    return [n.kind for n in reversed(services.notices.service.notices())]


def test_a_mode_1_reset_and_the_recovery_sign_in_that_follows(installed: TestClient, services: Services) -> None:
    body = {"recovery_button_confirmation": False, "current_password": ADMIN_PASSWORD}
    assert installed.patch("/api/v1/settings/security", json=body).status_code == 200
    mode(installed, services, Decision.MODE_1)
    assert kinds(services) == ["recovery.mode1"]
    with browser(services) as lan:
        login = lan.post("/api/v1/auth/login", json={"username": "admin", "password": ""})
        lan.headers["X-CSRF-Token"] = login.json()["csrf_token"]
        new = {"current_password": "", "new_password": "a brand new secret pass"}
        assert lan.put("/api/v1/me/password", json=new).status_code == 204
    assert kinds(services) == ["recovery.mode1", "recovery.sign_in", "recovery.password_set"]
    latest = services.notices.service.notices()[0]
    assert latest.title == "The password of admin was reset" and latest.severity == "warning"
    assert services.notices.service.unread_count() == 3


def test_a_mode_2_reset(installed: TestClient, services: Services) -> None:
    mode(installed, services, Decision.MODE_2)
    (notice,) = services.notices.service.notices()
    assert (notice.kind, notice.severity) == ("recovery.mode2", "critical")


def test_a_second_factor_added_and_removed(installed: TestClient, services: Services, clock: FakeClock) -> None:
    enrol_totp(installed, clock)
    answer = installed.request("DELETE", "/api/v1/me/totp", json={"current_password": ADMIN_PASSWORD})
    assert answer.status_code == 204, answer.text
    found = [(n.kind, n.title) for n in reversed(services.notices.service.notices())]
    assert ("auth.factor_added", "An authenticator app was added for alice") in found
    assert ("auth.factor_removed", "The authenticator app of alice was removed") in found


def test_samba_accounts_repaired(services: Services) -> None:
    """The drift repair itself needs Samba (tests/integration/test_smb.py); its audit record is what tells."""
    with services.db.write() as conn:
        services.audit.record(conn, "smb.drift_repaired", SYSTEM, target="1 account changed behind Homeport's back")
    (notice,) = services.notices.service.notices()
    assert notice.kind == "smb.drift_repaired" and "behind Homeport's back" in notice.body


def test_a_notice_exists_only_if_its_action_committed(services: Services) -> None:
    with pytest.raises(RuntimeError), services.db.write() as conn:
        services.audit.record(conn, "recovery.mode1", SYSTEM, target="#1")
        raise RuntimeError("the reset failed before it committed")
    assert services.notices.service.notices() == []
    services.audit.record_now("recovery.mode1", SYSTEM, target="#1", outcome="abandoned")
    assert services.notices.service.notices() == []  # only what happened is told


def block(services: Services, address: str) -> None:
    now = services.clock.now()
    services.login.address_blocked(Block(address, now, now + 1800, "10 failed sign-ins"), address)


def test_many_addresses_blocked_is_told_once_a_spell(services: Services, clock: FakeClock) -> None:
    for n in range(4):
        block(services, f"203.0.113.{n}")
        clock.advance(60)
    assert kinds(services) == []
    block(services, "203.0.113.4")
    assert kinds(services) == ["auth.many_addresses_blocked"]
    assert services.notices.service.notices()[0].title == "5 addresses were blocked in 10 minutes"
    for n in range(5, 30):  # the attack goes on: not told again
        clock.advance(120)
        block(services, f"203.0.113.{n}")
    assert kinds(services) == ["auth.many_addresses_blocked"]
    clock.advance(601)  # a quiet spell, then a new attack
    for n in range(30, 35):
        block(services, f"198.51.100.{n}")
        clock.advance(10)
    assert kinds(services) == ["auth.many_addresses_blocked"] * 2


def test_failed_sign_ins_that_block_addresses_are_the_source(installed: TestClient, services: Services) -> None:
    body = {"auto_block_attempts": 3}
    assert installed.patch("/api/v1/settings/security", json=body).status_code == 200
    for n in range(5):
        with browser(services, client=(f"198.51.100.{n + 1}", 40000)) as stranger:
            for _ in range(3):
                stranger.post("/api/v1/auth/login", json={"username": "alice", "password": "guess"})
    assert "auth.many_addresses_blocked" in kinds(services)


def test_a_volume_missing_is_told_once_until_it_is_back(services: Services, tmp_path: Path) -> None:
    volume = services.volumes.paths[0]
    volume.rename(tmp_path / "away")
    services.notices.service.check_volumes()
    services.notices.service.check_volumes()
    assert kinds(services) == ["volume.missing"]
    (tmp_path / "away").rename(volume)
    services.notices.service.check_volumes()
    volume.rename(tmp_path / "away")
    services.notices.service.check_volumes()
    assert kinds(services) == ["volume.missing", "volume.missing"]
    (tmp_path / "away").rename(volume)


def test_a_volume_nearly_full_is_told_once_until_it_has_room_again(services: Services) -> None:
    def at(percent: int) -> list[Volume]:
        return [Volume("volume1", Path("/srv/volume1"), True, 100 * 2**30, (100 - percent) * 2**30)]

    def check(percent: int) -> None:
        with services.db.write() as conn:
            volume_check.check(conn, at(percent), services.clock.now(), services.notices.service.enqueue)

    check(89)
    assert kinds(services) == []
    check(91)
    check(95)
    check(87)  # below 90 %, not yet below 85 %: the same spell
    check(92)
    assert kinds(services) == ["volume.nearly_full"]
    assert services.notices.service.notices()[0].title == "The volume volume1 is 91 % full"
    check(80)
    check(93)
    assert kinds(services) == ["volume.nearly_full"] * 2


def test_any_domain_may_raise_a_notice_on_the_bus(services: Services) -> None:
    services.bus.publish(
        NoticeRaised("packages.selftest_failed", "samba 4.22 broke SMB", "Go back with ...", "critical")
    )
    (notice,) = services.notices.service.notices()
    assert (notice.kind, notice.severity, notice.read_at) == ("packages.selftest_failed", "critical", None)


def test_notices_are_marked_read_one_or_all(installed: TestClient, services: Services) -> None:
    for n in range(3):
        services.bus.publish(NoticeRaised("backup.failed", f"Backup {n} failed", "Disk full.", "warning"))
    first = services.notices.service.notices()[-1].id
    answer = installed.post("/api/v1/notifications/notices/read", json={"ids": [first]})
    assert answer.json() == {"marked": 1}
    assert installed.get("/api/v1/notifications/notices").json()["unread"] == 2
    assert installed.post("/api/v1/notifications/notices/read", json={"ids": [9999]}).status_code == 404
    assert installed.post("/api/v1/notifications/notices/read").json() == {"marked": 2}
    assert installed.get("/api/v1/notifications/notices?unread=true").json() == {"unread": 0, "notices": []}
    record = services.audit.query(action="notify.notices_read")[0]
    assert record.actor == "alice" and record.detail == {"count": 2, "every": True}


def test_a_password_reset_and_a_new_administrator(installed: TestClient, services: Services) -> None:
    answer = installed.put(
        "/api/v1/users/bob/password", json={"password": "another long password 7", "admin_password": ADMIN_PASSWORD}
    )
    assert answer.status_code in (200, 204), answer.text
    assert installed.patch("/api/v1/users/bob", json={"groups": ["administrators"]}).status_code == 200
    titles = [n.title for n in reversed(services.notices.service.notices())]
    assert titles == ["The password of bob was reset", "bob is now an administrator"]


def test_a_notice_that_cannot_be_kept_never_undoes_its_action(services: Services) -> None:
    with services.db.write() as conn:
        conn.execute("DROP TABLE notice_channels")  # enqueueing now fails inside the action's transaction
        services.audit.record(conn, "recovery.mode1", SYSTEM, target="#7")
    assert services.audit.query(action="recovery.mode1")[0].target == "#7"
    assert services.notices.service.notices() == []
