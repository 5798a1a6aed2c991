"""The sign-in flow: throttle first, then one password verification, then a fresh session.

Unknown account, disabled account and wrong password get the same answer after the same work (a dummy
verification when there is no hash to check), so an answer never tells which accounts exist (ASVS 6.3.8).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import structlog

from homeport.accounts import repository
from homeport.accounts.models import User
from homeport.accounts.passwords import PasswordHasher
from homeport.audit.log import Actor, AuditLog
from homeport.auth.sessions import Session, SessionService
from homeport.auth.throttle import LoginThrottle
from homeport.core.clock import Clock
from homeport.core.errors import Busy, Conflict, InvalidInput, TooManyAttempts, Unauthenticated
from homeport.store.db import Database
from homeport.system.device import SIGNED_IN_STATES, DeviceService
from homeport.system.settings import SecuritySettings, SettingsService

_log = structlog.get_logger("homeport.auth")

WRONG_CREDENTIALS = "The user name or password is wrong, or the account is disabled."
BLOCKED_LOG_INTERVAL = 60.0
NAME_MAX = 64


class RecoveryGate(Protocol):
    """Whether an empty-password sign-in (the physical recovery window) may happen; implemented by recovery."""

    def check(self, client: str) -> None:
        """Raise, saying why, unless the window is open and `client` is on a directly attached subnet."""
        ...

    def may_recover(self, user: User) -> bool:
        """An administrator, enabled, or the built-in `admin` even when disabled."""
        ...


class NoRecoveryWindow:
    def check(self, client: str) -> None:  # noqa: ARG002 - the gate's interface
        raise Unauthenticated(WRONG_CREDENTIALS, code="wrong_credentials")

    def may_recover(self, user: User) -> bool:  # noqa: ARG002
        return False


@dataclass(frozen=True)
class SignIn:
    user: User
    session: Session
    token: str


class LoginService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        hasher: PasswordHasher,
        throttle: LoginThrottle,
        sessions: SessionService,
        settings: SettingsService,
        device: DeviceService,
        audit: AuditLog,
        recovery: RecoveryGate | None = None,
    ) -> None:
        self._db = db
        self._clock = clock
        self._hasher = hasher
        self._throttle = throttle
        self._sessions = sessions
        self._settings = settings
        self._device = device
        self._audit = audit
        self.recovery: RecoveryGate = recovery or NoRecoveryWindow()
        self._blocked_logged: dict[str, float] = {}

    def sign_in(
        self, username: str, password: str, client: str, user_agent: str, previous_token: str | None = None
    ) -> SignIn:
        if self._device.state() not in SIGNED_IN_STATES:
            raise Conflict(f"The device is '{self._device.state()}'; finish the setup wizard first.", code="not_ready")
        settings = self._settings.security()
        account = username.strip()[:NAME_MAX]
        if password == "":
            self.recovery.check(client)  # outside the window, or through a gateway: a clear refusal
        try:
            self._throttle.admit(account, client, settings)
        except TooManyAttempts as exc:
            self.note_blocked(account, client, exc.code)
            raise
        if password == "":
            return self._recovery_sign_in(account, client, user_agent, previous_token, settings)
        try:
            with self._db.read() as conn:
                user = repository.find_user(conn, account)
            matched = self._hasher.verify(user.password_hash if user else None, password)
        except Busy:
            self._throttle.abandoned(account, client)
            raise
        if user is None or not matched or not user.enabled:
            self._fail(account, client, settings, "unknown" if user is None else "wrong")
            raise Unauthenticated(WRONG_CREDENTIALS, code="wrong_credentials")
        self._throttle.succeeded(account, client)
        self._upgrade_hash(user, password)
        return self._open_session(user, client, user_agent, previous_token)

    def _recovery_sign_in(
        self, account: str, client: str, user_agent: str, previous_token: str | None, settings: SecuritySettings
    ) -> SignIn:
        """The recovery window's sign-in: no hash is checked or changed; the session may only set a password."""
        with self._db.read() as conn:
            user = repository.find_user(conn, account)
        if user is None or not self.recovery.may_recover(user):
            self._fail(account, client, settings, "unknown" if user is None else "wrong")
            raise Unauthenticated(
                "During recovery, only an administrator (or the built-in admin) may sign in with an empty password.",
                code="wrong_credentials",
            )
        self._throttle.succeeded(account, client)
        return self._open_session(user, client, user_agent, previous_token, kind="recovery")

    def confirm_password(self, user: User, password: str, client: str, field: str) -> None:
        """Re-authentication (ASVS 7.5.1) with the same throttling as sign-in; a miss names the field."""
        settings = self._settings.security()
        self._throttle.admit(user.name, client, settings)
        try:
            matched = self._hasher.verify(user.password_hash, password)
        except Busy:
            self._throttle.abandoned(user.name, client)
            raise
        if not matched:
            self._fail(user.name, client, settings, "wrong")
            raise InvalidInput.field(field, "This is not your current password.")
        self._throttle.succeeded(user.name, client)

    def _open_session(
        self, user: User, client: str, user_agent: str, previous_token: str | None, kind: str = "normal"
    ) -> SignIn:
        with self._db.write() as conn:
            if previous_token:
                previous = self._sessions.resolve(previous_token)
                if previous is not None:
                    self._sessions.end(previous.id, conn)
            session, token = self._sessions.create(conn, user.id, client, user_agent, kind)
            action = "recovery.sign_in" if kind == "recovery" else "auth.sign_in"
            self._audit.record(conn, action, Actor(user.name, client), target=user.name)
        return SignIn(user=user, session=session, token=token)

    def _fail(self, account: str, client: str, settings: SecuritySettings, reason: str) -> None:
        verdict = self._throttle.failed(account, client, settings)
        with self._db.write() as conn:
            # The typed name is logged only if it is an account: a password typed into the name field
            # must not end up in the log.
            target = account if reason != "unknown" else ""
            self._audit.record(conn, "auth.sign_in", Actor(target, client), target=target, outcome="failure")
            if verdict.blocked is not None:
                self._audit.record(
                    conn,
                    "auth.address_blocked",
                    Actor("system", client),
                    target=verdict.blocked.address,
                    until=verdict.blocked.until,
                    reason=verdict.blocked.reason,
                )
        if verdict.blocked is not None:
            _log.warning("address blocked", address=verdict.blocked.address, until=verdict.blocked.until)

    def blocked_note_due(self, client: str) -> bool:
        """True at most once a minute per address: a flood of refused attempts must not flood the log."""
        now = self._clock.monotonic()
        if now - self._blocked_logged.get(client, -BLOCKED_LOG_INTERVAL) < BLOCKED_LOG_INTERVAL:
            return False
        if len(self._blocked_logged) > 10_000:
            self._blocked_logged.clear()
        self._blocked_logged[client] = now
        return True

    def note_blocked(self, account: str, client: str, code: str) -> None:
        """Audit a refused attempt, if one from this address was not audited in the last minute."""
        if self.blocked_note_due(client):
            self.record_blocked(account, client, code)

    def record_blocked(self, account: str, client: str, code: str) -> None:
        with self._db.read() as conn:
            known = bool(account) and repository.find_user(conn, account) is not None
        self._audit.record_now(
            "auth.sign_in",
            Actor(account if known else "", client),
            target=account if known else "",
            outcome="blocked",
            reason=code,
        )

    def _upgrade_hash(self, user: User, password: str) -> None:
        """Rehash with the current parameters when they have changed since the hash was made."""
        if user.password_hash and self._hasher.needs_rehash(user.password_hash):
            new_hash = self._hasher.hash(password)
            with self._db.write() as conn:
                repository.replace_hash_if_unchanged(conn, user.id, user.password_hash, new_hash)
            _log.info("password hash upgraded", user=user.name)
