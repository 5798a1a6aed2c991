"""What the advisor reads: the factor tables as m0005 made them, last use, time synchronisation, kept runs."""

from __future__ import annotations

import json

from homeport.advisor import factor_facts
from homeport.advisor.advisor import AFTER_RECOVERY, AFTER_SETUP
from homeport.advisor.facts import last_used
from homeport.advisor.timesync import chronyc_says, ntpq_says, timedatectl_says
from homeport.audit.log import SYSTEM
from homeport.recovery import journal
from homeport.services import Services
from tests.support.clock import FakeClock

CHRONY_SYNCED = """Reference ID    : C0A80101 (192.168.1.1)
Stratum         : 3
Leap status     : Normal
"""
NTPQ_HEAD = """     remote           refid      st t when poll reach   delay   offset  jitter
==============================================================================
"""


def ready(services: Services) -> tuple[int, int]:
    """A set-up device with alice (administrator) and bob; their ids."""
    services.setup.run("nas", "alice", "correct horse battery staple", SYSTEM)
    bob = services.accounts.create_user(SYSTEM, services.accounts.prepare_user("bob", "a long one for b"))
    return services.accounts.get_user("alice").id, bob.id


def test_factors_count_only_what_the_rules_say(services: Services) -> None:
    alice, bob = ready(services)
    now = services.clock.now()
    with services.db.write() as conn:
        conn.execute("INSERT INTO totp_factors (user_id, secret, confirmed, created_at) VALUES (?, x'00', 0, ?)",
                     (bob, now))  # fmt: skip
        conn.execute("INSERT INTO totp_factors (user_id, secret, confirmed, created_at) VALUES (?, x'00', 1, ?)",
                     (alice, now))  # fmt: skip
        for n, used in enumerate((None, None, now)):
            conn.execute("INSERT INTO recovery_codes (user_id, digest, created_at, used_at) VALUES (?, ?, ?, ?)",
                         (alice, f"d{n}", now, used))  # fmt: skip
        conn.execute(
            "INSERT INTO passkeys (user_id, credential_id, public_key, name, rp_id, created_at, last_used_at)"
            " VALUES (?, 'c1', x'00', 'laptop', 'nas.local', ?, NULL)", (bob, now - 10),
        )  # fmt: skip
        conn.execute("UPDATE users SET factors_suspended = 1 WHERE id = ?", (bob,))
    with services.db.read() as conn:
        found = factor_facts.user_factors(conn)
        keys = factor_facts.passkeys(conn)
    assert found[alice].totp and found[alice].recovery_codes_left == 2 and found[alice].has_second_factor
    assert not found[bob].totp and found[bob].passkeys == 1  # an unconfirmed app does not count
    assert found[bob].suspended and not found[bob].has_second_factor
    assert keys == [factor_facts.PasskeyFact(bob, "laptop", "nas.local", now - 10)]  # never used: its creation


def test_last_use_is_the_latest_sign_in_seen_anywhere(services: Services, clock: FakeClock) -> None:
    alice, bob = ready(services)
    with services.db.read() as conn:
        assert alice not in last_used(conn) and bob not in last_used(conn)
    services.audit.record_now("auth.sign_in", SYSTEM, target="BOB")  # the log keeps a sign-in after sign-out
    with services.db.write() as conn:
        conn.execute(
            "INSERT INTO device_tokens (user_id, token_hash, created_at, last_used_at) VALUES (?, 'h', ?, ?)",
            (alice, clock.now(), clock.now() + 50),
        )
    with services.db.read() as conn:
        assert last_used(conn) == {alice: clock.now() + 50, bob: clock.now()}


def test_what_the_time_services_say() -> None:
    assert timedatectl_says("yes\n") is True and timedatectl_says("no\n") is False
    assert timedatectl_says("") is None
    assert chronyc_says(CHRONY_SYNCED) is True
    assert chronyc_says(CHRONY_SYNCED.replace("Normal", "Not synchronised")) is False
    assert chronyc_says("506 Cannot talk to daemon") is None
    synced = NTPQ_HEAD + "*192.168.1.1     .GPS.   1 u   12   64  377    0.3    0.01   0.02\n"
    assert ntpq_says(synced) is True
    assert ntpq_says(synced.replace("*", " ")) is False
    assert ntpq_says(NTPQ_HEAD) is None  # no peer configured


def test_runs_by_themselves_after_setup_and_after_a_mode_2(services: Services, clock: FakeClock) -> None:
    advisor = services.advisor
    assert advisor.latest() is None
    ready(services)
    first = advisor.latest()
    assert first is not None and first.reason == AFTER_SETUP and first.actor == "system"
    assert advisor.after_state_change("ready", "recovery") is None  # only coming back into service counts
    clock.advance(10)
    with services.db.write() as conn:
        reset = journal.begin(conn, "mode2", clock.now(), {})
        journal.set_stage(conn, reset, "applied")
    clock.advance(10)
    after_mode2 = advisor.after_state_change("migratable", "ready")
    assert after_mode2 is not None and after_mode2.reason == AFTER_RECOVERY
    again = advisor.after_state_change("not-installed", "ready")  # a later setup is not that recovery again
    assert again is not None and again.reason == AFTER_SETUP
    assert advisor.after_state_change("recovery", "ready").reason == AFTER_RECOVERY  # type: ignore[union-attr]


def test_a_kept_run_from_another_version_still_reads(services: Services) -> None:
    ready(services)
    odd = {"findings": [{"key": "future", "title": "T", "verdict": "maybe", "explanation": "", "fix": "/"}, {"x": 1}]}
    with services.db.write() as conn:
        conn.execute("INSERT INTO advisor_runs (ran_at, reason, result) VALUES (1, 'old', ?)", (json.dumps(odd),))
    latest = services.advisor.latest()
    assert latest is not None and latest.findings == () and latest.reason == "old"
    after = services.advisor.run(SYSTEM, "on demand")
    assert after.changes and all(c.before is None for c in after.changes)  # every check is new to that run
