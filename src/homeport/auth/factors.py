"""An account's second factors as a whole: what it has, whether the policy asks for one, and the changes an
owner (or an administrator, or a reset) makes to them.

Every change is audited and revokes the account's remembered browsers. Mode 1 suspends the recovered
account's factors instead of deleting them; the post-recovery report offers to turn them back on.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass

from homeport.accounts.models import User
from homeport.audit.log import Actor, AuditLog
from homeport.auth.pending import APPROVAL, PASSKEY, RECOVERY_CODE, TOTP
from homeport.auth.recovery_codes import RecoveryCodes
from homeport.auth.remembered import RememberedBrowsers
from homeport.auth.sealing import Sealer
from homeport.auth.totp import Enrolment, OneTimeCodes
from homeport.core.clock import Clock
from homeport.core.errors import Conflict, InvalidInput
from homeport.store.db import Database
from homeport.system.settings import SecuritySettings

NOBODY, ADMINISTRATORS, EVERYONE, CHOSEN = "nobody", "administrators", "everyone", "chosen"
POLICIES = (NOBODY, ADMINISTRATORS, EVERYONE, CHOSEN)


@dataclass(frozen=True)
class FactorSummary:
    totp: bool
    passkeys: int
    recovery_codes_left: int
    suspended: bool  # by a Mode 1: kept, not asked for

    @property
    def any(self) -> bool:
        """A factor that can complete a sign-in by itself (recovery codes are the way back, not a method)."""
        return self.totp or self.passkeys > 0

    @property
    def active(self) -> bool:
        return self.any and not self.suspended


def policy_applies(user: User, settings: SecuritySettings) -> bool:
    """Whether the second-factor policy covers this account."""
    policy = settings.second_factor_required
    if policy == EVERYONE:
        return True
    if policy == ADMINISTRATORS:
        return user.is_admin
    if policy == CHOSEN:
        names = {n.lower() for n in settings.second_factor_users}
        groups = {g.lower() for g in settings.second_factor_groups}
        return user.name.lower() in names or any(g.lower() in groups for g in user.groups)
    return False


class FactorService:
    def __init__(self, db: Database, clock: Clock, sealer: Sealer, audit: AuditLog) -> None:
        self.sealer = sealer
        self._db = db
        self._clock = clock
        self._audit = audit
        self.totp = OneTimeCodes(clock, sealer)
        self.codes = RecoveryCodes(clock, sealer)
        self.remembered = RememberedBrowsers(clock, sealer)
        # Told of every change (user, who, action): the account's open pages hear of it (set by the daemon).
        self.on_change: Callable[[User, Actor, str], None] | None = None

    # --- what an account has --------------------------------------------------------------------------------

    def summary(self, user_id: int, conn: sqlite3.Connection | None = None) -> FactorSummary:
        if conn is None:
            with self._db.read() as own:
                return self.summary(user_id, own)
        passkeys = int(conn.execute("SELECT COUNT(*) FROM passkeys WHERE user_id = ?", (user_id,)).fetchone()[0])
        suspended = conn.execute("SELECT factors_suspended FROM users WHERE id = ?", (user_id,)).fetchone()
        return FactorSummary(
            totp=self.totp.has(conn, user_id),
            passkeys=passkeys,
            recovery_codes_left=self.codes.left(conn, user_id),
            suspended=bool(suspended and suspended[0]),
        )

    def methods(self, summary: FactorSummary, approval_possible: bool) -> tuple[str, ...]:
        """The second-step methods this account can use now, strongest first."""
        found = []
        if summary.passkeys:
            found.append(PASSKEY)
        if summary.totp:
            found.append(TOTP)
        if approval_possible:
            found.append(APPROVAL)
        if summary.recovery_codes_left:
            found.append(RECOVERY_CODE)
        return tuple(found)

    # --- an owner's changes (the caller has checked a recent password) ---------------------------------------

    def begin_totp(self, user: User, device_name: str) -> Enrolment:
        with self._db.write() as conn:
            if self.totp.has(conn, user.id):
                raise Conflict(
                    "This account already has an authenticator app. Remove it first to set up another one.",
                    code="totp_exists",
                )
            return self.totp.begin(conn, user.id, user.name, device_name)

    def confirm_totp(self, user: User, code: str, actor: Actor) -> list[str] | None:
        """The first valid code turns the app on; returns new recovery codes when the account had none."""
        with self._db.write() as conn:
            if not self.totp.confirm(conn, user.id, code):
                raise InvalidInput.field(
                    "code", "This code is not the one the app shows now (or the setup was not started). Type the "
                    "6 digits shown at this moment.",
                )  # fmt: skip
            codes = self.codes.replace(conn, user.id) if self.codes.left(conn, user.id) == 0 else None
            # A new app ends a suspension (after a reset, under a policy that asked for it at sign-in).
            conn.execute("UPDATE users SET factors_suspended = 0 WHERE id = ?", (user.id,))
            self._changed(conn, user, actor, "auth.totp_added")
        return codes

    def remove_totp(self, user: User, actor: Actor) -> None:
        with self._db.write() as conn:
            if not self.totp.remove(conn, user.id):
                raise Conflict("This account has no authenticator app.", code="no_totp")
            self.drop_codes_if_no_factor(conn, user.id)
            self._changed(conn, user, actor, "auth.totp_removed")

    def new_recovery_codes(self, user: User, actor: Actor) -> list[str]:
        with self._db.write() as conn:
            codes = self.codes.replace(conn, user.id)
            self._changed(conn, user, actor, "auth.recovery_codes_replaced")
        return codes

    def drop_codes_if_no_factor(self, conn: sqlite3.Connection, user_id: int) -> None:
        """The last factor went: its recovery codes go too, so a later first factor comes with a new set shown
        once, never an old set back to life unannounced."""
        if not self.summary(user_id, conn).any:
            self.codes.remove(conn, user_id)

    def first_factor_added(self, conn: sqlite3.Connection, user_id: int) -> list[str] | None:
        """Recovery codes for an account that gets its first factor (a passkey, say) and has none yet."""
        return self.codes.replace(conn, user_id) if self.codes.left(conn, user_id) == 0 else None

    def clear(self, target: User, actor: Actor) -> None:
        """Every factor of `target` removed (another administrator, or root): the account signs in with its
        password alone until it enrols again (at once, if the policy asks)."""
        with self._db.write() as conn:
            self.clear_in(conn, target.id)
            self._changed(conn, target, actor, "auth.factors_cleared")

    def clear_in(self, conn: sqlite3.Connection, user_id: int) -> None:
        self.totp.remove(conn, user_id)
        self.codes.remove(conn, user_id)
        conn.execute("DELETE FROM passkeys WHERE user_id = ?", (user_id,))
        conn.execute("UPDATE users SET factors_suspended = 0 WHERE id = ?", (user_id,))
        self.remembered.forget_all(conn, user_id)

    def suspend_in(self, conn: sqlite3.Connection, user_id: int) -> bool:
        """Mode 1: the recovered account's factors are kept but not asked for; True if it had any."""
        summary = self.summary(user_id, conn)
        self.remembered.forget_all(conn, user_id)
        if not summary.any:
            return False
        conn.execute("UPDATE users SET factors_suspended = 1 WHERE id = ?", (user_id,))
        return True

    def resume(self, user: User, actor: Actor) -> None:
        with self._db.write() as conn:
            if not conn.execute(
                "UPDATE users SET factors_suspended = 0 WHERE id = ? AND factors_suspended = 1", (user.id,)
            ).rowcount:
                raise Conflict("This account's sign-in methods are not suspended.", code="not_suspended")
            self._changed(conn, user, actor, "auth.factors_resumed")

    def forget_browser(self, user: User, browser_id: int, actor: Actor) -> None:
        with self._db.write() as conn:
            if not self.remembered.forget(conn, user.id, browser_id):
                raise Conflict("This browser is not remembered (any more).", code="not_remembered")
            self._audit.record(conn, "auth.browser_forgotten", actor, target=user.name)

    def _changed(self, conn: sqlite3.Connection, user: User, actor: Actor, action: str) -> None:
        """Any change of sign-in methods: no remembered browser skips the new state; the log says who did it."""
        self.remembered.forget_all(conn, user.id)
        self._audit.record(conn, action, actor, target=user.name)
        if self.on_change is not None:
            self.on_change(user, actor, action)
