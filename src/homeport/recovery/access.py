"""Who may come back in through the recovery window, and the one thing their session may do: set a password.

Hashes are never overwritten by the reset itself: whoever still knows their password loses nothing. Setting
a recovery password closes the window; the built-in `admin` used this way is enabled (with its new password)
and the post-recovery report offers to disable it again.
"""

from __future__ import annotations

from collections.abc import Callable

from homeport.accounts import repository
from homeport.accounts.models import User
from homeport.accounts.service import AccountService
from homeport.audit.log import Actor, AuditLog
from homeport.auth.login import WRONG_CREDENTIALS
from homeport.auth.sessions import Session
from homeport.core.clock import Clock
from homeport.core.errors import Conflict, Forbidden, Unauthenticated
from homeport.recovery import window
from homeport.recovery.window import IpNetwork, directly_attached
from homeport.store.db import Database
from homeport.system.device import DeviceService


class RecoveryAccess:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        device: DeviceService,
        accounts: AccountService,
        audit: AuditLog,
        local_networks: Callable[[], list[IpNetwork]],
        feedback: Callable[[str], None],
    ) -> None:
        self._db = db
        self._clock = clock
        self._device = device
        self._accounts = accounts
        self._audit = audit
        self._local_networks = local_networks
        self._feedback = feedback

    def open_window(self) -> window.Window | None:
        with self._db.read() as conn:
            opened = window.current(conn)
        return opened if opened is not None and opened.open_at(self._clock.now()) else None

    def check(self, client: str) -> None:
        if self._device.state() != "recovery":
            raise Unauthenticated(WRONG_CREDENTIALS, code="wrong_credentials")
        if self.open_window() is None:
            raise Unauthenticated(
                "The recovery window has closed. Hold the reset button for 4 seconds to open a new one.",
                code="recovery_window_closed",
            )
        if not directly_attached(client, self._local_networks()):
            raise Forbidden(
                "An empty password works only from a computer on the device's own network (not through a router "
                "or remote access). Connect to the same network as the device and try again.",
                code="recovery_local_only",
            )

    def may_recover(self, user: User) -> bool:
        return user.is_admin and (user.enabled or user.builtin)

    def set_password(self, session: Session, new_password: str, actor: Actor) -> User:
        """The recovery session's one action; then the window closes and the session ends."""
        if not session.recovery:
            raise Forbidden("Only a recovery session sets a password this way.", code="not_recovery")
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
            opened = window.current(conn)
            window.close(conn)
            self._device.set_state(conn, "ready")
            self._audit.record(
                conn, "recovery.password_set", actor, target=user.name,
                reset=None if opened is None else opened.reset_id, builtin_admin_enabled=user.builtin,
            )  # fmt: skip
        self._feedback("ready")
        return self._accounts.get_user(user.name)
