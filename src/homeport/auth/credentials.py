"""Changes that need proof: your own password (with the current one), someone else's password and the
recovery settings (after re-entering yours, ASVS 7.5.1). One place for the order of checks, used by the API,
the console and the CLI.
"""

from __future__ import annotations

from typing import Any

from homeport.accounts.models import User
from homeport.accounts.service import AccountService
from homeport.audit.log import Actor
from homeport.auth.login import LoginService
from homeport.core.errors import InvalidInput
from homeport.system.settings import SecuritySettings, SettingsService, recovery_changes, validate_security


class CredentialService:
    def __init__(self, accounts: AccountService, login: LoginService, settings: SettingsService) -> None:
        self._accounts = accounts
        self._login = login
        self._settings = settings

    def change_security(
        self, actor: Actor, acting_user: User | None, changes: dict[str, Any], current_password: str | None
    ) -> SecuritySettings:
        """Security settings; changing a recovery setting needs the current password (root on the machine has
        none to give). Every value is validated before the password costs a verification."""
        current = self._settings.security()
        validate_security(changes, current)
        if acting_user is not None and recovery_changes(changes, current):
            if not current_password:
                raise InvalidInput.field(
                    "current_password", "Enter your current password to change the recovery settings."
                )
            self._login.confirm_password(acting_user, current_password, actor.client, "current_password")
        return self._settings.change_security(actor, changes)

    def change_own(self, user: User, current: str, new: str, actor: Actor, keep_session: str | None) -> User:
        """The policy is checked first, so a weak new password costs no verification of the current one."""
        self._accounts.policy().check(new, user.name, field="new_password")
        self._login.confirm_password(user, current, actor.client, "current_password")
        return self._accounts.set_password(actor, user.name, new, must_change=False, keep_session=keep_session)

    def set_for(
        self,
        actor: Actor,
        acting_user: User | None,
        own_password: str,
        target_name: str,
        new: str,
        *,
        must_change: bool,
        keep_session: str | None,
    ) -> User:
        """Set `target_name`'s password; `acting_user` None is root on the machine, who needs no re-entry."""
        target = self._accounts.get_user(target_name)
        self._accounts.policy().check(new, target.name)
        if acting_user is not None:
            if not own_password:
                raise InvalidInput.field("admin_password", "Enter your own password to confirm.")
            self._login.confirm_password(acting_user, own_password, actor.client, "admin_password")
        own = acting_user is not None and acting_user.id == target.id
        return self._accounts.set_password(
            actor,
            target.name,
            new,
            must_change=must_change and not own,
            keep_session=keep_session if own else None,
        )
