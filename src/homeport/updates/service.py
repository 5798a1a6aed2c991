"""Updates: build the release beside the running one, preflight it, back up, switch, restart into a trial; the
trial commits or hands the rollback to the supervisor; the old release, started again, says why.

Seams for the other parts of the update story, injected by the composition root:
- `backup(folder)`: the configuration backup made before the switch (default: the store into the update's folder;
  the backups part plugs in its own, which must return the store file the rollback restores);
- `checks`: extra trial checks (SMB canary sign-in, mDNS, network unchanged);
- the administrators are told through `NoticeRaised` on the bus (update.committed / rolled_back / failed).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import structlog

from homeport import __version__
from homeport.accounts.passwords import Argon2Parameters
from homeport.accounts.service import AccountService
from homeport.audit.log import SYSTEM, Actor, AuditLog
from homeport.auth.sealing import Sealer
from homeport.core.clock import Clock, SystemClock
from homeport.core.errors import Conflict, HomeportError, OperationFailed
from homeport.core.events import EventBus, NoticeRaised
from homeport.core.ids import new_token
from homeport.store.backup import backup_to
from homeport.store.db import Database
from homeport.updates import supervisor
from homeport.updates.preflight import run_preflight
from homeport.updates.releases import Release, ReleaseRoot, running_release, source_of
from homeport.updates.restart import RestartRequest, install_supervisor, serve_arguments, supervised
from homeport.updates.trial import Trial, remove_trial_account
from homeport.updates.uploads import ReleaseUploads

_log = structlog.get_logger("homeport.updates")

DEFAULT_TRIAL_SECONDS = 120.0
LOG_LINES_KEPT = 60
Severity = Literal["info", "warning", "critical"]
ConfigurationBackup = Callable[[Path], Path]
"""Make the configuration backup taken before a switch in `folder`; returns the store copy a rollback restores."""


@dataclass(frozen=True)
class UpdateStatus:
    enabled: bool
    version: str
    release: str | None
    releases: list[Release]
    supervised: bool
    last: dict[str, Any] | None = field(default=None)


class UpdateService:
    def __init__(
        self, home: Path, root: ReleaseRoot | None, db: Database, audit: AuditLog, bus: EventBus, sealer: Sealer,
        argon2: Argon2Parameters, accounts: AccountService, trial: Trial,
        *, trial_seconds: float = DEFAULT_TRIAL_SECONDS, backup: ConfigurationBackup | None = None,
        clock: Clock | None = None,
    ) -> None:  # fmt: skip
        self.home = home
        self.root = root
        self.restart = RestartRequest()
        self.trial_seconds = trial_seconds
        self._db = db
        self._audit = audit
        self._bus = bus
        self._sealer = sealer
        self._argon2 = argon2
        self._accounts = accounts
        self.trial = trial
        self._backup = backup or self._store_backup
        # Set once every service exists: the configuration backup on the volumes and the services' snapshot,
        # made in the update's folder just before its own store copy.
        self.before_switch: Callable[[Path], None] | None = None
        self._busy = threading.Lock()
        self.uploads = ReleaseUploads(self.folder / "uploads", clock or SystemClock())
        self._task: asyncio.Task[None] | None = None

    @property
    def folder(self) -> Path:
        return self.home / "updates"

    def journal(self) -> dict[str, Any] | None:
        return supervisor.read_json(supervisor.journal_path(self.home))

    def status(self) -> UpdateStatus:
        running = running_release(self.root.root) if self.root else None
        return UpdateStatus(
            enabled=self.root is not None,
            version=__version__,
            release=running.name if running else None,
            releases=self.root.kept() if self.root else [],
            supervised=supervised(),
            last=self.journal(),
        )

    # --- staging and switching (in a worker thread: a build takes tens of seconds) ----------------------

    def update(self, source: Path, actor: Actor, *, prepared: Callable[[], None] | None = None) -> dict[str, Any]:
        """Build, preflight, back up, switch; the restart follows the answer. Raises with what failed.

        `prepared` runs once the update was tried (switched or refused), not when another one was in the way."""
        if self.root is None:
            raise Conflict(
                "Updates are off: start Homeport with --releases DIR (the folder its releases live in).",
                code="updates_off",
            )
        if not self._busy.acquire(blocking=False):
            raise Conflict("An update is being prepared already; wait for its outcome.", code="update_running")
        try:
            journal = self.journal()
            if journal is not None and journal.get("state") in supervisor.ACTIVE_STATES:
                raise Conflict(f"An update is in its '{journal['state']}' step; wait for it.", code="update_running")
            try:
                return self._update(self.root, source, actor)
            finally:
                if prepared is not None:
                    prepared()
        finally:
            self._busy.release()

    def _update(self, root: ReleaseRoot, source_path: Path, actor: Actor) -> dict[str, Any]:
        source = source_of(source_path)
        update_id = time.strftime("%Y%m%dT%H%M%S", time.gmtime()) + "-" + new_token()[:6]
        folder = self.folder / update_id
        folder.mkdir(mode=0o700, parents=True)
        log: list[str] = [f"Update {update_id}: {__version__} -> {source.version} from {source.wheel}"]
        previous = running_release(root.root)
        journal: dict[str, Any] = {
            "id": update_id, "from_version": __version__, "to_version": source.version, "actor": actor.name,
            "from_release": str(previous) if previous else None, "to_release": str(root.new_folder(source)),
            "trial_seconds": self.trial_seconds, "attempts": 0, "reason": "", "started_at": time.time(), "log": log,
            "services_before": self.trial.running_now(),
        }  # fmt: skip
        journal = supervisor.set_state(self.home, journal, "preparing")  # a crash from here on is cleaned at start
        try:
            self._step(journal, log, "Building the release beside the running one")
            release = root.build(source, Path(journal["to_release"]), log)
            self._step(journal, log, f"Built {release.name}; checking it on a store copy with canary credentials")
            result = run_preflight(self._db, self.home, self._sealer, self._argon2, release.path / "venv", folder)
            if not result.ok:
                root.discard(release)
                log.append(f"Preflight failed: {result.summary()}")
                raise Conflict(
                    f"The release {source.version} failed its preflight and was removed; nothing changed. "
                    f"{result.summary()}.",
                    code="preflight_failed",
                )
            self._step(journal, log, "Preflight passed; backing up the configuration")
            if self.before_switch is not None:
                self.before_switch(folder)
            backup = self._backup(folder)
        except HomeportError as exc:
            self._failed(journal, log, exc.message, actor)
            raise
        except (OSError, sqlite3.Error) as exc:  # a full disk, an unreadable folder: said, and nothing changed
            root.discard_path(Path(journal["to_release"]))
            why = f"the update could not be prepared ({type(exc).__name__}: {exc}); nothing changed"
            self._failed(journal, log, why, actor)
            raise OperationFailed(f"The {why}.") from exc
        install_supervisor(root.root, self.home, serve_arguments(_argv()), self.trial_seconds)
        log.append(f"Switching to {release.name} and restarting into its trial")
        journal = supervisor.set_state(self.home, journal, "switching", backup=str(backup), log=log[-LOG_LINES_KEPT:])
        supervisor.switch_link(root.root, release.path)
        self._audit.record_now("update.switched", actor, target=source.version, release=release.name)
        self.restart.request()
        return journal

    def _step(self, journal: dict[str, Any], log: list[str], line: str) -> None:
        """A line of progress, in the journal at once (`homeport update` and the Updates page show it)."""
        log.append(line)
        supervisor.write_json(supervisor.journal_path(self.home), {**journal, "log": log[-LOG_LINES_KEPT:]})

    def _store_backup(self, folder: Path) -> Path:
        with self._db.read() as conn:
            return backup_to(conn, folder / "store-before-update.sqlite")

    def _failed(self, journal: dict[str, Any], log: list[str], why: str, actor: Actor) -> None:
        supervisor.set_state(self.home, journal, "failed", reason=why, log=log[-LOG_LINES_KEPT:], reported=True)
        self._audit.record_now("update.failed", actor, target=str(journal["to_version"]), outcome="failure", reason=why)
        self._notify("update.failed", f"The update to {journal['to_version']} did not start", why, "warning")

    # --- at start: the trial, or the report of a rollback -----------------------------------------------

    async def start(self) -> None:
        """After the services started: clear a crashed trial's account, then trial, commit or report."""
        await asyncio.to_thread(remove_trial_account, self._db, self._accounts)
        await asyncio.to_thread(self._tidy)
        journal = self.journal()
        if journal is None or self.root is None:
            return
        state = journal.get("state")
        running = running_release(self.root.root)
        if state == "trial" and running is not None and _same(running, journal["to_release"]):
            self._task = asyncio.create_task(self._run_trial(journal))
        elif state == "rolled-back" and not journal.get("reported"):
            self._report_rollback(journal)
        elif state == "preparing":  # the daemon stopped (a crash, power loss) before the switch: nothing changed
            if journal.get("to_release"):
                await asyncio.to_thread(self.root.discard_path, Path(journal["to_release"]))
            why = "the device stopped while the update was being prepared; nothing changed"
            self._failed(journal, list(journal.get("log", [])), why, SYSTEM)

    def _tidy(self) -> None:
        """What a preflight killed halfway leaves: its store copy and test credentials, an unfinished build."""
        for leftover in [*self.folder.glob("*/canaries.json"), *self.folder.glob("*/preflight-store.sqlite*")]:
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()
        # A refused update's empty folder (named by its time, e.g. 20261201T073000-ab12cd; never `uploads`)
        for folder in self.folder.glob("2*T*") if self.folder.is_dir() else []:
            with contextlib.suppress(OSError):
                folder.rmdir()  # only if empty
        if self.root is not None:
            self.root.discard_unfinished()
            self.root.discard_failed()
        self.uploads.clean_stale()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run_trial(self, journal: dict[str, Any]) -> None:
        try:
            problem = await self.trial.run(dict(journal.get("services_before") or {}))
        except Exception as exc:
            problem = f"the trial could not run ({type(exc).__name__})"
        if problem is None:
            await asyncio.to_thread(self._commit, journal)
        else:
            _log.warning("the update's trial failed; rolling back", reason=problem)
            self._audit.record_now("update.trial_failed", SYSTEM, target=journal["to_version"], outcome="failure",
                                   reason=problem)  # fmt: skip
            supervisor.set_state(self.home, journal, "rolling-back", reason=f"the trial failed: {problem}")
            self.restart.request(delay=0.0)

    def _commit(self, journal: dict[str, Any]) -> None:
        supervisor.set_state(self.home, journal, "committed", reported=True)
        self._audit.record_now(
            "update.committed", SYSTEM, target=journal["to_version"], from_version=journal["from_version"]
        )
        self._notify(
            "update.committed", f"Homeport was updated to {journal['to_version']}",
            f"The update from {journal['from_version']} passed its trial (sign-in and services) and was kept.", "info",
        )  # fmt: skip
        if self.root is not None:
            previous = journal.get("from_release")
            self.root.prune(Path(previous) if previous else None)

    def _report_rollback(self, journal: dict[str, Any]) -> None:
        why = journal.get("reason") or "the new release did not pass its trial"
        self._audit.record_now("update.rolled_back", SYSTEM, target=journal.get("to_version", ""), outcome="failure",
                               reason=why)  # fmt: skip
        self._notify(
            "update.rolled_back", f"The update to {journal.get('to_version')} was rolled back",
            f"Homeport {__version__} runs again with the configuration from before the update. Why: {why}.", "warning",
        )  # fmt: skip
        supervisor.set_state(self.home, journal, "rolled-back", reported=True)

    def _notify(self, kind: str, title: str, body: str, severity: Severity) -> None:
        self._bus.publish(NoticeRaised(kind=kind, title=title, body=body, severity=severity))


def _same(release: Path, other: str) -> bool:
    return os.path.realpath(release) == os.path.realpath(other)


def _argv() -> list[str]:
    import sys

    return list(sys.argv)
