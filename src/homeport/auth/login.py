"""The sign-in flow: throttle first, then one password verification, then either a fresh session or, when the
account has (or must enrol) a second factor, a waiting sign-in that a second call completes (auth/pending.py).
The throttle's counters are cleared only when the whole sign-in has succeeded; a wrong second step counts like a
wrong password. The recovery window's empty-password sign-in skips second factors on purpose: it exists for the
owner who has lost every other way in, and physical presence (the reset button) stands in for them.

Unknown account, disabled account and wrong password get the same answer after the same work (a dummy
verification when there is no hash to check), so an answer never tells which accounts exist (ASVS 6.3.8).
A browser that signed in to the account before (its device token) is exempt from the account-wide pause and
is checked first when the hashing queue is full; no room in the queue counts against the address.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import structlog

from homeport.accounts import credentials, repository
from homeport.accounts.guardrails import can_sign_in_as_admin
from homeport.accounts.models import User
from homeport.accounts.names import NAME_PATTERN
from homeport.accounts.passwords import PasswordHasher
from homeport.audit.log import SYSTEM, Actor, AuditLog
from homeport.auth.blocklist import Block, parse_block_key
from homeport.auth.devices import DeviceTokens
from homeport.auth.factors import FactorService, policy_applies
from homeport.auth.pending import RECOVERY_CODE, TOTP, Waiting, WaitingSignIns
from homeport.auth.sessions import Session, SessionService
from homeport.auth.throttle import LoginThrottle
from homeport.auth.totp import Enrolment, clock_text
from homeport.core.clock import Clock
from homeport.core.errors import Busy, Conflict, InvalidInput, NotFound, TooManyAttempts, Unauthenticated
from homeport.store.db import Database
from homeport.system.device import SIGNED_IN_STATES, DeviceService
from homeport.system.settings import SecuritySettings, SettingsService

_log = structlog.get_logger("homeport.auth")

WRONG_CREDENTIALS = "The user name or password is wrong, or the account is disabled."
SIGN_IN_AGAIN = "This sign-in waited too long (or came from elsewhere). Enter your password again."
BLOCKED_LOG_INTERVAL = 60.0
NAME_MAX = 64
PROOF_SECONDS = 300  # a password (or passkey) entered this recently allows changes of sign-in methods


@dataclass(frozen=True)
class Origin:
    """Where a sign-in comes from."""

    address: str
    user_agent: str = ""
    forwarded: bool = False  # it came through a trusted reverse proxy
    local_address: str = ""  # the device's address the connection reached
    previous_token: str | None = None  # the session this browser had: ended by the new one
    device_cookie: str | None = None  # this browser's device tokens (auth/devices.py)
    remember_cookie: str | None = None  # this browser's "skip the second step" token (auth/remembered.py)


class RecoveryGate(Protocol):
    """Whether an empty-password sign-in (the physical recovery window) may happen; implemented by recovery."""

    def check(self, origin: Origin) -> None:
        """Raise, saying why, unless the window is open and the client is directly on a managed LAN."""
        ...

    def may_recover(self, user: User) -> bool:
        """An administrator, enabled, or the built-in `admin` even when disabled."""
        ...

    def session_kind(self) -> str:
        """`recovery`, or `recovery-pending` while physical presence must still be confirmed."""
        ...

    def opened(self, session: Session) -> None:
        """A recovery session has begun (e.g. show the "press the button" signal)."""
        ...


class NoRecoveryWindow:
    def check(self, origin: Origin) -> None:  # noqa: ARG002 - the gate's interface
        raise Unauthenticated(WRONG_CREDENTIALS, code="wrong_credentials")

    def may_recover(self, user: User) -> bool:  # noqa: ARG002
        return False

    def session_kind(self) -> str:
        return "recovery-pending"

    def opened(self, session: Session) -> None:
        pass


@dataclass(frozen=True)
class SignIn:
    user: User
    session: Session
    token: str
    device_cookie: str | None = None  # set it in the browser: it has now signed in to this account
    remember_cookie: str | None = None  # set it too: the owner asked not to be asked again for 30 days
    recovery_codes: list[str] | None = None  # new codes, shown once (a first factor enrolled at sign-in)
    recovery_codes_left: int | None = None  # after a sign-in with a recovery code


@dataclass(frozen=True)
class SecondStep:
    """The password was right; the sign-in waits for a second factor (or, `must_enrol`, for one to be set up)."""

    token: str  # for the pre-authentication cookie
    waiting: Waiting
    expires_in: int

    @property
    def methods(self) -> tuple[str, ...]:
        return self.waiting.methods

    @property
    def must_enrol(self) -> bool:
        return self.waiting.must_enrol


@dataclass
class _Proofs:
    """When each session last re-entered its password (or used a passkey), in monotonic seconds."""

    at: dict[str, float] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


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
        devices: DeviceTokens,
        factors: FactorService,
        waiting: WaitingSignIns,
        recovery: RecoveryGate | None = None,
    ) -> None:
        self._db = db
        self.devices = devices
        self.factors = factors
        self.waiting = waiting
        # Whether an account can approve a sign-in from another of its sessions (set by the approvals service).
        self.approval_possible: Callable[[int], bool] = lambda _user_id: False
        self._proofs = _Proofs()
        self._clock = clock
        self._hasher = hasher
        self._throttle = throttle
        self._sessions = sessions
        self._settings = settings
        self._device = device
        self._audit = audit
        self.recovery: RecoveryGate = recovery or NoRecoveryWindow()
        self._blocked_logged: dict[str, float] = {}
        self._smb_password_made: set[int] = set()  # accounts to tell, once, that SMB now takes their password
        throttle.listener = self

    def sign_in(self, username: str, password: str, origin: Origin) -> SignIn | SecondStep:
        if self._device.state() not in SIGNED_IN_STATES:
            raise Conflict(f"The device is '{self._device.state()}'; finish the setup wizard first.", code="not_ready")
        settings = self._settings.security()
        account, client = username.strip()[:NAME_MAX], origin.address
        if password == "":
            self.recovery.check(origin)  # outside the window, through a gateway or a proxy: a clear refusal
        known_device = password != "" and self.devices.recognises(account, origin.device_cookie)
        try:
            self._throttle.admit(account, client, settings, trusted_device=known_device)
        except TooManyAttempts as exc:
            self.note_blocked(account, client, exc.code)
            raise
        if password == "":
            return self._recovery_sign_in(account, origin, settings)
        try:
            with self._db.read() as conn:
                user = repository.find_user(conn, account)
            matched = self._hasher.verify(user.password_hash if user else None, password, first=known_device)
        except Busy:
            self._throttle.busy(account, client, settings)
            raise
        if user is None or not matched or not user.enabled:
            self._fail(account, client, settings, "unknown" if user is None else "wrong")
            if user is not None and user.enabled and user.awaits_password:
                raise Unauthenticated(self._awaits_password_message(), code="no_password")
            raise Unauthenticated(WRONG_CREDENTIALS, code="wrong_credentials")
        self._upgrade_hash(user, password)
        step = self._second_step(user, origin, settings)
        if step is not None:
            self._throttle.abandoned(account, client)  # the failures so far count until the whole sign-in succeeds
            return step
        self._throttle.succeeded(account, client)
        return self._open_session(user, origin, "normal")

    def _second_step(self, user: User, origin: Origin, settings: SecuritySettings) -> SecondStep | None:
        """A waiting sign-in when the account has an active factor (unless this browser is remembered), or must
        enrol one under the policy; None when the password is the whole sign-in."""
        summary = self.factors.summary(user.id)
        if summary.suspended:
            # Mode 1 suspended them (even under the policy: they exist, and the owner lost the use of them); the
            # post-recovery report and the account's page offer to turn them back on.
            return None
        methods: tuple[str, ...]
        if summary.any:
            if settings.remember_browser:
                with self._db.write() as conn:
                    if self.factors.remembered.recognises(conn, user.id, origin.remember_cookie):
                        return None
            methods, must_enrol = self.factors.methods(summary, self.approval_possible(user.id)), False
        elif policy_applies(user, settings):
            methods, must_enrol = (), True
        else:
            return None
        token, waiting = self.waiting.open(
            user_id=user.id, account=user.name, client=origin.address, user_agent=origin.user_agent,
            device_cookie=origin.device_cookie, remember_cookie=origin.remember_cookie, methods=methods,
            must_enrol=must_enrol,
        )  # fmt: skip
        return SecondStep(token=token, waiting=waiting, expires_in=waiting.seconds_left(self._clock.monotonic()))

    def waiting_for(self, token: str | None, origin: Origin) -> Waiting:
        """The waiting sign-in behind a pre-authentication cookie, or a clear refusal."""
        waiting = self.waiting.find(token, origin.address)
        if waiting is None:
            raise Unauthenticated(SIGN_IN_AGAIN, code="second_step_expired")
        return waiting

    def admit_second_step(self, waiting: Waiting, origin: Origin) -> SecuritySettings:
        """Throttling, decided before any work on a second factor (the same counters as passwords)."""
        settings = self._settings.security()
        known = self.devices.recognises(waiting.account, origin.device_cookie)
        try:
            self._throttle.admit(waiting.account, origin.address, settings, trusted_device=known)
        except TooManyAttempts as exc:
            self.note_blocked(waiting.account, origin.address, exc.code)
            raise
        return settings

    def second_factor(self, token: str | None, method: str, code: str, origin: Origin, remember: bool) -> SignIn:
        """Complete a waiting sign-in with a one-time code or a recovery code."""
        waiting = self.waiting_for(token, origin)
        if method not in (TOTP, RECOVERY_CODE) or method not in waiting.methods:
            offered = ", ".join(m for m in waiting.methods if m in (TOTP, RECOVERY_CODE)) or "none"
            raise InvalidInput.field("method", f"This account cannot use '{method[:20]}' here (it can: {offered}).")
        settings = self.admit_second_step(waiting, origin)
        # The code is spent and the session made in one transaction: one commit, and neither without the other.
        with self._db.write() as conn:
            if method == TOTP:
                accepted = self.factors.totp.verify(conn, waiting.user_id, code)
            else:
                accepted = self.factors.codes.use(conn, waiting.user_id, code)
            if accepted:
                return self.finish(waiting, origin, method, remember=remember, admitted=True)
        self._fail(waiting.account, origin.address, settings, "wrong", action="auth.second_factor", method=method)
        raise Unauthenticated(self._wrong_code_message(method), code="wrong_code")

    def _wrong_code_message(self, method: str) -> str:
        if method == RECOVERY_CODE:
            return "This recovery code is wrong or was used already. Each code works once; try another from your list."
        return (
            f"This code is wrong or was used already. This device's clock reads {clock_text(self._clock.now())}: if "
            "your phone's clock is more than 30 seconds away from it, set the wrong one right and try a new code."
        )

    def finish(
        self, waiting: Waiting, origin: Origin, method: str, *, remember: bool = False,
        recovery_codes: list[str] | None = None, admitted: bool = False,
    ) -> SignIn:  # fmt: skip
        """The second step is done (a code, a passkey, an approval, an enrolment): a session, once. Unless the
        caller `admitted` the attempt just now, the throttle is asked again (blocked or paused meanwhile: not now),
        as a check only: the admission that `succeeded` ends below is the caller's, if it made one."""
        if admitted:
            settings = self._settings.security()
        else:
            settings = self.admit_second_step(waiting, origin)
            self._throttle.abandoned(waiting.account, origin.address)
        with self._db.read() as conn:
            user = repository.find_user_by_id(conn, waiting.user_id)
        if not self.waiting.close(waiting) or user is None or not user.enabled:
            self._throttle.abandoned(waiting.account, origin.address)
            if user is None or not user.enabled:
                raise Unauthenticated(WRONG_CREDENTIALS, code="wrong_credentials")
            raise Unauthenticated(SIGN_IN_AGAIN, code="second_step_expired")
        self._throttle.succeeded(user.name, origin.address)
        result = self._open_session(user, origin, "normal", method=method)
        remember_cookie, left = None, None
        if remember and settings.remember_browser:
            with self._db.write() as conn:
                remember_cookie = self.factors.remembered.remember(conn, user.id, origin.address, origin.user_agent)
        if method == RECOVERY_CODE:
            with self._db.read() as conn:
                left = self.factors.codes.left(conn, user.id)
        return SignIn(
            user=result.user, session=result.session, token=result.token, device_cookie=result.device_cookie,
            remember_cookie=remember_cookie, recovery_codes=recovery_codes, recovery_codes_left=left,
        )  # fmt: skip

    def passwordless(self, user: User, origin: Origin, method: str) -> SignIn:
        """A sign-in proven by one factor that counts as two (a passkey with user verification)."""
        settings = self._settings.security()
        if not user.enabled:
            self._fail(user.name, origin.address, settings, "wrong")
            raise Unauthenticated(WRONG_CREDENTIALS, code="wrong_credentials")
        self._throttle.succeeded(user.name, origin.address)
        return self._open_session(user, origin, "normal", method=method)

    def admit_passkey(self, account: str, origin: Origin) -> SecuritySettings:
        """Throttling before a passwordless passkey answer is checked, under the account its credential names ("" for
        none). A passkey cannot be guessed, so the account-wide pause that strangers' wrong passwords cause does not
        shut its owner out; the address's and the account + address limits apply as to passwords."""
        settings = self._settings.security()
        try:
            self._throttle.admit(account, origin.address, settings, trusted_device=True)
        except TooManyAttempts as exc:
            self.note_blocked(account, origin.address, exc.code)
            raise
        return settings

    def passkey_failed(self, account: str, origin: Origin, reason: str) -> None:
        """A passwordless passkey answer that did not pass (admitted by `admit_passkey`): counted like a wrong
        password."""
        settings = self._settings.security()
        if account:
            self._fail(account, origin.address, settings, "wrong", method="passkey", problem=reason)
            return
        self._audit.record_now(
            "auth.sign_in", Actor("", origin.address), target="", outcome="failure", method="passkey", problem=reason
        )
        self._throttle.failed("", origin.address, settings)

    def second_step_failed(self, waiting: Waiting, origin: Origin, method: str) -> None:
        """A second step (a passkey, an enrolment) that did not pass, after `admit_second_step`: counted like a
        wrong password."""
        settings = self._settings.security()
        self._fail(waiting.account, origin.address, settings, "wrong", action="auth.second_factor", method=method)

    def begin_enrolment(self, token: str | None, origin: Origin, device_name: str) -> Enrolment:
        """A sign-in that must enrol a factor first: a new authenticator-app secret for it."""
        waiting = self.waiting_for(token, origin)
        if not waiting.must_enrol:
            raise Conflict("This sign-in needs no setup; use one of its methods.", code="no_enrolment")
        self.admit_second_step(waiting, origin)
        try:
            with self._db.write() as conn:
                return self.factors.totp.begin(conn, waiting.user_id, waiting.account, device_name)
        finally:
            self._throttle.abandoned(waiting.account, origin.address)

    def confirm_enrolment(self, token: str | None, code: str, origin: Origin) -> SignIn:
        """The first code from the new app: the factor is on, and the sign-in completes with new recovery codes."""
        waiting = self.waiting_for(token, origin)
        if not waiting.must_enrol:
            raise Conflict("This sign-in needs no setup; use one of its methods.", code="no_enrolment")
        settings = self.admit_second_step(waiting, origin)
        with self._db.read() as conn:
            user = repository.find_user_by_id(conn, waiting.user_id)
        if user is None:
            self._throttle.abandoned(waiting.account, origin.address)
            raise Unauthenticated(SIGN_IN_AGAIN, code="second_step_expired")
        try:
            codes = self.factors.confirm_totp(user, code, Actor(user.name, origin.address))
        except InvalidInput:
            self._fail(user.name, origin.address, settings, "wrong", action="auth.second_factor", method=TOTP)
            raise
        return self.finish(waiting, origin, TOTP, recovery_codes=codes, admitted=True)

    def enrolled(self, waiting: Waiting, origin: Origin, method: str, codes: list[str] | None) -> SignIn:
        """A factor other than the app was enrolled during the sign-in (a passkey): complete it."""
        return self.finish(waiting, origin, method, recovery_codes=codes)

    # --- proof for changes of sign-in methods --------------------------------------------------------------

    def prove(self, session_id: str) -> None:
        """The session's owner has just proven who they are (password or passkey)."""
        with self._proofs.lock:
            self._proofs.at[session_id] = self._clock.monotonic()

    def attempt_ended(self, account: str, origin: Origin) -> None:
        """An admitted attempt ended with an unexpected error: it is no longer in flight (nothing is counted)."""
        self._throttle.abandoned(account, origin.address)

    def proved_by_passkey(self, user: User, origin: Origin, session_id: str) -> None:
        """A passkey with user verification answered for the signed-in session: as good as the password."""
        self._throttle.succeeded(user.name, origin.address)
        self.prove(session_id)

    def require_proof(self, user: User, session_id: str, password: str | None, client: str, field: str) -> None:
        """The current password, unless this session gave it (or used a passkey) in the last 5 minutes."""
        if password:
            self.confirm_password(user, password, client, field)
            self.prove(session_id)
            return
        with self._proofs.lock:
            at = self._proofs.at.get(session_id)
        if at is None or self._clock.monotonic() - at > PROOF_SECONDS:
            raise InvalidInput.field(field, "Enter your current password: changing how you sign in needs it.")

    def _awaits_password_message(self) -> str:
        """For an account restored from a backup without its password: what happened, and who can help."""
        with self._db.read() as conn:
            helpers = [u.name for u in repository.list_users(conn) if can_sign_in_as_admin(u) and not u.builtin]
        who = f"an administrator ({', '.join(helpers[:3])})" if helpers else "an administrator"
        return (
            "This account has no password yet: it came back from a configuration backup, and passwords are not "
            f"restored. Ask {who} to set one on the Users page; you then choose your own at sign-in."
        )

    def _recovery_sign_in(self, account: str, origin: Origin, settings: SecuritySettings) -> SignIn:
        """The recovery window's sign-in: no hash is checked or changed; the session may only set a password,
        once physical presence is confirmed (recovery/access.py)."""
        with self._db.read() as conn:
            user = repository.find_user(conn, account)
        if user is None or not self.recovery.may_recover(user):
            self._fail(account, origin.address, settings, "unknown" if user is None else "wrong")
            raise Unauthenticated(
                "During recovery, only an administrator (or the built-in admin) may sign in with an empty password.",
                code="wrong_credentials",
            )
        # No second factor is asked for here: the window is for an owner who lost every other way in, and it is
        # bound to the device (LAN only, the reset button's press confirms presence). Mode 1 suspends the
        # account's factors; the post-recovery report offers to turn them back on.
        self._throttle.succeeded(account, origin.address)
        result = self._open_session(user, origin, self.recovery.session_kind())
        self.recovery.opened(result.session)
        return result

    def lift_block(self, actor: Actor, address: str) -> str:
        """An administrator lets an auto-blocked address (or network) sign in again; returns the entry lifted."""
        key = parse_block_key(address, self._throttle.key_of)
        if not self._throttle.unblock(key):
            raise NotFound(f"{address} is not blocked.", code="not_blocked")
        self._audit.record_now("auth.address_unblocked", actor, target=key)
        return key

    def lift_pause(self, actor: Actor, account: str) -> None:
        """An administrator lets a paused account sign in again from every address."""
        if not self._throttle.unpause(account):
            raise NotFound(f"The account '{account}' is not paused.", code="not_paused")
        self._audit.record_now("auth.account_unpaused", actor, target=account)

    def remember_device(self, user: User, origin: Origin) -> str:
        """The device cookie for a browser that has just proved it knows the account's password."""
        with self._db.write() as conn:
            return self.devices.remember(conn, user.id, origin.device_cookie, origin.user_agent)

    def confirm_password(self, user: User, password: str, client: str, field: str) -> None:
        """Re-authentication (ASVS 7.5.1) with the same throttling as sign-in; a miss names the field."""
        settings = self._settings.security()
        self._throttle.admit(user.name, client, settings)
        try:
            matched = self._hasher.verify(user.password_hash, password, first=True)
        except Busy:
            self._throttle.busy(user.name, client, settings)
            raise
        if not matched:
            # Counted like a failed sign-in (it is a guess all the same), logged as what it is.
            self._fail(user.name, client, settings, "wrong", action="auth.password_confirm")
            raise InvalidInput.field(field, "This is not your current password.")
        self._throttle.succeeded(user.name, client)

    def _open_session(self, user: User, origin: Origin, kind: str, method: str = "password") -> SignIn:
        with self._db.write() as conn:
            if origin.previous_token:
                previous = self._sessions.resolve(origin.previous_token)
                if previous is not None:
                    self._sessions.end(previous.id, conn)
            session, token = self._sessions.create(conn, user.id, origin.address, origin.user_agent, kind)
            if kind == "normal":
                self.prove(session.id)  # the sign-in itself proved who this is, for the next 5 minutes
            cookie = None
            if kind == "normal":
                cookie = self.devices.remember(conn, user.id, origin.device_cookie, origin.user_agent)
            actor = Actor(user.name, origin.address)
            if kind == "normal":
                self._audit.record(conn, "auth.sign_in", actor, target=user.name, method=method)
            else:
                self._audit.record(conn, "recovery.sign_in", actor, target=user.name, factors="skipped (recovery)")
        return SignIn(user=user, session=session, token=token, device_cookie=cookie)

    def _fail(
        self, account: str, client: str, settings: SecuritySettings, reason: str, action: str = "auth.sign_in",
        **detail: str,
    ) -> None:  # fmt: skip
        if reason != "unknown":
            self._audit.record_now(action, Actor(account, client), target=account, outcome="failure", **detail)
        else:
            # An unknown name is kept only if it could be an account name: a password typed into the name
            # field (spaces, capitals, symbols) must not end up in the log.
            tried = account if NAME_PATTERN.fullmatch(account) else "(not a valid user name)"
            self._audit.record_now(action, Actor("", client), target="", outcome="failure", tried=tried)
        self._throttle.failed(account, client, settings)

    # --- told by the throttle (auth.throttle.ThrottleListener) -----------------------------------------

    def address_blocked(self, block: Block, address: str) -> None:
        self._audit.record_now(
            "auth.address_blocked", Actor("system", address), target=block.address, until=block.until,
            reason=block.reason,
        )  # fmt: skip
        _log.warning("address blocked", address=block.address, until=block.until, reason=block.reason)

    def account_paused(self, account: str, until: float) -> None:
        with self._db.read() as conn:
            known = repository.find_user(conn, account) is not None
        if known:  # a name that is no account may be a password typed in the wrong field: not logged
            self._audit.record_now("auth.account_paused", SYSTEM, target=account, until=until)
            _log.warning("account paused", account=account, until=until)

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
        """Rehash with the current parameters when they have changed since the hash was made; give the file
        service its copy of the password when the account has none yet (made before it, or restored)."""
        if not user.password_hash:
            return
        if self._hasher.needs_rehash(user.password_hash):
            new_hash = self._hasher.hash(password)
            with self._db.write() as conn:
                credentials.upgrade_password(conn, user.id, user.password_hash, new_hash)
            _log.info("password hash upgraded", user=user.name)
            return  # the file service's copy, if missing, comes at the next sign-in
        with self._db.read() as conn:
            missing = not credentials.has_nt_hash(conn, user.id)
        if missing:
            with self._db.write() as conn:
                now, sealer = self._clock.now(), self.factors.sealer
                if credentials.add_missing_nt_hash(conn, sealer, user.id, user.password_hash, password, now):
                    self._audit.record(conn, "smb.password_derived", Actor(user.name, ""), target=user.name)
                    self._smb_password_made.add(user.id)

    def smb_password_made(self, user_id: int) -> bool:
        """True once after this sign-in gave the account its SMB password (the console then says so)."""
        if user_id in self._smb_password_made:
            self._smb_password_made.discard(user_id)
            return True
        return False
