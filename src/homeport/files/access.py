"""Who may use a shared folder, resolved the way owners of a commercial NAS expect: "no access" wins over anything
else (a user's own entry or any group's), otherwise the widest grant counts, and nobody listed gets nothing."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from homeport.files.models import Access


def effective_access(
    users: Mapping[str, Access], groups: Mapping[str, Access], memberships: Mapping[str, Iterable[str]]
) -> dict[str, Access]:
    """Each account's access to a share, given its entries and every account's groups (name -> group names)."""
    resolved: dict[str, Access] = {}
    for account, member_of in memberships.items():
        grants = [users[account]] if account in users else []
        grants += [groups[g] for g in member_of if g in groups]
        if not grants or "none" in grants:
            resolved[account] = "none"
        else:
            resolved[account] = "rw" if "rw" in grants else "ro"
    return resolved


def readers_and_writers(resolved: Mapping[str, Access]) -> tuple[list[str], list[str]]:
    """The accounts that may connect (read or write), and those of them that may write; sorted."""
    readers = sorted(name for name, access in resolved.items() if access != "none")
    writers = sorted(name for name, access in resolved.items() if access == "rw")
    return readers, writers
