"""When the daily backup runs: the chosen local time, and a catch-up at start for a device that was off."""

from __future__ import annotations

import datetime as dt

from homeport.audit.log import Actor
from homeport.backups.schedule import DAY, catch_up_due, next_daily
from homeport.backups.scheduler import BackupScheduler
from homeport.services import Services
from tests.support.clock import FakeClock

ZONE = dt.timezone(dt.timedelta(hours=2))


def at(text: str) -> float:
    return dt.datetime.fromisoformat(text).replace(tzinfo=ZONE).timestamp()


def test_next_daily_is_the_next_local_time_of_day() -> None:
    assert next_daily(at("2026-05-01T01:00"), 3, 0, ZONE) == at("2026-05-01T03:00")
    assert next_daily(at("2026-05-01T03:00"), 3, 0, ZONE) == at("2026-05-02T03:00")
    assert next_daily(at("2026-05-01T23:59"), 0, 0, ZONE) == at("2026-05-02T00:00")


def test_catch_up_when_the_last_daily_is_over_a_day_old() -> None:
    now = at("2026-05-01T12:00")
    assert catch_up_due(now, None) and catch_up_due(now, now - DAY - 1)
    assert not catch_up_due(now, now - DAY + 60)


def ready(services: Services) -> None:
    with services.db.write() as conn:
        services.device.set_state(conn, "ready")


def test_the_scheduler_runs_at_the_time_and_catches_up_at_start(services: Services, clock: FakeClock) -> None:
    clock._now = at("2026-05-01T10:00")
    in_service = [False]
    scheduler = BackupScheduler(services.backups, clock, lambda: in_service[0], zone=ZONE)
    assert scheduler.catch_up() is False  # not in service yet (before setup): nothing to back up
    in_service[0] = True
    assert scheduler.catch_up() is True
    assert scheduler.catch_up() is False  # the last daily is now fresh
    assert scheduler.next_due() == at("2026-05-02T03:00")
    clock.advance(17 * 3600 - 1)
    assert scheduler.tick() is False
    clock.advance(1)
    assert scheduler.tick() is True and scheduler.next_due() == at("2026-05-03T03:00")
    services.backups.change_settings(Actor("alice"), {"daily_at": "05:30"})
    assert scheduler.next_due() == at("2026-05-02T05:30")
    assert [b.reason for b in services.backups.backups()] == ["daily", "daily"]


def test_a_device_that_was_off_makes_its_daily_at_the_next_start(services: Services, clock: FakeClock) -> None:
    clock._now = at("2026-05-01T10:00")
    BackupScheduler(services.backups, clock, lambda: True, zone=ZONE).catch_up()
    clock.advance(3 * DAY)  # off over three nights
    restarted = BackupScheduler(services.backups, clock, lambda: True, zone=ZONE)
    assert restarted.catch_up() is True
    assert len(services.backups.backups()) == 2


def test_a_clock_set_back_does_not_postpone_the_daily(services: Services, clock: FakeClock) -> None:
    clock._now = at("2026-05-10T10:00")
    scheduler = BackupScheduler(services.backups, clock, lambda: True, zone=ZONE)
    assert scheduler.next_due() == at("2026-05-11T03:00")
    clock._now = at("2026-05-01T10:00")  # an RTC without battery, then time sync the wrong way
    assert scheduler.next_due() == at("2026-05-02T03:00")
