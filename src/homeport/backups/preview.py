"""What restoring a backup would change, read from a migrated copy of its store beside the live one."""

from __future__ import annotations

import sqlite3
from dataclasses import asdict, dataclass, field
from typing import Any

from homeport.accounts import repository
from homeport.accounts.models import User
from homeport.files import repository as shares_repository
from homeport.files.models import Share
from homeport.network import snapshots
from homeport.network.model import NetworkConfig
from homeport.system.settings import read_value

# Settings that describe this device now, not the configuration: a restore leaves them as they are.
KEPT_SETTINGS = (
    "system.state", "system.name", "system.damage", "recovery.window", "network.current", "network.pending",
    "security.argon2", "backups",
    "backups.recipient", "backups.verified",
)  # fmt: skip


@dataclass(frozen=True)
class Changes:
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)

    @property
    def any(self) -> bool:
        return bool(self.added or self.removed or self.changed)


@dataclass(frozen=True)
class Preview:
    backup: str
    accounts: Changes
    administrators_before: list[str]
    administrators_after: list[str]
    settings: Changes
    shares: Changes
    network_changes: bool
    network_after: dict[str, Any] | None
    name_before: str
    name_after: str | None
    second_factors_kept: bool  # False: the backup's sealing key differs (TOTP, recovery codes, SMB passwords go)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _compare(before: dict[str, Any], after: dict[str, Any]) -> Changes:
    return Changes(
        added=sorted(set(after) - set(before)),
        removed=sorted(set(before) - set(after)),
        changed=sorted(k for k in set(before) & set(after) if before[k] != after[k]),
    )


def _account_facts(user: User) -> tuple[Any, ...]:
    return (user.full_name, user.email, user.enabled, tuple(sorted(user.groups)), user.password_hash)


def _share_facts(share: Share) -> tuple[Any, ...]:
    return (share.volume, share.folder, share.description, share.hidden, share.recycle_bin, share.time_machine,
            share.time_machine_limit_gb, sorted(share.users.items()), sorted(share.groups.items()))  # fmt: skip


def configurable_settings(conn: sqlite3.Connection) -> dict[str, Any]:
    rows = conn.execute("SELECT key, value FROM settings").fetchall()
    return {str(k): v for k, v in rows if k not in KEPT_SETTINGS}


def network_of(conn: sqlite3.Connection) -> NetworkConfig | None:
    current = read_value(conn, "network.current")
    snapshot = snapshots.find(conn, int(current)) if current is not None else None
    return snapshot.config if snapshot else None


def _admins(users: list[User]) -> list[str]:
    return sorted(u.name for u in users if u.is_admin and u.enabled)


def preview(
    live: sqlite3.Connection, backup: sqlite3.Connection, backup_id: str, live_network: NetworkConfig,
    live_name: str, same_key: bool,
) -> Preview:  # fmt: skip
    users_before, users_after = repository.list_users(live), repository.list_users(backup)
    network = network_of(backup)
    return Preview(
        backup=backup_id,
        accounts=_compare(
            {u.name: _account_facts(u) for u in users_before}, {u.name: _account_facts(u) for u in users_after}
        ),
        administrators_before=_admins(users_before),
        administrators_after=_admins(users_after),
        settings=_compare(configurable_settings(live), configurable_settings(backup)),
        shares=_compare(
            {s.name: _share_facts(s) for s in shares_repository.list_shares(live)},
            {s.name: _share_facts(s) for s in shares_repository.list_shares(backup)},
        ),
        network_changes=network is not None and network != live_network,
        network_after=network.as_dict() if network is not None else None,
        name_before=live_name,
        name_after=read_value(backup, "system.name"),
        second_factors_kept=same_key,
    )
