"""Retention over many dated backups: 7 daily, 4 weekly, 6 monthly; event backups by count and reason."""

from __future__ import annotations

import datetime as dt

from homeport.backups.retention import Dated, to_prune
from homeport.backups.settings import BackupSettings

UTC = dt.UTC
START = dt.datetime(2026, 1, 1, 3, 0, tzinfo=UTC)


def daily(days: int) -> list[Dated]:
    return [Dated(f"d{n:03}", "daily", (START + dt.timedelta(days=n)).timestamp()) for n in range(days)]


def test_a_year_of_dailies_keeps_7_days_4_weeks_6_months() -> None:
    backups = daily(365)
    pruned = set(to_prune(backups, BackupSettings(), UTC))
    kept = [b for b in backups if b.id not in pruned]
    kept_days = sorted(dt.datetime.fromtimestamp(b.created_at, UTC).date() for b in kept)
    newest = dt.date(2026, 12, 31)
    assert kept_days[-7:] == [newest - dt.timedelta(days=n) for n in range(6, -1, -1)]
    # Weekly: the newest of each of the last 4 ISO weeks; monthly: the newest of each of the last 6 months.
    months = {(d.year, d.month) for d in kept_days}
    assert months >= {(2026, m) for m in range(7, 13)} and len(kept) <= 7 + 4 + 6
    assert {dt.date(2026, 11, 30), dt.date(2026, 10, 31), dt.date(2026, 7, 31)} <= set(kept_days)
    assert dt.date(2026, 6, 30) not in kept_days


def test_settable_counts_are_followed() -> None:
    backups = daily(60)
    pruned = set(to_prune(backups, BackupSettings(keep_daily=2, keep_weekly=0, keep_monthly=0), UTC))
    assert [b.id for b in backups if b.id not in pruned] == ["d058", "d059"]


def test_event_backups_keep_the_last_n_and_the_newest_of_each_reason() -> None:
    at = START.timestamp()
    events = [Dated("update-old", "update", at)] + [Dated(f"m{n:02}", "manual", at + 100 + n) for n in range(15)]
    pruned = set(to_prune(events, BackupSettings(keep_events=10), UTC))
    assert "update-old" not in pruned  # the newest (only) update backup stays, however old
    assert pruned == {f"m{n:02}" for n in range(5)}


def test_the_newest_backup_is_never_pruned() -> None:
    old = Dated("only", "restore", START.timestamp())
    assert to_prune([old], BackupSettings(keep_events=1), UTC) == []
    assert to_prune([], BackupSettings(), UTC) == []
