"""When the daily backup is due: at a local time of day, and at start when the last one is older than a day
(the device was off, or asleep, at the time). Pure: the clock and the time zone come from the caller."""

from __future__ import annotations

import datetime as dt

DAY = 24 * 3600


def next_daily(now: float, hour: int, minute: int, zone: dt.tzinfo | None = None) -> float:
    """The next moment, strictly after `now`, that reads `hour:minute` on the local clock (a time that a DST jump
    skips runs at the same offset after the jump, as cron does not; it still runs that day)."""
    local = dt.datetime.fromtimestamp(now, tz=zone).astimezone(zone)
    candidate = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if candidate.timestamp() <= now:
        candidate = (candidate + dt.timedelta(days=1)).replace(hour=hour, minute=minute)
    return candidate.timestamp()


def catch_up_due(now: float, last_daily: float | None) -> bool:
    """At start: a daily backup now if none was made in the last 24 hours (or ever)."""
    return last_daily is None or now - last_daily >= DAY or last_daily > now + DAY  # a clock set far back
