"""Account and group operations: validate, check guardrails, save with an audit record, in one transaction.

Passwords are hashed before the transaction starts, so the store is never held while Argon2 runs.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, replace

from homeport.accounts import credentials, guardrails, repository
from homeport.accounts.credentials import NewPassword
from homeport.accounts.models import ADMINISTRATORS, BUILTIN_ADMIN, USERS, Group, User, UserChanges
from homeport.accounts.names import check_account_name, check_email, check_full_name, check_group_description
from homeport.accounts.passwords import PasswordHasher
from homeport.accounts.policy import PasswordPolicy
from homeport.audit.log import Actor, AuditLog
from homeport.auth.sealing import Sealer
from homeport.auth.sessions import SessionService
from homeport.core.clock import Clock
from homeport.core.errors import Conflict, InvalidInput, NotFound, Problems
from homeport.core.paging import Page, PageRequest
from homeport.store.db import Database
from homeport.system.settings import SettingsService


@dataclass(frozen=True)
class NewUser:
    """A validated account with its password already hashed, ready to insert."""

    name: str
    full_name: str
    email: str
    groups: tuple[str, ...]
    password: NewPassword
    must_change_password: bool


class AccountService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        hasher: PasswordHasher,
        settings: SettingsService,
        sessions: SessionService,
        audit: AuditLog,
        sealer: Sealer,
    ) -> None:
        self._db = db
        self.sealer = sealer
        self._clock = clock
        self._hasher = hasher
        self._settings = settings
        self._sessions = sessions
        self._audit = audit

    def policy(self) -> PasswordPolicy:
        return PasswordPolicy(min_length=self._settings.security().password_min_length)

    # --- reading ---------------------------------------------------------------------------------------

    def list_users(self) -> list[User]:
        with self._db.read() as conn:
            return repository.list_users(conn)

    def awaiting_password(self) -> list[str]:
        with self._db.read() as conn:
            return repository.users_awaiting_password(conn)

    def page_users(self, request: PageRequest) -> Page[User]:
        with self._db.read() as conn:
            return repository.page_users(conn, request)

    def get_user(self, name: str) -> User:
        with self._db.read() as conn:
            user = repository.find_user(conn, name)
        if user is None:
            raise NotFound(f"There is no account named '{name}'.", code="user_not_found")
        return user

    def user_by_id(self, user_id: int) -> User | None:
        with self._db.read() as conn:
            return repository.find_user_by_id(conn, user_id)

    def list_groups(self) -> list[Group]:
        with self._db.read() as conn:
            return repository.list_groups(conn)

    def group_names(self) -> list[str]:
        """Without their members: what a form offers to choose from."""
        with self._db.read() as conn:
            return repository.group_names(conn)

    # --- creating and changing accounts -----------------------------------------------------------------

    def prepare_user(
        self,
        name: str,
        password: str,
        *,
        full_name: str = "",
        email: str = "",
        groups: tuple[str, ...] = (),
        must_change_password: bool = False,
    ) -> NewUser:
        """Validate every field (reporting all problems at once), then hash the password."""
        problems = Problems()
        checked: dict[str, str] = {}
        for field, check, value in (
            ("name", check_account_name, name),
            ("full_name", check_full_name, full_name),
            ("email", check_email, email),
        ):
            with problems.collect():
                checked[field] = check(value, field)
        if name == BUILTIN_ADMIN:
            problems.add("name", "'admin' is the built-in administrator; choose another name.")
        normalised = ""
        with problems.collect():
            normalised = self.policy().check(password, name)
        problems.check("The account was not created; see the fields.")
        return NewUser(
            name=checked["name"],
            full_name=checked["full_name"],
            email=checked["email"],
            groups=tuple(sorted({*groups, USERS})),
            password=NewPassword.derive(self._hasher.hash(normalised), password),
            must_change_password=must_change_password,
        )

    def insert_user(self, conn: sqlite3.Connection, new: NewUser, actor: Actor) -> User:
        """Insert a prepared account within the caller's transaction."""
        if repository.find_user(conn, new.name) is not None:
            raise Conflict(f"An account named '{new.name}' already exists.", code="user_exists")
        self._check_groups_exist(conn, new.groups)
        now = self._clock.now()
        user_id = repository.insert_user(conn, name=new.name, full_name=new.full_name, email=new.email, now=now)
        credentials.write_password(
            conn, self.sealer, user_id, new.password, must_change=new.must_change_password, now=now
        )
        repository.set_groups(conn, user_id, new.groups)
        self._audit.record(conn, "user.created", actor, target=new.name, groups=list(new.groups))
        user = repository.find_user_by_id(conn, user_id)
        assert user is not None
        return user

    def create_user(self, actor: Actor, new: NewUser) -> User:
        with self._db.write() as conn:
            return self.insert_user(conn, new, actor)

    def update_user(self, actor: Actor, name: str, changes: UserChanges) -> User:
        problems = Problems()
        full_name = email = None
        with problems.collect():
            full_name = None if changes.full_name is None else check_full_name(changes.full_name)
        with problems.collect():
            email = None if changes.email is None else check_email(changes.email)
        problems.check("Nothing was changed; see the fields.")
        with self._db.write() as conn:
            user = self._find(conn, name)
            groups = user.groups if changes.groups is None else tuple(sorted({*changes.groups, USERS}))
            self._check_groups_exist(conn, groups)
            if user.builtin and ADMINISTRATORS not in groups:
                raise Conflict("The built-in admin always stays an administrator.", code="builtin_admin")
            after = replace(
                user,
                full_name=user.full_name if full_name is None else full_name,
                email=user.email if email is None else email,
                enabled=user.enabled if changes.enabled is None else changes.enabled,
                groups=groups,
            )
            what = "disabled" if not after.enabled else "removed from administrators"
            guardrails.ensure_an_administrator_remains(repository.list_users(conn), user, after, what)
            guardrails.ensure_not_locking_oneself_out(actor.name, user, after)
            now = self._clock.now()
            repository.update_profile(
                conn, user.id, full_name=after.full_name, email=after.email, enabled=after.enabled, now=now
            )
            if groups != user.groups:
                repository.set_groups(conn, user.id, groups)
            self._audit_changes(conn, actor, user, after)
            if user.enabled and not after.enabled:
                self._sessions.end_for_user(conn, user.id)
            updated = repository.find_user_by_id(conn, user.id)
        assert updated is not None
        return updated

    def delete_user(self, actor: Actor, name: str) -> None:
        with self._db.write() as conn:
            user = self._find(conn, name)
            if user.builtin:
                raise Conflict("The built-in admin cannot be deleted; disable it instead.", code="builtin_admin")
            guardrails.ensure_an_administrator_remains(repository.list_users(conn), user, None, "deleted")
            guardrails.ensure_not_locking_oneself_out(actor.name, user, None)
            self._sessions.end_for_user(conn, user.id)
            repository.delete_user(conn, user.id)
            self._audit.record(conn, "user.deleted", actor, target=user.name)

    def set_password(
        self,
        actor: Actor,
        name: str,
        new_password: str,
        *,
        must_change: bool,
        keep_session: str | None = None,
    ) -> User:
        """Set `name`'s password; every session of that account ends except `keep_session`."""
        new_hash = self.hash_new_password(name, new_password)
        with self._db.write() as conn:
            return self.save_password(conn, actor, name, new_hash, must_change=must_change, keep_session=keep_session)

    def hash_new_password(self, name: str, new_password: str, field: str = "password") -> NewPassword:
        """Check the policy for `name`'s new password and hash it (outside any transaction: Argon2 is slow)."""
        return NewPassword.derive(self._hasher.hash(self.policy().check(new_password, name, field=field)), new_password)

    def save_password(
        self, conn: sqlite3.Connection, actor: Actor, name: str, new_hash: NewPassword, *, must_change: bool,
        keep_session: str | None = None,
    ) -> User:  # fmt: skip
        """Within the caller's transaction: store a hash made by `hash_new_password`; end the other sessions."""
        current = self._find(conn, name)
        credentials.write_password(
            conn, self.sealer, current.id, new_hash, must_change=must_change, now=self._clock.now()
        )
        ended = self._sessions.end_for_user(conn, current.id, keep=keep_session)
        action = "user.password_changed" if actor.name == current.name else "user.password_reset"
        self._audit.record(conn, action, actor, target=current.name, sessions_ended=ended)
        updated = repository.find_user_by_id(conn, current.id)
        assert updated is not None
        return updated

    # --- groups ----------------------------------------------------------------------------------------

    def create_group(self, actor: Actor, name: str, description: str = "") -> Group:
        name = check_account_name(name)
        description = check_group_description(description)
        with self._db.write() as conn:
            if name in {n.casefold() for n in repository.existing_group_names(conn)}:
                raise Conflict(f"A group named '{name}' already exists.", code="group_exists")
            repository.insert_group(conn, name, description, self._clock.now())
            self._audit.record(conn, "group.created", actor, target=name)
        return next(g for g in self.list_groups() if g.name == name)

    def delete_group(self, actor: Actor, name: str) -> None:
        with self._db.write() as conn:
            group = next((g for g in repository.list_groups(conn) if g.name == name), None)
            if group is None:
                raise NotFound(f"There is no group named '{name}'.", code="group_not_found")
            if group.builtin:
                raise Conflict(f"'{name}' is a built-in group and cannot be deleted.", code="builtin_group")
            repository.delete_group(conn, name)
            self._audit.record(conn, "group.deleted", actor, target=name, members=list(group.members))

    # --- helpers ---------------------------------------------------------------------------------------

    def _find(self, conn: sqlite3.Connection, name: str) -> User:
        user = repository.find_user(conn, name)
        if user is None:
            raise NotFound(f"There is no account named '{name}'.", code="user_not_found")
        return user

    def _check_groups_exist(self, conn: sqlite3.Connection, groups: tuple[str, ...]) -> None:
        unknown = sorted(set(groups) - repository.existing_group_names(conn))
        if unknown:
            raise InvalidInput.field("groups", f"No such group: {', '.join(unknown)}. Create it first.")

    def _audit_changes(self, conn: sqlite3.Connection, actor: Actor, before: User, after: User) -> None:
        if before.enabled != after.enabled:
            self._audit.record(conn, "user.enabled" if after.enabled else "user.disabled", actor, target=after.name)
        if before.is_admin != after.is_admin:
            action = "user.admin_granted" if after.is_admin else "user.admin_revoked"
            self._audit.record(conn, action, actor, target=after.name)
        changed = [f for f in ("full_name", "email") if getattr(before, f) != getattr(after, f)]
        if set(before.groups) != set(after.groups):
            changed.append("groups")
        if changed:
            self._audit.record(
                conn, "user.updated", actor, target=after.name, fields=changed, groups=list(after.groups)
            )
