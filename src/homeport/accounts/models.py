"""What an account and a group are, independent of how they are stored."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

ADMINISTRATORS = "administrators"
USERS = "users"
BUILTIN_ADMIN = "admin"


@dataclass(frozen=True)
class User:
    id: int
    name: str
    full_name: str
    email: str
    enabled: bool
    builtin: bool
    groups: tuple[str, ...]
    password_hash: str | None
    must_change_password: bool
    created_at: float
    updated_at: float
    password_changed_at: float | None

    @property
    def is_admin(self) -> bool:
        return ADMINISTRATORS in self.groups

    @property
    def has_password(self) -> bool:
        return bool(self.password_hash)

    @property
    def awaits_password(self) -> bool:
        """No password yet, and one is needed to sign in (a restored administrator); the built-in admin has none
        on purpose: it signs in only through the reset button."""
        return not self.password_hash and not self.builtin


@dataclass(frozen=True)
class Group:
    name: str
    description: str
    builtin: bool
    members: tuple[str, ...]


def group_text(group: Group) -> str:
    """What a search of groups looks in."""
    return f"{group.name} {group.description}"


GROUP_SORTS: dict[str, Callable[[Group], Any]] = {
    "name": lambda g: (not g.builtin, g.name),
    "members": lambda g: len(g.members),
}


@dataclass(frozen=True)
class UserChanges:
    """A partial update; None means "leave as is"."""

    full_name: str | None = None
    email: str | None = None
    enabled: bool | None = None
    groups: tuple[str, ...] | None = None
