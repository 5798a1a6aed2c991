"""Changes that need proof: your own password (with the current one), someone else's password and the
recovery settings (after re-entering yours, ASVS 7.5.1). One place for the order of checks, used by the API,
the console and the CLI.
"""

from __future__ import annotations

from typing import Any

from homeport.accounts.guardrails import can_sign_in_as_admin
from homeport.accounts.models import User
from homeport.accounts.service import AccountService
from homeport.audit.log import Actor
from homeport.auth.factors import policy_applies
from homeport.auth.login import LoginService
from homeport.core.errors import Conflict, InvalidInput, Problems
from homeport.system.settings import SecuritySettings, SettingsService, guarded_changes, validate_security


class CredentialService:
    def __init__(self, accounts: AccountService, login: LoginService, settings: SettingsService) -> None:
        self._accounts = accounts
        self._login = login
        self._settings = settings

    def change_security(
        self, actor: Actor, acting_user: User | None, changes: dict[str, Any], current_password: str | None
    ) -> SecuritySettings:
        """Security settings; changing a recovery or second-factor setting needs the current password (root on
        the machine has none to give). Every value is validated before the password costs a verification."""
        current = self._settings.security()
        proposed = validate_security(changes, current)
        self._check_chosen(proposed)
        if guarded_changes(changes, current):
            self._check_admins_can_finish(proposed, acting_user)
            if acting_user is not None:
                if not current_password:
                    raise InvalidInput.field(
                        "current_password", "Enter your current password to change the recovery or second-factor "
                        "settings.",
                    )  # fmt: skip
                self._login.confirm_password(acting_user, current_password, actor.client, "current_password")
        return self._settings.change_security(actor, changes)

    def _check_chosen(self, proposed: SecuritySettings) -> None:
        """The chosen accounts and groups exist (a typo would silently cover nobody)."""
        problems = Problems()
        users = {u.name.lower() for u in self._accounts.list_users()}
        groups = {g.name.lower() for g in self._accounts.list_groups()}
        missing_users = [n for n in proposed.second_factor_users if n.lower() not in users]
        missing_groups = [n for n in proposed.second_factor_groups if n.lower() not in groups]
        if missing_users:
            problems.add("second_factor_users", f"There is no account '{missing_users[0][:40]}'.")
        if missing_groups:
            problems.add("second_factor_groups", f"There is no group '{missing_groups[0][:40]}'.")
        problems.check("Some settings are not valid; see the fields.")

    def _check_admins_can_finish(self, proposed: SecuritySettings, acting_user: User | None) -> None:
        """Never a lockout by policy: if the policy would ask every working administrator for a second factor,
        at least one of them must already have one (the one changing it, preferably), so some administrator
        can always finish a sign-in without depending on an enrolment."""
        working = [u for u in self._accounts.list_users() if can_sign_in_as_admin(u)]
        covered = [u for u in working if policy_applies(u, proposed)]
        if not working or len(covered) < len(working):
            return
        if any(self._login.factors.summary(u.id).active for u in covered):
            return
        who = "your own account" if acting_user is not None else "an administrator's account"
        raise Conflict(
            "This policy would ask every administrator for a second factor, and none has one yet. Set one up for "
            f"{who} first (My account > Sign-in methods), then change the policy.",
            code="no_administrator_with_factor",
        )

    def clear_factors_for(self, actor: Actor, acting_user: User | None, own_password: str, target_name: str) -> None:
        """Another administrator (or root) removes the second factors of an account that lost them."""
        target = self._accounts.get_user(target_name)
        if acting_user is not None:
            if not own_password:
                raise InvalidInput.field("admin_password", "Enter your own password to confirm.")
            self._login.confirm_password(acting_user, own_password, actor.client, "admin_password")
        self._login.factors.clear(target, actor)
        self._login.waiting.close_for_user(target.id)

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
