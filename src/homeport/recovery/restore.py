"""Mode 2's way back: restore a configuration backup found on a volume, in the setup wizard.

Users, groups, settings and shared folders (with who may use them) come back; every administrator must set a new
password (their hashes are not restored: the owner restoring the backup chooses one administrator's new password
now, and sets the others' from the console). SMB passwords never come back (their key stays in the home): each
account's next console sign-in makes its SMB password again. The backup's network settings come back as a snapshot
to restore from the console, not applied: the device stays where the owner found it.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from homeport.accounts import credentials, repository
from homeport.accounts.credentials import NewPassword
from homeport.accounts.models import BUILTIN_ADMIN, Group, User
from homeport.accounts.service import AccountService
from homeport.audit.log import Actor, AuditLog
from homeport.backups.layout import STORE_FILE, FoundBackup, find_backups
from homeport.core.clock import Clock
from homeport.core.errors import Conflict, InvalidInput, NotFound
from homeport.files import repository as shares_repository
from homeport.files.models import Share
from homeport.files.service import draft_of
from homeport.network import snapshots
from homeport.network.model import NetworkConfig
from homeport.smb.settings import SMB_KEY
from homeport.store.db import connect
from homeport.store.migrate import migrate
from homeport.store.migrations import MIGRATIONS, Migration
from homeport.system.device import DeviceService
from homeport.system.settings import SettingsService, read_value, write_value


@dataclass(frozen=True)
class BackupContent:
    found: FoundBackup
    users: list[User]
    groups: list[Group]
    security: dict[str, Any] | None
    name: str | None
    network: NetworkConfig | None
    shares: list[Share] = field(default_factory=list)
    smb: dict[str, Any] | None = None

    @property
    def administrators(self) -> list[str]:
        return [u.name for u in self.users if u.is_admin and not u.builtin]


def read_backup(found: FoundBackup, migrations: Sequence[Migration] = MIGRATIONS) -> BackupContent:
    """Open a copy of the backup (the volume's file is never written), bring it to this schema, read it."""
    with tempfile.TemporaryDirectory(prefix="homeport-restore-") as work:
        copy = Path(work) / STORE_FILE
        shutil.copyfile(found.path / STORE_FILE, copy)
        conn = connect(copy)
        try:
            migrate(conn, copy, Path(work) / "backups", migrations, lambda _: None)
            current = read_value(conn, "network.current")
            network = None
            if current is not None:
                snapshot = snapshots.find(conn, int(current))
                network = snapshot.config if snapshot else None
            return BackupContent(
                found=found,
                users=repository.list_users(conn),
                groups=repository.list_groups(conn),
                security=read_value(conn, "security"),
                name=read_value(conn, "system.name"),
                network=network,
                shares=shares_repository.list_shares(conn),
                smb=read_value(conn, SMB_KEY),
            )
        finally:
            conn.close()


class ConfigurationRestore:
    def __init__(
        self,
        db: Any,
        clock: Clock,
        device: DeviceService,
        accounts: AccountService,
        settings: SettingsService,
        audit: AuditLog,
        volumes: list[Path],
    ) -> None:
        self._db = db
        self._clock = clock
        self._device = device
        self._accounts = accounts
        self._settings = settings
        self._audit = audit
        self._volumes = volumes

    def backups(self) -> list[FoundBackup]:
        return find_backups(self._volumes)

    def inspect(self, backup_id: str) -> BackupContent:
        found = next((b for b in self.backups() if b.id == backup_id), None)
        if found is None:
            raise NotFound(f"There is no configuration backup '{backup_id}' on the volumes.", code="backup_not_found")
        return read_backup(found)

    def restore(self, backup_id: str, administrator: str, password: str, actor: Actor) -> User:
        if self._device.state() not in ("not-installed", "migratable"):
            raise Conflict("A backup is restored only by the setup wizard of a fresh device.", code="not_setup_state")
        content = self.inspect(backup_id)
        if administrator not in content.administrators:
            raise InvalidInput.field("administrator", "Enter the name of one of the backup's administrators.")
        new_hash = self._accounts.hash_new_password(administrator, password)
        with self._db.write() as conn:
            if self._device.state_in(conn) not in ("not-installed", "migratable"):
                raise Conflict("The device was set up meanwhile.", code="not_setup_state")
            self._restore_accounts(conn, content, administrator, new_hash)
            if content.security is not None:
                write_value(conn, "security", content.security)
            if content.smb is not None:
                write_value(conn, SMB_KEY, content.smb)
            self._restore_shares(conn, content)
            if content.name:
                self._device.set_name(conn, content.name)
            if content.network is not None:
                snapshots.insert(conn, self._clock.now(), actor.name, f"from the backup {backup_id}", content.network)
            self._device.set_state(conn, "ready")
            self._audit.record(conn, "recovery.backup_restored", actor, target=backup_id, administrator=administrator)
        self._settings.invalidate()
        return self._accounts.get_user(administrator)

    def _restore_shares(self, conn: sqlite3.Connection, content: BackupContent) -> None:
        """The shared folders as they were (their files never left the volumes); a volume not connected now
        leaves its shares unavailable until it is. Entries for accounts or groups that did not come back go."""
        now = self._clock.now()
        existing = {s.name.casefold() for s in shares_repository.list_shares(conn)}
        for share in content.shares:
            if share.name.casefold() not in existing:
                shares_repository.insert_share(conn, draft_of(share), now)

    def _restore_accounts(
        self, conn: sqlite3.Connection, content: BackupContent, chosen: str, new_hash: NewPassword
    ) -> None:
        now = self._clock.now()
        for group in content.groups:
            if not group.builtin and group.name not in repository.existing_group_names(conn):
                repository.insert_group(conn, group.name, group.description, now)
        groups = repository.existing_group_names(conn)
        for user in content.users:
            if user.builtin or user.name == BUILTIN_ADMIN:
                continue
            if repository.find_user(conn, user.name) is not None:
                continue
            # Administrators come back without a password: each must set a new one (the chosen one now).
            # The others keep their Argon2id hash; SMB's copy waits for their next sign-in (no plaintext here).
            kept = NewPassword(user.password_hash, None) if user.password_hash and not user.is_admin else None
            password = new_hash if user.name == chosen else kept
            user_id = repository.insert_user(conn, name=user.name, full_name=user.full_name, email=user.email, now=now)
            if password:
                must_change = user.must_change_password
                credentials.write_password(
                    conn, self._accounts.sealer, user_id, password, must_change=must_change, now=now
                )
            else:
                credentials.clear_password(conn, user_id)
            conn.execute(
                "UPDATE users SET enabled = ? WHERE id = ?", (int(user.enabled or user.name == chosen), user_id)
            )
            repository.set_groups(conn, user_id, [g for g in user.groups if g in groups])
