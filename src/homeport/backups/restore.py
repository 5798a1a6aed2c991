"""Restoring a backup on the running device: a backup "before restore" first; then, in one transaction, the
accounts, groups, second factors, shared folders and settings of the backup replace the live ones; then the
backup's network settings through the network service's confirm-or-rollback, so a restore that would cut the
owner off is undone unless confirmed from the new address.

Key material never changes under a running daemon: when the backup was sealed with another device's key, its
sealed secrets (one-time code seeds, recovery codes, SMB passwords) are left out, as after Mode 2, and each
account sets them up again. Restoring the keys too is `homeport recover restore-backup` with the daemon stopped.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from homeport.accounts.guardrails import sign_in_problem
from homeport.audit.log import Actor, AuditLog
from homeport.auth.sessions import SessionService
from homeport.backups.layout import STORE_FILE, FoundBackup
from homeport.backups.preview import KEPT_SETTINGS, Preview, network_of, preview
from homeport.backups.service import BackupService
from homeport.backups.verify import migrated_copy, verify
from homeport.core.errors import Conflict
from homeport.network.model import NetworkConfig
from homeport.network.service import ApplyOutcome, NetworkService, Via
from homeport.store.db import Database
from homeport.system.device import DeviceService
from homeport.system.settings import SettingsService, read_value

# In the order rows may be inserted (foreign keys): what a restore replaces.
TABLES = (
    "groups", "users", "memberships", "unix_ids", "unix_id_counter", "passkeys", "shares", "share_user_access",
    "share_group_access",
)  # fmt: skip
SEALED_TABLES = ("smb_passwords", "totp_factors", "recovery_codes")  # open only with the key that sealed them
FORGOTTEN = ("remembered_browsers", "device_tokens")  # trust given to browsers of the replaced configuration


@dataclass(frozen=True)
class RestoreOutcome:
    backup: str
    before_restore: list[str]
    sessions_ended: int
    network: ApplyOutcome | None
    second_factors_kept: bool


@dataclass(frozen=True)
class RestoreParts:
    db: Database
    backups: BackupService
    network: NetworkService
    device: DeviceService
    settings: SettingsService
    sessions: SessionService
    audit: AuditLog
    sealing_key_id: Callable[[], str | None]


class LiveRestore:
    def __init__(self, parts: RestoreParts) -> None:
        self._p = parts

    def _same_key(self, found: FoundBackup) -> bool:
        return found.manifest.get("key_id") == self._p.sealing_key_id()

    def preview(self, backup_id: str) -> Preview:
        found = self._p.backups.find(backup_id)
        with migrated_copy(found.path / STORE_FILE) as copy, self._p.db.read() as live:
            return preview(
                live, copy, found.id, self._p.network.current(), self._p.device.name(), self._same_key(found)
            )

    async def restore(self, actor: Actor, backup_id: str, via: Via | None) -> RestoreOutcome:
        p = self._p
        found = p.backups.find(backup_id)
        if p.device.state() != "ready":
            raise Conflict("A backup is restored on a device in service (not during a recovery).", code="not_ready")
        report = await asyncio.to_thread(verify, found.path)
        if not report.ok:
            failed = ", ".join(c.name for c in report.checks if c.failed)
            raise Conflict(f"The backup fails verification ({failed}); nothing was changed.", code="backup_damaged")
        if p.network.pending() is not None:
            raise Conflict("A network change is waiting for confirmation; confirm it first.", code="change_pending")
        before = await asyncio.to_thread(p.backups.before, "restore")
        same_key = self._same_key(found)
        # Copying, migrating and swapping thousands of rows: in a worker thread, the event loop keeps answering.
        network, ended = await asyncio.to_thread(self._swap, actor, found, [b.id for b in before], same_key)
        p.settings.invalidate()
        p.device.invalidate()
        outcome = None
        if network is not None and network != p.network.current():
            outcome = await p.network.apply(actor, network, f"restore of backup {found.id}", via)
        return RestoreOutcome(found.id, [b.id for b in before], ended, outcome, same_key)

    def _swap(
        self, actor: Actor, found: FoundBackup, before: list[str], same_key: bool
    ) -> tuple[NetworkConfig | None, int]:
        """The backup's configuration in place of the live one, in one transaction; its network settings, to
        apply next."""
        p = self._p
        with migrated_copy(found.path / STORE_FILE) as copy:
            network = network_of(copy)
            name = read_value(copy, "system.name")
            copy_path = Path(copy.execute("PRAGMA database_list").fetchone()[2])
            with p.db.read() as store:  # the store's lock, held from ATTACH to DETACH (neither runs in a transaction)
                store.execute("ATTACH DATABASE ? AS restored", (str(copy_path),))
                try:
                    with p.db.write() as conn:
                        ended = p.sessions.end_all(conn)
                        _replace_tables(conn, same_key)
                        problem = sign_in_problem(conn)
                        if problem:  # verify checked the copy; this is the store as it would be committed
                            raise Conflict(f"After the restore, {problem}; nothing was changed.", code="no_sign_in")
                        if name:
                            p.device.set_name(conn, str(name))
                        p.audit.record(
                            conn, "backup.restored", actor, target=found.id, before_restore=before,
                            second_factors_kept=same_key,
                        )  # fmt: skip
                finally:
                    store.execute("DETACH DATABASE restored")
        return network, ended


def _columns(conn: sqlite3.Connection, table: str) -> str:
    return ", ".join(f'"{row[1]}"' for row in conn.execute(f"PRAGMA main.table_info({table})"))


def _replace_tables(conn: sqlite3.Connection, same_key: bool) -> None:
    """The live configuration tables become those of the attached `restored` store, in the caller's transaction."""
    for table in (*FORGOTTEN, *SEALED_TABLES, *reversed(TABLES)):
        conn.execute(f"DELETE FROM main.{table}")  # noqa: S608 - fixed names
    for table in (*TABLES, *(SEALED_TABLES if same_key else ())):
        columns = _columns(conn, table)
        conn.execute(f"INSERT INTO main.{table} ({columns}) SELECT {columns} FROM restored.{table}")  # noqa: S608
    kept = ",".join("?" * len(KEPT_SETTINGS))
    conn.execute(f"DELETE FROM main.settings WHERE key NOT IN ({kept})", KEPT_SETTINGS)  # noqa: S608
    conn.execute(
        f"INSERT INTO main.settings (key, value) SELECT key, value FROM restored.settings WHERE key NOT IN ({kept})",  # noqa: S608
        KEPT_SETTINGS,
    )
    conn.execute("UPDATE files_generation SET value = value + 1 WHERE id = 1")
