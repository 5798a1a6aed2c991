"""Every Security Advisor check, on facts built by hand: each one seen passing and seen not passing."""

from __future__ import annotations

import dataclasses
from typing import Any

import argon2
import pytest

from homeport.accounts.models import ADMINISTRATORS, USERS, User
from homeport.advisor.checks import CHECK_KEYS, CHECKS, run_checks
from homeport.advisor.factor_facts import PasskeyFact, UserFactors
from homeport.advisor.findings import DAY, VERDICTS, ClockFacts, Facts, Finding
from homeport.network.model import WebPorts
from homeport.system.settings import SecuritySettings

NOW = 1_800_000_000.0
HASH = argon2.PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash("x")  # only parsed, never checked


def person(uid: int, name: str, *, admin: bool = True, **changes: Any) -> User:
    groups = (ADMINISTRATORS, USERS) if admin else (USERS,)
    base = User(
        id=uid, name=name, full_name="", email=f"{name}@example.org", enabled=True, builtin=False, groups=groups,
        password_hash=HASH, must_change_password=False, created_at=NOW - 400 * DAY, updated_at=NOW,
        password_changed_at=NOW - 400 * DAY,
    )  # fmt: skip
    return dataclasses.replace(base, **changes)


BUILTIN = person(1, "admin", builtin=True, enabled=False, password_hash=None, email="")
ALICE = person(2, "alice")
CAROL = person(3, "carol")
BOB = person(4, "bob", admin=False)
GOOD_FACTORS = UserFactors(totp=True, passkeys=0, recovery_codes_left=10, suspended=False)


def facts(**changes: Any) -> Facts:
    """A well-kept device: every check passes (or is `info` where the server cannot tell)."""
    base = Facts(
        now=NOW,
        users=(BUILTIN, ALICE, CAROL, BOB),
        security=SecuritySettings(),
        device_state="ready",
        host="nas.local",
        web_ports=WebPorts(8080, 8443),
        factors={ALICE.id: GOOD_FACTORS, CAROL.id: GOOD_FACTORS},
        passkeys=(PasskeyFact(ALICE.id, "laptop", "nas.local", NOW - DAY),),
        last_used={u.id: NOW - DAY for u in (ALICE, CAROL, BOB)},
        certificate_expires_at=NOW + 300 * DAY,
        clock=ClockFacts(NOW - 60, True, "chronyc"),
        unread_reset=None,
    )
    return dataclasses.replace(base, **changes)


def judged(key: str, **changes: Any) -> Finding:
    [finding] = run_checks(facts(**changes), [key])
    return finding


def settings(**changes: Any) -> SecuritySettings:
    return dataclasses.replace(SecuritySettings(), **changes)


def test_the_catalogue() -> None:
    assert len(CHECKS) >= 15 and len(CHECK_KEYS) == len(CHECKS)
    for finding in run_checks(facts()):
        assert finding.verdict in ("pass", "info"), finding
        assert finding.fix.startswith("/") and finding.explanation.endswith(".") and finding.title
    assert VERDICTS[0] == "fail"


def test_two_administrators() -> None:
    assert judged("two_administrators").verdict == "pass"
    one = judged("two_administrators", users=(BUILTIN, ALICE, dataclasses.replace(CAROL, enabled=False)))
    assert one.verdict == "warn" and "Only alice" in one.explanation
    unverifiable = dataclasses.replace(ALICE, password_hash="md5$abc")
    assert judged("two_administrators", users=(BUILTIN, unverifiable, BOB)).verdict == "fail"


def test_builtin_admin_disabled() -> None:
    assert judged("builtin_admin_disabled").verdict == "pass"
    enabled = dataclasses.replace(BUILTIN, enabled=True)
    found = judged("builtin_admin_disabled", users=(enabled, ALICE, CAROL))
    assert found.verdict == "fail" and found.fix == "/users/admin"


def test_admin_second_factor() -> None:
    assert judged("admin_second_factor").verdict == "pass"
    unconfirmed = {ALICE.id: GOOD_FACTORS, CAROL.id: dataclasses.replace(GOOD_FACTORS, totp=False)}
    found = judged("admin_second_factor", factors=unconfirmed)
    assert found.verdict == "warn" and "carol" in found.explanation and "alice" not in found.explanation
    suspended = {ALICE.id: GOOD_FACTORS, CAROL.id: dataclasses.replace(GOOD_FACTORS, suspended=True)}
    found = judged("admin_second_factor", factors=suspended)
    assert found.verdict == "warn" and "suspended by a reset" in found.explanation
    passkey_only = {ALICE.id: GOOD_FACTORS, CAROL.id: UserFactors(False, 1, 10, False)}
    assert judged("admin_second_factor", factors=passkey_only).verdict == "pass"


def test_recovery_codes_left() -> None:
    assert judged("recovery_codes_left").verdict == "pass"
    few = {ALICE.id: GOOD_FACTORS, CAROL.id: dataclasses.replace(GOOD_FACTORS, recovery_codes_left=1)}
    found = judged("recovery_codes_left", factors=few)
    assert found.verdict == "warn" and "carol: 1" in found.explanation
    assert judged("recovery_codes_left", factors={}).verdict == "info"  # no second factor: nothing to count


def test_stale_passkeys() -> None:
    assert judged("stale_passkeys").verdict == "pass"
    old = PasskeyFact(ALICE.id, "old key", "nas.local", NOW - 200 * DAY)
    found = judged("stale_passkeys", passkeys=(old,))
    assert found.verdict == "warn" and "'old key'" in found.explanation and "180 days" in found.explanation
    renamed = PasskeyFact(ALICE.id, "phone", "office.local", NOW - DAY)
    found = judged("stale_passkeys", passkeys=(renamed,))
    assert found.verdict == "warn" and "another name than nas.local" in found.explanation


def test_email_for_notices() -> None:
    assert judged("email_for_notices").verdict == "pass"
    found = judged("email_for_notices", users=(BUILTIN, ALICE, dataclasses.replace(CAROL, email=" "), BOB))
    assert found.verdict == "warn" and found.fix == "/users/carol"


def test_unused_accounts() -> None:
    assert judged("unused_accounts").verdict == "pass"
    found = judged("unused_accounts", last_used={ALICE.id: NOW - DAY, CAROL.id: NOW - 91 * DAY})
    assert found.verdict == "warn" and "carol, bob" in found.explanation and found.fix == "/users"
    fresh = dataclasses.replace(BOB, created_at=NOW - DAY)  # never signed in, but new
    assert judged("unused_accounts", users=(BUILTIN, ALICE, fresh), last_used={ALICE.id: NOW}).verdict == "pass"


def test_password_change_pending() -> None:
    assert judged("password_change_pending").verdict == "pass"
    given = dataclasses.replace(BOB, must_change_password=True, password_changed_at=NOW - 8 * DAY)
    found = judged("password_change_pending", users=(BUILTIN, ALICE, given))
    assert found.verdict == "warn" and found.fix == "/users/bob#set-password"
    recent = dataclasses.replace(given, password_changed_at=NOW - DAY)
    assert judged("password_change_pending", users=(BUILTIN, ALICE, recent)).verdict == "pass"


def test_awaiting_password() -> None:
    assert judged("awaiting_password").verdict == "pass"  # the built-in admin has none on purpose
    restored = dataclasses.replace(CAROL, password_hash=None)
    found = judged("awaiting_password", users=(BUILTIN, ALICE, restored))
    assert found.verdict == "warn" and found.fix == "/users/carol#set-password"


def test_auto_block() -> None:
    assert judged("auto_block").verdict == "pass"
    off = settings(auto_block_enabled=False)
    assert judged("auto_block", security=off).verdict == "fail"
    assert judged("auto_block", security=off, device_state="recovery").verdict == "warn"


@pytest.mark.parametrize(("length", "verdict"), [(12, "pass"), (20, "pass"), (10, "warn"), (8, "warn"), (6, "fail")])
def test_password_length(length: int, verdict: str) -> None:
    assert judged("password_length", security=settings(password_min_length=length)).verdict == verdict


@pytest.mark.parametrize(("minutes", "verdict"), [(15, "pass"), (30, "pass"), (60, "warn"), (121, "fail")])
def test_session_idle(minutes: int, verdict: str) -> None:
    assert judged("session_idle", security=settings(session_idle_minutes=minutes)).verdict == verdict


@pytest.mark.parametrize(("hours", "verdict"), [(12, "pass"), (1, "pass"), (24, "warn"), (72, "fail")])
def test_session_lifetime(hours: int, verdict: str) -> None:
    assert judged("session_lifetime", security=settings(session_absolute_hours=hours)).verdict == verdict


def test_recovery_window_and_its_confirmation() -> None:
    assert judged("recovery_window").verdict == "pass"
    assert judged("recovery_window", security=settings(recovery_window_minutes=60)).verdict == "warn"
    assert judged("recovery_confirmation").verdict == "pass"
    found = judged("recovery_confirmation", security=settings(recovery_button_confirmation=False))
    assert found.verdict == "fail" and found.fix == "/security#f-recovery_button_confirmation"


def test_allow_list() -> None:
    assert judged("allow_list", security=settings(allow_list=("192.168.1.0/24",))).verdict == "pass"
    assert judged("allow_list", security=settings(allow_list=("10.0.0.0/8",))).verdict == "warn"
    found = judged("allow_list", security=settings(allow_list=("0.0.0.0/0", "192.168.1.5/32")))
    assert found.verdict == "fail" and "0.0.0.0/0" in found.explanation


def test_trusted_proxies() -> None:
    assert judged("trusted_proxies").verdict == "pass"
    assert judged("trusted_proxies", security=settings(trusted_proxies=("192.168.1.2/32",))).verdict == "pass"
    found = judged("trusted_proxies", security=settings(trusted_proxies=("10.1.0.0/16",)))
    assert found.verdict == "warn" and "10.1.0.0/16" in found.explanation


def test_default_web_ports() -> None:
    assert judged("default_web_ports").verdict == "pass"
    found = judged("default_web_ports", web_ports=WebPorts())
    assert found.verdict == "info" and "5000/5001" in found.explanation and found.fix == "/network#f-https"


def test_device_ca_is_left_to_the_browser() -> None:
    found = judged("device_ca")
    assert found.verdict == "info" and found.fix == "/advisor#install-ca" and "https://nas.local" in found.explanation


def test_clock_in_sync() -> None:
    assert judged("clock_in_sync").verdict == "pass"
    assert judged("clock_in_sync", clock=ClockFacts(NOW, False, "timedatectl")).verdict == "warn"
    unknown = judged("clock_in_sync", clock=ClockFacts(NOW, None))
    assert unknown.verdict == "info" and unknown.fix == "/advisor#time-sync"
    flat_battery = judged("clock_in_sync", now=86_400.0, clock=ClockFacts(None, None))
    assert flat_battery.verdict == "fail" and "1970-01-02" in flat_battery.explanation
    went_back = judged("clock_in_sync", clock=ClockFacts(NOW + 3 * DAY, True, "chronyc"))
    assert went_back.verdict == "fail" and "went back" in went_back.explanation
    assert judged("clock_in_sync", clock=ClockFacts(NOW + 60, True, "chronyc")).verdict == "pass"  # within slack


def test_certificate_expiry() -> None:
    assert judged("certificate_expiry").verdict == "pass"
    assert judged("certificate_expiry", certificate_expires_at=NOW + 10 * DAY).verdict == "warn"
    assert judged("certificate_expiry", certificate_expires_at=NOW - DAY).verdict == "fail"
    assert judged("certificate_expiry", certificate_expires_at=None).verdict == "fail"


def test_unread_reset_report() -> None:
    assert judged("unread_reset_report").verdict == "pass"
    found = judged("unread_reset_report", unread_reset=7)
    assert found.verdict == "warn" and "#7" in found.explanation and found.fix == "/recovery/report"


def test_every_check_can_say_something_other_than_pass() -> None:
    """The tests above, in one place: on a neglected device no check passes."""
    alice = dataclasses.replace(ALICE, email="", password_hash=None, must_change_password=True)
    neglected = facts(
        users=(dataclasses.replace(BUILTIN, enabled=True), alice),
        security=settings(
            auto_block_enabled=False,
            password_min_length=8,
            session_idle_minutes=240,
            session_absolute_hours=48,
            recovery_window_minutes=90,
            recovery_button_confirmation=False,
            allow_list=("::/0",),
            trusted_proxies=("10.1.0.0/16",),
        ),
        web_ports=WebPorts(),
        factors={ALICE.id: UserFactors(False, 1, 0, suspended=True)},
        passkeys=(PasskeyFact(ALICE.id, "old", "other.local", NOW - 365 * DAY),),
        last_used={},
        certificate_expires_at=None,
        clock=ClockFacts(None, False, "timedatectl"),
        unread_reset=3,
    )
    found = {f.key: f.verdict for f in run_checks(neglected)}
    assert set(found) == CHECK_KEYS
    assert [key for key, verdict in found.items() if verdict == "pass"] == []
