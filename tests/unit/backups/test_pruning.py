"""Retention on the volume itself: old backups leave whole (never a half folder), the newest and the newest of each
reason stay, and the removal is in the log."""

from __future__ import annotations

from homeport.audit.log import Actor
from homeport.backups.layout import config_folder
from homeport.services import Services
from tests.support.clock import FakeClock

DAY = 24 * 3600


def test_a_month_of_dailies_on_the_volume_is_pruned_to_the_rules(services: Services, clock: FakeClock) -> None:
    services.backups.change_settings(Actor("alice"), {"keep_daily": 3, "keep_weekly": 0, "keep_monthly": 0})
    services.backups.create("update")
    for _ in range(30):
        clock.advance(DAY)
        services.backups.create("daily")
    found = services.backups.backups()
    assert [b.reason for b in found] == ["daily", "daily", "daily", "update"]
    assert [round(found[0].created_at - b.created_at) for b in found[:3]] == [0, DAY, 2 * DAY]
    folder = config_folder(services.volumes.paths[0])
    assert sorted(p.name for p in folder.iterdir()) == sorted(b.path.name for b in found)  # no .partial left
    assert services.audit.query(action="backup.pruned")
