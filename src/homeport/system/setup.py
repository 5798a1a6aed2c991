"""First run: the setup wizard's one operation, and the way out of the `damaged` state."""

from __future__ import annotations

import sqlite3

from homeport.accounts.models import ADMINISTRATORS, User
from homeport.accounts.service import AccountService
from homeport.audit.log import Actor, AuditLog
from homeport.core.errors import Conflict, Problems
from homeport.store.db import Database
from homeport.system.device import DeviceService, check_device_name


class SetupService:
    def __init__(self, db: Database, device: DeviceService, accounts: AccountService, audit: AuditLog) -> None:
        self._db = db
        self._device = device
        self._accounts = accounts
        self._audit = audit

    def _require_not_installed(self, conn: sqlite3.Connection | None = None) -> None:
        """Setup runs on a fresh device, or on one that found a configuration backup and may start fresh."""
        state = self._device.state() if conn is None else self._device.state_in(conn)
        if state not in ("not-installed", "migratable"):
            raise Conflict(
                f"Setup runs only on a device that is not installed; this one is '{state}'.",
                code="not_setup_state",
            )

    def run(self, name: str, username: str, password: str, actor: Actor) -> User:
        """Name the device and create its first administrator, then the device is `ready`."""
        self._require_not_installed()
        problems = Problems()
        with problems.collect():
            check_device_name(name)
        new = None
        with problems.collect(prefix="admin.", rename={"name": "username"}):
            new = self._accounts.prepare_user(username, password, groups=(ADMINISTRATORS,))
        problems.check("Setup is not complete; see the fields.")
        assert new is not None
        with self._db.write() as conn:
            self._require_not_installed(conn)
            user = self._accounts.insert_user(conn, new, actor)
            self._device.set_name(conn, name)
            self._device.set_state(conn, "ready")
            self._audit.record(conn, "system.setup", actor, target=name, administrator=user.name)
        return user

    def start_fresh(self, actor: Actor) -> None:
        """Leave `damaged` for `not-installed` (root's decision; the damaged file stays in quarantine)."""
        with self._db.write() as conn:
            if self._device.state_in(conn) != "damaged":
                raise Conflict("The store is not damaged; there is nothing to start afresh.", code="not_damaged")
            self._device.set_state(conn, "not-installed")
            self._audit.record(conn, "system.start_fresh", actor)
