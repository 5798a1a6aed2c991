"""Who may come back in through the recovery window, and the one thing their session may do: set a password.

The window trusts the owner's hand, not the network. An empty-password sign-in is accepted only from a
directly attached subnet of a managed LAN interface (never through a gateway, a proxy or a tunnel) and gives
a session that waits: only a short press of the reset button (under 4 s) within 2 minutes lets it set
a password. If more than one such sign-in is waiting at the press, none is confirmed: all are ended, since
one of them is not the owner. A setting can waive the press for boxes whose button is out of reach.

Hashes are never overwritten by the reset itself: whoever still knows their password loses nothing. Setting
a recovery password closes the window; the built-in `admin` used this way is enabled (with its new password)
and the post-recovery report offers to disable it again. The recovered account's second factors are suspended
in the same transaction (kept, not asked for: its owner has just shown they could not use them), and the
report offers to turn them back on.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import structlog

from homeport.accounts import repository
from homeport.accounts.models import User
from homeport.accounts.service import AccountService
from homeport.audit.log import SYSTEM, Actor, AuditLog
from homeport.auth.factors import FactorService
from homeport.auth.login import WRONG_CREDENTIALS, Origin
from homeport.auth.sessions import RECOVERY, RECOVERY_PENDING, Session, SessionService
from homeport.core.clock import Clock
from homeport.core.errors import Conflict, Forbidden, Unauthenticated
from homeport.core.ids import token_digest
from homeport.network.local import LocalNetworks
from homeport.recovery import journal, window
from homeport.store.db import Database
from homeport.system.device import DeviceService
from homeport.system.settings import SettingsService

_log = structlog.get_logger("homeport.recovery")

PRESENCE_SECONDS = 120.0
REMEMBERED_ENDINGS = 64

AMBIGUOUS = (
    "More than one recovery sign-in was waiting when the reset button was pressed, so none was confirmed and "
    "all of them were ended: someone else on your network may be trying to take over this device. Make sure "
    "only you sign in, then sign in again with an empty password and press the button."
)
TIMED_OUT = (
    "The reset button was not pressed in time (within {time} of your recovery sign-in). Sign in again with an "
    "empty password, then press the button briefly (under 4 seconds)."
)
PRESS_FIRST = (
    "Press the reset button on the device briefly (under 4 seconds) to confirm that you are at the device, "
    "then set your new password."
)


@dataclass(frozen=True)
class Ending:
    """Why a waiting recovery session was ended (shown to the browser that held it)."""

    code: str
    message: str


@dataclass(frozen=True)
class Presence:
    confirmed: bool
    deadline: float  # the press must come before this time (wall clock)


class RecoveryAccess:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        device: DeviceService,
        accounts: AccountService,
        sessions: SessionService,
        settings: SettingsService,
        audit: AuditLog,
        factors: FactorService,
        local: LocalNetworks,
        feedback: Callable[[str], None],
        presence_seconds: float = PRESENCE_SECONDS,
    ) -> None:
        self._db = db
        self._clock = clock
        self._device = device
        self._accounts = accounts
        self._sessions = sessions
        self._settings = settings
        self._audit = audit
        self._factors = factors
        self._local = local
        self._feedback = feedback
        self.presence_seconds = presence_seconds
        spoken = f"{presence_seconds / 60:g} minutes" if presence_seconds >= 120 else f"{presence_seconds:g} seconds"
        self._timed_out = Ending("recovery_presence_timeout", TIMED_OUT.format(time=spoken))
        self._loop: asyncio.AbstractEventLoop | None = None
        self._endings: OrderedDict[str, Ending] = OrderedDict()
        self._endings_lock = threading.Lock()

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """The event loop that runs the presence deadline (waiting sign-ins come from worker threads)."""
        self._loop = loop

    def open_window(self) -> window.Window | None:
        with self._db.read() as conn:
            opened = window.current(conn)
        return opened if opened is not None and opened.open_at(self._clock.now()) else None

    # --- the sign-in (auth.login.RecoveryGate) ---------------------------------------------------------

    def check(self, origin: Origin) -> None:
        if self._device.state() != "recovery":
            raise Unauthenticated(WRONG_CREDENTIALS, code="wrong_credentials")
        if self.open_window() is None:
            raise Unauthenticated(
                "The recovery window has closed. Hold the reset button for 4 seconds to open a new one.",
                code="recovery_window_closed",
            )
        self._local.invalidate()  # rare, and the address may have just changed: read the kernel now
        lan = self._local.attached(origin.address) and self._local.arrived_on_lan(origin.local_address)
        if origin.forwarded or not lan:
            raise Forbidden(
                "An empty password works only from a computer on the device's own network (not through a router, "
                "a proxy or remote access). Connect to the same network as the device and try again.",
                code="recovery_local_only",
            )

    def may_recover(self, user: User) -> bool:
        return user.is_admin and (user.enabled or user.builtin)

    def session_kind(self) -> str:
        return RECOVERY_PENDING if self._settings.security().recovery_button_confirmation else RECOVERY

    def opened(self, session: Session) -> None:
        if not session.awaiting_presence:
            return
        _log.warning("recovery sign-in waits for the reset button", user=session.user_name, client=session.client)
        self._feedback("confirm")
        loop = self._loop
        if loop is not None:
            loop.call_soon_threadsafe(loop.call_later, self.presence_seconds + 0.5, self._expire_in_thread)

    # --- physical presence -----------------------------------------------------------------------------

    def confirm_presence(self) -> None:
        """A short press of the reset button: confirm the one waiting recovery sign-in, or end them all."""
        now = self._clock.now()
        with self._db.write() as conn:
            waiting = self._sessions.of_kind(conn, RECOVERY_PENDING)
            late = [s for s in waiting if now - s.created_at > self.presence_seconds]
            fresh = [s for s in waiting if s not in late]
            self._end(conn, late, self._timed_out)
            if len(fresh) == 1:
                self._sessions.set_kind(conn, fresh[0].id, RECOVERY)
                self._audit.record(
                    conn, "recovery.presence_confirmed", Actor(fresh[0].user_name, fresh[0].client),
                    target=fresh[0].user_name,
                )  # fmt: skip
            elif len(fresh) > 1:
                self._end(conn, fresh, Ending("recovery_presence_ambiguous", AMBIGUOUS))
                self._audit.record(
                    conn, "recovery.presence_ambiguous", SYSTEM, outcome="failure", target="reset button",
                    sign_ins=[{"user": s.user_name, "client": s.client} for s in fresh],
                )  # fmt: skip
        if fresh:
            _log.warning("reset button pressed for a recovery sign-in", waiting=len(fresh), confirmed=len(fresh) == 1)
        if waiting:
            self._feedback("recovery" if self.open_window() is not None else "ready")

    def presence(self, session: Session) -> Presence:
        """Where a recovery session stands; a waiting one past its deadline ends here (Unauthenticated)."""
        deadline = session.created_at + self.presence_seconds
        if not session.awaiting_presence:
            return Presence(confirmed=True, deadline=deadline)
        if self._clock.now() > deadline:
            with self._db.write() as conn:
                self._end(conn, [session], self._timed_out)
            raise Unauthenticated(self._timed_out.message, code=self._timed_out.code)
        return Presence(confirmed=False, deadline=deadline)

    def ending(self, token: str | None) -> Ending | None:
        """Why the session of this cookie was ended by the presence check, if it was."""
        if not token or len(token) > 100:
            return None
        with self._endings_lock:
            return self._endings.get(token_digest(token))

    def _end(self, conn: sqlite3.Connection, sessions: list[Session], why: Ending) -> None:
        if not sessions:
            return
        digests = self._sessions.token_digests(conn, [s.id for s in sessions])
        for session in sessions:
            self._sessions.end(session.id, conn)
        with self._endings_lock:
            for digest in digests:
                self._endings[digest] = why
            while len(self._endings) > REMEMBERED_ENDINGS:
                self._endings.popitem(last=False)

    def _expire_in_thread(self) -> None:
        if self._loop is not None:
            self._loop.run_in_executor(None, self.expire_waiting)

    def expire_waiting(self) -> int:
        """End the waiting sign-ins whose time has passed; the signal goes back to "recovery"."""
        now = self._clock.now()
        with self._db.write() as conn:
            waiting = self._sessions.of_kind(conn, RECOVERY_PENDING)
            late = [s for s in waiting if now - s.created_at > self.presence_seconds]
            self._end(conn, late, self._timed_out)
            for session in late:
                self._audit.record(
                    conn, "recovery.presence_timeout", Actor(session.user_name, session.client),
                    target=session.user_name, outcome="failure",
                )  # fmt: skip
        if late and len(late) == len(waiting):
            self._feedback("recovery" if self.open_window() is not None else "ready")
        return len(late)

    # --- the one action --------------------------------------------------------------------------------

    def set_password(self, session: Session, new_password: str, actor: Actor) -> User:
        """The recovery session's one action; then the window closes and the session ends."""
        if not session.recovery:
            raise Forbidden("Only a recovery session sets a password this way.", code="not_recovery")
        if not self.presence(session).confirmed:
            raise Forbidden(PRESS_FIRST, code="recovery_presence_required")
        if self.open_window() is None:
            raise Conflict(
                "The recovery window has closed; hold the reset button again.", code="recovery_window_closed"
            )
        new_hash = self._accounts.hash_new_password(session.user_name, new_password, field="new_password")
        with self._db.write() as conn:
            user = self._accounts.save_password(conn, actor, session.user_name, new_hash, must_change=False)
            if user.builtin and not user.enabled:
                repository.update_profile(
                    conn, user.id, full_name=user.full_name, email=user.email, enabled=True, now=self._clock.now()
                )
            suspended = self._factors.suspend_in(conn, user.id)
            opened = window.close(conn, self._settings, self._audit, "password set")
            if suspended and opened is not None:
                journal.note_before(conn, opened.reset_id, {journal.FACTORS_SUSPENDED: user.name})
            self._device.set_state(conn, "ready")
            self._audit.record(
                conn, "recovery.password_set", actor, target=user.name,
                reset=None if opened is None else opened.reset_id, builtin_admin_enabled=user.builtin,
                factors_suspended=suspended,
            )  # fmt: skip
        self._feedback("ready")
        return self._accounts.get_user(user.name)
