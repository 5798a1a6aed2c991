"""Which backups a volume keeps: scheduled ones by grandfather-father-son (the newest of each of the last N days,
ISO weeks and months, as restic's `forget --keep-daily/weekly/monthly`), the others (manual, before an update,
a Mode 2, a restore or a network change) by count, with the newest of each reason kept whatever the count.
The newest backup on a volume is never pruned. Pure: dates come from the manifests, the zone from the caller."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from homeport.backups.settings import BackupSettings

SCHEDULED = "daily"


@dataclass(frozen=True)
class Dated:
    id: str
    reason: str
    created_at: float


def _buckets(
    scheduled: Sequence[Dated], keep: int, bucket: Callable[[dt.datetime], object], zone: dt.tzinfo | None
) -> set[str]:
    """The newest backup in each of the `keep` newest buckets (days, weeks, months) that have one."""
    kept: set[str] = set()
    seen: set[object] = set()
    for backup in scheduled:  # newest first
        key = bucket(dt.datetime.fromtimestamp(backup.created_at, tz=zone).astimezone(zone))
        if key in seen:
            continue
        if len(seen) >= keep:
            break
        seen.add(key)
        kept.add(backup.id)
    return kept


def to_prune(backups: Sequence[Dated], rules: BackupSettings, zone: dt.tzinfo | None = None) -> list[str]:
    """The ids to remove from one volume's backups."""
    ordered = sorted(backups, key=lambda b: (b.created_at, b.id), reverse=True)
    if not ordered:
        return []
    keep = {ordered[0].id}
    scheduled = [b for b in ordered if b.reason == SCHEDULED]
    keep |= _buckets(scheduled, rules.keep_daily, lambda d: d.date(), zone)
    keep |= _buckets(scheduled, rules.keep_weekly, lambda d: d.isocalendar()[:2], zone)
    keep |= _buckets(scheduled, rules.keep_monthly, lambda d: (d.year, d.month), zone)
    others = [b for b in ordered if b.reason != SCHEDULED]
    keep |= {b.id for b in others[: rules.keep_events]}
    newest_of_reason: dict[str, str] = {}
    for backup in others:
        newest_of_reason.setdefault(backup.reason, backup.id)
    keep |= set(newest_of_reason.values())
    return [b.id for b in ordered if b.id not in keep]
