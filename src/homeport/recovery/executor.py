"""Carries out a reset, journaled and crash-safe (recovery.md, "Promises").

Each reset: (1) the intent is committed with what it will change; (2) the configuration changes in one
transaction that also marks the reset committed; (3) the idempotent apply step (network, counters,
announcement) runs and marks it applied. Power lost at any instant leaves the old or the new configuration;
a reset found committed at start-up is applied then. Data volumes are not touched, except `@homeport/`.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import structlog

from homeport.accounts import credentials
from homeport.accounts.models import ADMINISTRATORS, BUILTIN_ADMIN, USERS
from homeport.audit.log import SYSTEM, AuditLog
from homeport.auth.factors import FactorService
from homeport.auth.sessions import RECOVERY, RECOVERY_PENDING, SessionService
from homeport.auth.throttle import LoginThrottle
from homeport.backups.layout import find_backups, remove_partials
from homeport.core.clock import Clock
from homeport.network.service import NetworkService
from homeport.recovery import journal, window
from homeport.recovery.button import Decision
from homeport.store.db import Database
from homeport.system.device import DeviceService
from homeport.system.settings import SettingsService

_log = structlog.get_logger("homeport.recovery")

CRASH_VARIABLE = "HOMEPORT_TEST_CRASH_AT"
KEPT_SETTINGS = ("security.argon2", "network.current")
# What a Mode 1 report offers to put back, as it was before the reset.
RESTORABLE = ("network_snapshot", "web_ports", "auto_block_enabled", "builtin_admin_enabled")


def crash_point(step: str) -> None:
    """Test-only: die here, without any cleanup, when the crash tests ask for it (SIGKILL, like power loss)."""
    if os.environ.get(CRASH_VARIABLE) == step:
        os.kill(os.getpid(), signal.SIGKILL)


@dataclass
class RecoveryParts:
    """What the executor changes; assembled by the composition root."""

    db: Database
    clock: Clock
    device: DeviceService
    network: NetworkService
    settings: SettingsService
    sessions: SessionService
    throttle: LoginThrottle
    audit: AuditLog
    volumes: list[Path]
    feedback: Callable[[str], None]
    factors: FactorService
    # Writes a configuration backup on every volume (backups/writer.py): reason, manifest extras -> folders.
    write_backups: Callable[[str, dict[str, Any]], list[Path]]


class RecoveryExecutor:
    def __init__(self, parts: RecoveryParts) -> None:
        self.parts = parts
        self._lock = asyncio.Lock()
        self._window_timer: asyncio.TimerHandle | None = None

    # --- deciding --------------------------------------------------------------------------------------

    async def run(self, decision: Decision) -> int:
        async with self._lock:
            self.parts.feedback("applying")
            if decision is Decision.MODE_1:
                reset_id = await self._mode_1()
            else:
                reset_id = await self._mode_2()
            return reset_id

    async def resume(self) -> None:
        """At start-up: finish what a crash interrupted; then keep the recovery window's deadline."""
        p = self.parts
        with p.db.write() as conn:
            remove_partials(p.volumes)
            pending = journal.unfinished(conn)
            for reset in pending:
                if reset.stage == "intended":
                    journal.set_stage(conn, reset.id, "abandoned")
                    p.audit.record(conn, f"recovery.{reset.mode}", SYSTEM, outcome="abandoned", reset=reset.id)
        for reset in pending:
            if reset.stage == "committed":
                _log.warning("finishing an interrupted reset", reset=reset.id, mode=reset.mode)
                await self._apply(reset.id, reset.mode)
        self._follow_window()
        await self.refresh_migratable()

    # --- Mode 1 ----------------------------------------------------------------------------------------

    async def _mode_1(self) -> int:
        p = self.parts
        now = p.clock.now()
        with p.db.read() as conn:
            admin = conn.execute("SELECT enabled FROM users WHERE name = ?", (BUILTIN_ADMIN,)).fetchone()
            earlier = _open_recovery(conn, now)
        security = p.settings.security()
        before: dict[str, Any] = {
            "network_snapshot": p.network.current_id(),
            "web_ports": [p.network.current().web.http, p.network.current().web.https],
            "auto_block_enabled": security.auto_block_enabled,
            "builtin_admin_enabled": bool(admin[0]) if admin else False,
        }
        if earlier is not None:
            # A reset while a recovery window is open continues that recovery: what the owner gets back is
            # what there was before the first reset, not the reset state of the second.
            before.update({k: earlier.before[k] for k in RESTORABLE if k in earlier.before})
            before["continues"] = earlier.id
        with p.db.write() as conn:
            reset_id = journal.begin(conn, "mode1", now, before)
        crash_point("mode1:intended")
        with p.db.write() as conn:
            before["network_reset_snapshot"] = p.network.stage_defaults(conn, f"Mode 1 reset #{reset_id}")
            p.settings.update_security(conn, {"auto_block_enabled": False})
            before["sessions_ended"] = p.sessions.end_all(conn)
            # No browser skips a second step after a reset: whoever held the device meanwhile may have had one.
            before["remembered_browsers_forgotten"] = p.factors.remembered.forget_all(conn)
            closes = None
            if p.device.state_in(conn) in ("ready", "recovery"):  # a device with administrators to recover
                closes = window.open_window(conn, reset_id, now, security.recovery_window_minutes).closes_at
                p.device.set_state(conn, "recovery")
            journal.update_before(conn, reset_id, before)
            journal.set_stage(conn, reset_id, "committed")
            p.audit.record(conn, "recovery.mode1", SYSTEM, target=f"#{reset_id}", window_closes=closes)
        crash_point("mode1:committed")
        await self._apply(reset_id, "mode1")
        return reset_id

    # --- Mode 2 ----------------------------------------------------------------------------------------

    async def _mode_2(self) -> int:
        p = self.parts
        now = p.clock.now()
        with p.db.write() as conn:
            reset_id = journal.begin(conn, "mode2", now, {})
        crash_point("mode2:intended")
        backups = await asyncio.to_thread(self._write_backups, reset_id)
        crash_point("mode2:backed-up")
        with p.db.write() as conn:
            snapshot = p.network.stage_defaults(conn, f"Mode 2 reset #{reset_id}")
            ended = p.sessions.end_all(conn)
            _factory_reset(conn)
            p.device.set_state(conn, "migratable" if backups else "not-installed")
            journal.update_before(
                conn, reset_id, {"backups": [str(b) for b in backups], "network_reset_snapshot": snapshot,
                                 "sessions_ended": ended},
            )  # fmt: skip
            journal.set_stage(conn, reset_id, "committed")
            p.audit.record(conn, "recovery.mode2", SYSTEM, target=f"#{reset_id}", backups=[str(b) for b in backups])
        p.settings.invalidate()
        p.device.invalidate()
        crash_point("mode2:committed")
        await self._apply(reset_id, "mode2")
        return reset_id

    def _write_backups(self, reset_id: int) -> list[Path]:
        return self.parts.write_backups("mode2", {"reset": reset_id})

    # --- applying (idempotent) -------------------------------------------------------------------------

    async def _apply(self, reset_id: int, mode: str) -> None:
        p = self.parts
        await p.network.realise_current()
        p.throttle.clear()
        crash_point(f"{mode}:realised")
        with p.db.write() as conn:
            journal.set_stage(conn, reset_id, "applied")
        self._follow_window()
        p.feedback("recovery" if mode == "mode1" else "ready")
        _log.warning("reset applied", reset=reset_id, mode=mode, state=p.device.state())

    # --- the recovery window ---------------------------------------------------------------------------

    def _follow_window(self) -> None:
        """Close the window at its deadline (now, if it has passed)."""
        if self._window_timer is not None:
            self._window_timer.cancel()
        with self.parts.db.read() as conn:
            opened = window.current(conn)
        if opened is None:
            return
        delay = max(0.0, opened.closes_at - self.parts.clock.now())
        loop = asyncio.get_running_loop()
        self._window_timer = loop.call_later(delay, self.close_window_if_due)

    def close_window_if_due(self) -> bool:
        p = self.parts
        with p.db.write() as conn:
            opened = window.current(conn)
            if opened is None or opened.closes_at > p.clock.now():
                return False
            window.close(conn, p.settings, p.audit, "the recovery window closed")
            for kind in (RECOVERY, RECOVERY_PENDING):  # their one action is no longer possible
                for session in p.sessions.of_kind(conn, kind):
                    p.sessions.end(session.id, conn)
            if p.device.state_in(conn) == "recovery":
                p.device.set_state(conn, "ready")
            p.audit.record(conn, "recovery.window_closed", SYSTEM, target=f"#{opened.reset_id}", reason="expired")
        p.feedback("ready")
        return True

    async def refresh_migratable(self) -> None:
        """A fresh device that finds a configuration backup on a volume offers it: state `migratable`."""
        p = self.parts
        if p.device.state() != "not-installed":
            return
        if await asyncio.to_thread(find_backups, p.volumes):
            with p.db.write() as conn:
                if p.device.state_in(conn) == "not-installed":
                    p.device.set_state(conn, "migratable")

    def close(self) -> None:
        if self._window_timer is not None:
            self._window_timer.cancel()


def _open_recovery(conn: Any, now: float) -> journal.Reset | None:
    """The Mode 1 reset whose recovery window is still open, if any."""
    opened = window.current(conn)
    if opened is None or not opened.open_at(now):
        return None
    return journal.find(conn, opened.reset_id)


def _factory_reset(conn: Any) -> None:
    """Configuration back to factory, in the caller's transaction. Kept: the audit log, the journal, the
    network snapshots and leases (history), the Argon2 parameters and the serial number (in the home)."""
    conn.execute("DELETE FROM memberships")
    conn.execute("DELETE FROM users WHERE builtin = 0")
    conn.execute("UPDATE users SET enabled = 0, email = '', full_name = 'Built-in administrator' WHERE builtin = 1")
    for (builtin_id,) in conn.execute("SELECT id FROM users WHERE builtin = 1").fetchall():
        credentials.clear_password(conn, int(builtin_id))
        # Deleted accounts take their second factors with them; the built-in admin, kept, loses its own too.
        for table in ("totp_factors", "recovery_codes", "passkeys", "remembered_browsers"):
            conn.execute(f"DELETE FROM {table} WHERE user_id = ?", (int(builtin_id),))  # noqa: S608 - fixed names
    conn.execute("UPDATE users SET factors_suspended = 0")
    conn.execute("DELETE FROM groups WHERE builtin = 0")
    conn.execute(
        "INSERT INTO memberships (user_id, group_id) SELECT u.id, g.id FROM users u, groups g"
        " WHERE u.builtin = 1 AND g.name IN (?, ?)",
        (ADMINISTRATORS, USERS),
    )
    placeholders = ",".join("?" * len(KEPT_SETTINGS))
    conn.execute(f"DELETE FROM settings WHERE key NOT IN ({placeholders})", KEPT_SETTINGS)  # noqa: S608
    # Shared folders go from the configuration; their folders and files stay on the volumes (to attach again, or
    # to come back with the backup's restore).
    conn.execute("DELETE FROM shares")
    conn.execute("DELETE FROM blocked_addresses")
