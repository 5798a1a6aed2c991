"""Gathers the facts the checks judge: one read of the store, the settings, the device, and two questions to
the system (the certificate's expiry and time synchronisation)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from homeport.accounts.service import AccountService
from homeport.advisor import factor_facts
from homeport.advisor.findings import ClockFacts, Facts
from homeport.advisor.timesync import TimeSync
from homeport.core.clock import Clock
from homeport.network.service import NetworkService
from homeport.recovery import journal
from homeport.store.db import Database
from homeport.system.device import DeviceService
from homeport.system.settings import SettingsService

# The last sign-in or activity of each account: its sessions, its browsers' device tokens, and the audit log's
# successful sign-ins (which outlive both: a password change forgets the tokens, sign-out ends the session).
_LAST_USED = """
    SELECT user_id, MAX(at) FROM (
        SELECT user_id, last_seen AS at FROM sessions
        UNION ALL SELECT user_id, last_used_at FROM device_tokens
        UNION ALL SELECT u.id, a.at FROM audit_log a JOIN users u ON u.name = a.target COLLATE NOCASE
            WHERE a.action = 'auth.sign_in' AND a.outcome = 'success'
    ) GROUP BY user_id
"""


def last_used(conn: sqlite3.Connection) -> dict[int, float]:
    return {int(row[0]): float(row[1]) for row in conn.execute(_LAST_USED)}


class FactGatherer:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        accounts: AccountService,
        settings: SettingsService,
        device: DeviceService,
        network: NetworkService,
        certificate_expiry: Callable[[], float | None],
        time_sync: TimeSync,
    ) -> None:
        self._db = db
        self._clock = clock
        self._accounts = accounts
        self._settings = settings
        self._device = device
        self._network = network
        self._certificate_expiry = certificate_expiry
        self._time_sync = time_sync

    def gather(self, *, ask_time_service: bool = True) -> Facts:
        """The facts now; without `ask_time_service` (no subprocess) the clock's synchronisation is unknown."""
        synchronised, source = self._time_sync() if ask_time_service else (None, "")
        with self._db.read() as conn:
            factors = factor_facts.user_factors(conn)
            passkeys = tuple(factor_facts.passkeys(conn))
            used = last_used(conn)
            latest_record = conn.execute("SELECT MAX(at) FROM audit_log").fetchone()[0]
            reset = journal.latest(conn)
        return Facts(
            now=self._clock.now(),
            users=tuple(self._accounts.list_users()),
            security=self._settings.security(),
            device_state=self._device.state(),
            host=f"{self._device.name().lower()}.local",
            web_ports=self._network.current().web,
            factors=factors,
            passkeys=passkeys,
            last_used=used,
            certificate_expires_at=self._certificate_expiry(),
            clock=ClockFacts(None if latest_record is None else float(latest_record), synchronised, source),
            unread_reset=reset.id if reset is not None and not reset.acknowledged else None,
        )
