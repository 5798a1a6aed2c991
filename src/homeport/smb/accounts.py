"""What Samba's passdb must hold, read from the store, and how it differs from what it holds.

The store wins. Every account with a password and an NT hash is in passdb with that hash, disabled when the account
is; no other account is there. An account without an NT hash ("SMB needs a new password") is left out until its
next console sign-in or password change.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from homeport.accounts.credentials import NT_HASH_PURPOSE
from homeport.auth.sealing import SealedSecretUnreadable, Sealer
from homeport.smb.passdb import PassdbEntry


@dataclass(frozen=True)
class Wanted:
    entries: dict[str, PassdbEntry]
    sealed: dict[str, tuple[int, bytes]]  # name -> (user id, sealed hash as stored), to mark them in sync
    synced: frozenset[str]  # accounts whose hash Samba was last seen holding
    needs_password: tuple[str, ...]  # accounts with a password but no NT hash (or one this key cannot open)
    # Those of them that are disabled: an entry Samba still has for one (made with an earlier key) is kept, for
    # the password it holds may well be the account's, but never left enabled.
    disabled_without_hash: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Drift:
    missing: tuple[str, ...] = ()
    unexpected: tuple[str, ...] = ()
    wrong_hash: tuple[str, ...] = ()
    wrong_flags: tuple[str, ...] = ()

    @property
    def any(self) -> bool:
        return bool(self.missing or self.unexpected or self.wrong_hash or self.wrong_flags)

    def names(self) -> set[str]:
        return {*self.missing, *self.unexpected, *self.wrong_hash, *self.wrong_flags}

    def as_dict(self) -> dict[str, list[str]]:
        return {
            "missing": list(self.missing),
            "unexpected": list(self.unexpected),
            "wrong_hash": list(self.wrong_hash),
            "wrong_flags": list(self.wrong_flags),
        }

    @classmethod
    def from_dict(cls, found: dict[str, Any]) -> Drift:
        """A drift as `as_dict` gave it (the status keeps the last repair's that way)."""
        return cls(*(tuple(found.get(k) or ()) for k in ("missing", "unexpected", "wrong_hash", "wrong_flags")))

    def sentences(self) -> list[str]:
        said = []
        for names, what in (
            (self.missing, "missing from Samba"),
            (self.unexpected, "in Samba but not in Homeport"),
            (self.wrong_hash, "with another password in Samba"),
            (self.wrong_flags, "enabled or disabled differently in Samba"),
        ):
            if names:
                said.append(f"{', '.join(names)}: {what}")
        return said


def wanted(conn: sqlite3.Connection, sealer: Sealer) -> Wanted:
    entries: dict[str, PassdbEntry] = {}
    sealed: dict[str, tuple[int, bytes]] = {}
    synced: set[str] = set()
    needs: list[str] = []
    disabled: set[str] = set()
    rows = conn.execute(
        "SELECT u.id, u.name, u.enabled, p.sealed_nt_hash, p.synced_at, x.uid FROM users u"
        " JOIN unix_ids x ON x.user_id = u.id LEFT JOIN smb_passwords p ON p.user_id = u.id"
        " WHERE u.password_hash IS NOT NULL ORDER BY u.name"
    ).fetchall()
    for user_id, name, enabled, blob, synced_at, uid in rows:
        if blob is None:
            needs.append(name)
            if not enabled:
                disabled.add(name)
            continue
        try:
            value = sealer.open(blob, user_id=user_id, purpose=NT_HASH_PURPOSE)
        except SealedSecretUnreadable:
            needs.append(name)
            if not enabled:
                disabled.add(name)
            continue
        entries[name] = PassdbEntry(name, uid, value.hex().upper(), not enabled)
        sealed[name] = (user_id, blob)
        if synced_at is not None:
            synced.add(name)
    return Wanted(entries, sealed, frozenset(synced), tuple(needs), frozenset(disabled))


def compare(want: dict[str, PassdbEntry], have: dict[str, PassdbEntry], known: Iterable[str] = ()) -> Drift:
    """`known`: Homeport accounts left out of `want` (no NT hash yet) whose entries Samba may keep."""
    kept = set(known)
    return Drift(
        missing=tuple(sorted(n for n in want if n not in have)),
        unexpected=tuple(sorted(n for n in have if n not in want and n not in kept)),
        wrong_hash=tuple(sorted(n for n in want if n in have and have[n].nt_hash != want[n].nt_hash)),
        wrong_flags=tuple(
            sorted(
                n for n in want if n in have and (have[n].disabled != want[n].disabled or have[n].uid != want[n].uid)
            )
        ),
    )


def mark_synced(conn: sqlite3.Connection, sealed: dict[str, tuple[int, bytes]], names: set[str], now: float) -> None:
    """In sync: unless the password changed again meanwhile (then the next pass takes it)."""
    for name in names:
        user_id, blob = sealed[name]
        conn.execute(
            "UPDATE smb_passwords SET synced_at = ? WHERE user_id = ? AND sealed_nt_hash = ?", (now, user_id, blob)
        )


@dataclass
class Confirmed:
    """What passdb held after this process last made it match the store (None until the first time)."""

    entries: dict[str, PassdbEntry] | None = None
    unwanted: set[str] = field(default_factory=set)
