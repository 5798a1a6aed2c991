"""Rules for account and group names and contact fields, with messages that say how to fix them."""

from __future__ import annotations

import re

from homeport.core.errors import InvalidInput
from homeport.core.text import DIRECTION_CONTROLS_PROBLEM, has_direction_controls

NAME_PATTERN = re.compile(r"^[a-z][a-z0-9._-]{0,31}$")
# Names that system services or other tools reserve; an account by these names would be confusing or unsafe.
RESERVED_NAMES = frozenset(
    {
        "root",
        "daemon",
        "bin",
        "sys",
        "nobody",
        "nogroup",
        "guest",
        "everyone",
        "system",
        "homeport",
        "recovery",
    }
)
EMAIL_PATTERN = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s.]{1,63}$")
FULL_NAME_MAX = 128


def check_account_name(name: str, field: str = "name") -> str:
    """Lower-case letters, digits, `.`, `_`, `-`; starts with a letter; at most 32 characters."""
    if not NAME_PATTERN.fullmatch(name):
        raise InvalidInput.field(
            field,
            "Use 1-32 characters: lower-case letters a-z, digits, '.', '_' or '-', starting with a letter.",
        )
    if name in RESERVED_NAMES:
        raise InvalidInput.field(field, f"'{name}' is reserved by the system; choose another name.")
    return name


def check_full_name(full_name: str, field: str = "full_name") -> str:
    cleaned = full_name.strip()
    if len(cleaned) > FULL_NAME_MAX:
        raise InvalidInput.field(field, f"Use at most {FULL_NAME_MAX} characters.")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in cleaned):
        raise InvalidInput.field(field, "Remove control characters (such as line breaks or tabs).")
    if has_direction_controls(cleaned):
        raise InvalidInput.field(field, DIRECTION_CONTROLS_PROBLEM)
    return cleaned


def check_email(email: str, field: str = "email") -> str:
    cleaned = email.strip()
    if has_direction_controls(cleaned):  # the pattern would allow them, and an address is shown to others
        raise InvalidInput.field(field, DIRECTION_CONTROLS_PROBLEM)
    if cleaned and not EMAIL_PATTERN.fullmatch(cleaned):
        raise InvalidInput.field(field, "Enter an address such as name@example.org, or leave it empty.")
    return cleaned


def check_group_description(description: str, field: str = "description") -> str:
    return check_full_name(description, field)
