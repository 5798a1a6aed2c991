"""The post-recovery report of the latest reset: for a Mode 1, what it changed, each with its previous value and a
one-click restore; for a Mode 2, where the configuration went, how the device came back and who still needs a
password; and the Security Advisor's checks that would have made the reset unnecessary."""

from __future__ import annotations

from dataclasses import dataclass

from homeport.accounts.models import BUILTIN_ADMIN, UserChanges
from homeport.accounts.service import AccountService
from homeport.advisor.advisor import Advisor
from homeport.audit.log import Actor, AuditLog
from homeport.auth.factors import FactorService
from homeport.core.errors import Conflict, NotFound
from homeport.network.describe import describe
from homeport.network.service import ApplyOutcome, NetworkService, Via
from homeport.recovery import journal
from homeport.recovery.journal import Reset
from homeport.store.db import Database
from homeport.system.settings import SettingsService

ITEMS = ("network", "auto_block", "builtin_admin", "factors")
# The advisor's checks that bear on needing the reset button again; the advisor page has every check.
CHECKLIST = (
    "two_administrators",
    "builtin_admin_disabled",
    "admin_second_factor",
    "recovery_codes_left",
    "email_for_notices",
    "recovery_confirmation",
)


@dataclass(frozen=True)
class ReportItem:
    key: str
    title: str
    now: str
    before: str
    restorable: bool
    restored: bool
    action: str = "Restore"  # the one-click button's words


@dataclass(frozen=True)
class Check:
    title: str
    ok: bool | None  # None: nothing to judge (the advisor's `info`)
    advice: str
    fix: str = ""  # the console page where it is fixed


@dataclass(frozen=True)
class Report:
    reset: Reset
    items: tuple[ReportItem, ...]
    checklist: tuple[Check, ...]
    facts: tuple[str, ...] = ()  # a Mode 2: what happened, in order
    awaiting_password: tuple[str, ...] = ()  # a Mode 2: accounts restored without a password


class RecoveryReport:
    def __init__(
        self,
        db: Database,
        settings: SettingsService,
        network: NetworkService,
        accounts: AccountService,
        factors: FactorService,
        audit: AuditLog,
        advisor: Advisor,
    ) -> None:
        self._db = db
        self._settings = settings
        self._network = network
        self._accounts = accounts
        self._factors = factors
        self._audit = audit
        self._advisor = advisor

    def latest_reset(self) -> Reset | None:
        with self._db.read() as conn:
            return journal.latest(conn)

    def unacknowledged(self) -> Reset | None:
        reset = self.latest_reset()
        return reset if reset is not None and not reset.acknowledged else None

    def build(self) -> Report | None:
        reset = self.latest_reset()
        if reset is None:
            return None
        if reset.mode == "mode2":
            waiting = tuple(u.name for u in self._accounts.list_users() if u.awaits_password)
            return Report(reset, (), tuple(self._checklist()), tuple(self._mode2_facts(reset)), waiting)
        return Report(reset, tuple(self._items(reset)), tuple(self._checklist()))

    def _mode2_facts(self, reset: Reset) -> list[str]:
        """From the audit log, which outlives a Mode 2: the backup written, then how the device was set up."""
        facts: list[str] = []
        for record in reversed(self._audit.query(limit=500)):  # oldest first
            if record.action == "recovery.mode2" and record.target == f"#{reset.id}":
                places = ", ".join(str(b) for b in record.detail.get("backups", [])) or "no volume (none was there)"
                facts.append(f"The configuration was backed up to {places}, then every setting went back to the "
                             "factory state. Files on the volumes were not touched.")  # fmt: skip
            elif facts and record.action == "recovery.backup_restored":
                facts.append(f"{record.actor} restored the backup {record.target} with the setup wizard.")
            elif facts and record.action == "system.setup":
                facts.append(f"{record.actor} started fresh with the setup wizard.")
        return facts

    def _items(self, reset: Reset) -> list[ReportItem]:
        items = []
        previous_id = reset.before.get("network_snapshot")
        if previous_id is not None:
            previous = next((s for s in self._network.snapshots(500) if s.id == previous_id), None)
            if previous is not None:
                items.append(ReportItem(
                    "network", "Network settings: every interface to DHCP, MTU 1500, ports 5000/5001",
                    describe(self._network.current()), describe(previous.config), True, "network" in reset.restored,
                ))  # fmt: skip
        if reset.before.get("auto_block_enabled"):
            enabled = self._settings.security().auto_block_enabled
            items.append(ReportItem(
                "auto_block", "Auto block was off while the recovery window was open (its block list kept)",
                "on" if enabled else "off", "on",
                not enabled, "auto_block" in reset.restored,
            ))  # fmt: skip
        admin = self._accounts.get_user(BUILTIN_ADMIN)
        if not reset.before.get("builtin_admin_enabled") and admin.enabled:
            items.append(ReportItem(
                "builtin_admin", "The built-in admin was used to get back in, and is now enabled", "enabled",
                "disabled", True, "builtin_admin" in reset.restored,
            ))  # fmt: skip
        factors = self._factors_item(reset)
        if factors is not None:
            items.append(factors)
        return items

    def _factors_item(self, reset: Reset) -> ReportItem | None:
        """The recovered account's second factors, suspended when its recovery password was set."""
        name = reset.before.get(journal.FACTORS_SUSPENDED)
        if not isinstance(name, str):
            return None
        try:
            user = self._accounts.get_user(name)
        except NotFound:
            return None  # the account is gone, and its factors with it
        summary = self._factors.summary(user.id)
        now = "suspended" if summary.suspended else "on" if summary.any else "removed"
        title = (
            f"Second factors of {user.name} are suspended: the password alone signs in to it"
            if summary.suspended
            else f"Second factors of {user.name} were suspended by the recovery"
        )
        restorable = summary.suspended and summary.any
        return ReportItem("factors", title, now, "on", restorable, "factors" in reset.restored, "Turn them back on")

    def _checklist(self) -> list[Check]:
        return [
            Check(f.title, None if f.verdict == "info" else f.verdict == "pass", f.explanation, f.fix)
            for f in self._advisor.evaluate(CHECKLIST)
        ]

    async def restore(self, actor: Actor, reset_id: int, key: str, via: Via | None) -> ApplyOutcome | None:
        """One click: put one item back as it was before the reset."""
        reset = self.latest_reset()
        if reset is None or reset.id != reset_id:
            raise NotFound("There is no such reset to restore from.", code="reset_not_found")
        item = next((i for i in self._items(reset) if i.key == key), None)
        if item is None or not item.restorable:
            raise Conflict("There is nothing to restore for this item.", code="nothing_to_restore")
        outcome = None
        if key == "network":
            outcome = await self._network.restore(actor, int(reset.before["network_snapshot"]), via)
        elif key == "auto_block":
            self._settings.change_security(actor, {"auto_block_enabled": True})
        elif key == "factors":
            self._factors.resume(self._accounts.get_user(str(reset.before[journal.FACTORS_SUSPENDED])), actor)
        else:
            self._accounts.update_user(actor, BUILTIN_ADMIN, UserChanges(enabled=False))
        with self._db.write() as conn:
            journal.mark_restored(conn, reset.id, key)
            self._audit.record(conn, "recovery.restored", actor, target=key, reset=reset.id)
        return outcome

    def acknowledge(self, actor: Actor, reset_id: int) -> None:
        with self._db.write() as conn:
            if journal.find(conn, reset_id) is None:
                raise NotFound("There is no such reset.", code="reset_not_found")
            journal.acknowledge(conn, reset_id)
            self._audit.record(conn, "recovery.report_read", actor, target=f"#{reset_id}")
