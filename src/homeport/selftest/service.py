"""The self-test on demand and after package changes: runs the checks, keeps the last result (and the last package
change's) in the settings table, raises the console banner and the administrators' notice when a package change
broke something, and lowers the banner at the next passing self-test or when an administrator dismisses it."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import structlog

from homeport.audit.log import Actor, AuditLog
from homeport.core.clock import Clock
from homeport.core.errors import NotFound
from homeport.core.events import EventBus, NoticeRaised
from homeport.selftest.checks import TITLES, CheckResult, run_checks
from homeport.selftest.packages import APT_ARCHIVES, DPKG_LOG, LogPosition, PackageChange, read_changes, with_way_back
from homeport.store.db import Database
from homeport.system.settings import read_value, write_value

if TYPE_CHECKING:
    from homeport.services import Services

_log = structlog.get_logger("homeport.selftest")

LAST_KEY = "selftest.last"
LAST_PACKAGES_KEY = "selftest.last_package_change"
BANNER_KEY = "selftest.banner"
POSITION_KEY = "selftest.dpkg_position"
NOTICE_KIND = "packages.selftest_failed"
NOTICE_LISTS = 12  # packages named in a notice (a big upgrade says how many more)
# Packages whose change means the running smbd may no longer be the one on disk: Samba's own, and libraries.
SMB_RELATED = ("samba", "smbclient", "libsmbclient", "libwbclient", "python3-samba", "libnss-wrapper", "lib")


@dataclass(frozen=True)
class SelfTestRun:
    at: float
    actor: str
    after_package_change: bool
    ok: bool
    seconds: float
    checks: tuple[CheckResult, ...]
    changes: tuple[PackageChange, ...] = ()

    @property
    def failed(self) -> tuple[CheckResult, ...]:
        return tuple(c for c in self.checks if not c.ok)

    def as_dict(self) -> dict[str, Any]:
        return {
            "at": self.at, "actor": self.actor, "after_package_change": self.after_package_change, "ok": self.ok,
            "seconds": self.seconds, "checks": [c.as_dict() for c in self.checks],
            "changes": [c.as_dict() for c in self.changes],
        }  # fmt: skip

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SelfTestRun:
        return cls(
            at=float(data["at"]), actor=str(data["actor"]), after_package_change=bool(data["after_package_change"]),
            ok=bool(data["ok"]), seconds=float(data.get("seconds", 0)),
            checks=tuple(CheckResult.from_dict(c) for c in data.get("checks", [])),
            changes=tuple(PackageChange.from_dict(c) for c in data.get("changes", [])),
        )  # fmt: skip


@dataclass(frozen=True)
class SelfTestPaths:
    """Where the package facts are (tests point them at files of their own)."""

    dpkg_log: Path = DPKG_LOG
    archives: Path = APT_ARCHIVES
    kept: Path | None = None  # copies of replaced packages kept by Homeport, if any
    apt_hook: Path | None = None  # where the apt snippet was written (None: not installed)
    apt_hook_problem: str = ""  # why it could not be written


@dataclass
class SelfTestService:
    db: Database
    clock: Clock
    audit: AuditLog
    bus: EventBus
    paths: SelfTestPaths = field(default_factory=SelfTestPaths)
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock, init=False, repr=False)

    def start(self) -> None:
        """At start: remember where dpkg's log ends, so the first run after install counts changes from here on."""
        if self._position() is None:
            _, position = read_changes(self.paths.dpkg_log, None)
            if position is not None:
                self._remember(position)

    def with_apt_hook(self, path: Path | None, problem: str = "") -> None:
        """What `homeport serve --apt-hook` did, for the page."""
        self.paths = dataclasses.replace(self.paths, apt_hook=path, apt_hook_problem=problem)

    async def run(self, services: Services, actor: Actor, *, after_package_change: bool = False) -> SelfTestRun:
        """One self-test at a time (a second caller waits for the first to end, then runs its own)."""
        async with self._lock:
            started = time.monotonic()
            changes: list[PackageChange] = []
            if after_package_change:
                changes = await asyncio.to_thread(self._take_changes)
            restart = any(c.package.startswith(SMB_RELATED) for c in changes)
            checks = await run_checks(services, None, restart_smb=restart)
            run = SelfTestRun(
                at=self.clock.now(), actor=actor.name, after_package_change=after_package_change,
                ok=all(c.ok for c in checks), seconds=round(time.monotonic() - started, 2), checks=tuple(checks),
                changes=tuple(changes),
            )  # fmt: skip
            await asyncio.to_thread(self._record, run, actor)
            if after_package_change and not run.ok:
                self.bus.publish(_notice(run))
            return run

    def _position(self) -> LogPosition | None:
        """Where the last look at dpkg's log ended (None: never looked, or at another log)."""
        with self.db.read() as conn:
            known = read_value(conn, POSITION_KEY)
        if not known or known.get("log") != str(self.paths.dpkg_log):
            return None
        return LogPosition.from_dict(known)

    def _remember(self, position: LogPosition) -> None:
        with self.db.write() as conn:
            write_value(conn, POSITION_KEY, {"log": str(self.paths.dpkg_log), **position.as_dict()})

    def _take_changes(self) -> list[PackageChange]:
        changes, position = read_changes(self.paths.dpkg_log, self._position())
        if position is not None:
            self._remember(position)
        return [with_way_back(c, self.paths.archives, self.paths.kept) for c in changes]

    def _record(self, run: SelfTestRun, actor: Actor) -> None:
        with self.db.write() as conn:
            write_value(conn, LAST_KEY, run.as_dict())
            if run.after_package_change:
                write_value(conn, LAST_PACKAGES_KEY, run.as_dict())
            if run.ok:
                conn.execute("DELETE FROM settings WHERE key = ?", (BANNER_KEY,))
            elif run.after_package_change:
                write_value(conn, BANNER_KEY, run.as_dict())
            self.audit.record(
                conn, "system.selftest", actor, outcome="success" if run.ok else "failure",
                target="after a package change" if run.after_package_change else "on demand",
                failed=[c.name for c in run.failed], packages=[f"{c.package} {c.new or '(removed)'}"
                                                              for c in run.changes][:50],
            )  # fmt: skip
        if not run.ok:
            _log.warning("self-test failed", failed=[c.name for c in run.failed], packages=len(run.changes))

    def _stored(self, key: str) -> SelfTestRun | None:
        with self.db.read() as conn:
            value = read_value(conn, key)
        return SelfTestRun.from_dict(value) if value else None

    def last(self) -> SelfTestRun | None:
        return self._stored(LAST_KEY)

    def last_package_change(self) -> SelfTestRun | None:
        return self._stored(LAST_PACKAGES_KEY)

    def banner(self) -> SelfTestRun | None:
        """The failed self-test after a package change the administrators are shown on every page."""
        return self._stored(BANNER_KEY)

    def dismiss(self, actor: Actor) -> None:
        with self.db.write() as conn:
            if read_value(conn, BANNER_KEY) is None:
                raise NotFound("No failed self-test is shown.", code="no_selftest_banner")
            conn.execute("DELETE FROM settings WHERE key = ?", (BANNER_KEY,))
            self.audit.record(conn, "system.selftest_banner_dismissed", actor)


def _notice(run: SelfTestRun) -> NoticeRaised:
    failed = "; ".join(f"{TITLES.get(c.name, c.name)}: {c.detail}" for c in run.failed)
    if run.changes:
        shown = run.changes[:NOTICE_LISTS]
        more = len(run.changes) - len(shown)
        changed = "\n".join(f"- {c.sentence()}. To go back: {c.way_back}" for c in shown)
        changed += f"\n- and {more} more (see the System health page)" if more > 0 else ""
        names = ", ".join(c.package for c in shown) + (f" and {more} more" if more > 0 else "")
        title = f"A system package change broke the self-test ({names})"
        body = f"After dpkg changed these packages:\n{changed}\n\nthe self-test failed: {failed}"
    else:
        title = "The self-test failed after a dpkg run"
        body = f"dpkg ran, but its log names no package change since the last self-test. It failed: {failed}"
    return NoticeRaised(kind=NOTICE_KIND, title=title, body=body, severity="critical")
