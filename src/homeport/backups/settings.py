"""The backup schedule and retention, kept in the settings table (key `backups`), validated as one."""

from __future__ import annotations

import re
import sqlite3
from dataclasses import asdict, dataclass, replace
from typing import Any

from homeport.core.errors import Problems
from homeport.system.settings import read_value, write_value

SETTINGS_KEY = "backups"
RECIPIENT_KEY = "backups.recipient"  # the public key and wrapped private key (keys.py); absent: keys left out
TIME_OF_DAY = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")
LIMITS = {"keep_daily": (1, 90), "keep_weekly": (0, 52), "keep_monthly": (0, 60), "keep_events": (1, 100)}


@dataclass(frozen=True)
class BackupSettings:
    daily_at: str = "03:00"  # local time
    keep_daily: int = 7
    keep_weekly: int = 4
    keep_monthly: int = 6
    keep_events: int = 10  # per volume, over every reason but the schedule; the newest of each reason stays too
    keys_left_out: bool = False  # the owner chose to keep key material out of the backups

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def hour_minute(self) -> tuple[int, int]:
        hour, minute = self.daily_at.split(":")
        return int(hour), int(minute)


def load(conn: sqlite3.Connection) -> BackupSettings:
    stored = read_value(conn, SETTINGS_KEY) or {}
    known = {k: v for k, v in stored.items() if k in BackupSettings.__dataclass_fields__}
    return BackupSettings(**known)


def validated(current: BackupSettings, changes: dict[str, Any]) -> BackupSettings:
    problems = Problems()
    if "daily_at" in changes and not TIME_OF_DAY.fullmatch(str(changes["daily_at"])):
        problems.add("daily_at", "Give the time of day as HH:MM, 24-hour (e.g. 03:00).")
    for name, (low, high) in LIMITS.items():
        if name in changes:
            value = changes[name]
            if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
                problems.add(name, f"Give a whole number from {low} to {high}.")
    if "keys_left_out" in changes and not isinstance(changes["keys_left_out"], bool):
        problems.add("keys_left_out", "Give true or false.")
    unknown = sorted(set(changes) - set(BackupSettings.__dataclass_fields__))
    for name in unknown:
        problems.add(name, "There is no such backup setting.")
    problems.check("Some backup settings are not valid; see the fields.")
    return replace(current, **changes)


def save(conn: sqlite3.Connection, settings: BackupSettings) -> None:
    write_value(conn, SETTINGS_KEY, settings.as_dict())


def recipient(conn: sqlite3.Connection) -> dict[str, Any] | None:
    value = read_value(conn, RECIPIENT_KEY)
    return value if isinstance(value, dict) else None
