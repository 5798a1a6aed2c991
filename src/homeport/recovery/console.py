"""`homeport recover`: first aid on the machine itself, with the daemon stopped (the one documented exception
to "the daemon is the store's only writer"). Each aid is a small module with two methods: `plan` says what it
would change (the dry run), `apply` changes it and says what it did. Everything is recorded in the audit log.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from homeport.accounts import credentials, repository
from homeport.accounts.guardrails import sign_in_problem
from homeport.accounts.models import User
from homeport.accounts.passwords import Argon2Parameters, PasswordHasher
from homeport.accounts.policy import PasswordPolicy
from homeport.audit.log import Actor, AuditLog
from homeport.auth.factors import FactorService
from homeport.auth.sealing import KEY_BYTES, Sealer
from homeport.backups.keys import open_material
from homeport.backups.layout import KEYS_FILE, STORE_FILE
from homeport.backups.verify import verify
from homeport.backups.writer import KEY_MATERIAL
from homeport.core.atomic import write_atomic
from homeport.core.clock import SystemClock
from homeport.core.errors import Conflict, InvalidInput, NotFound
from homeport.home import Home, HomeUnusable
from homeport.network import snapshots
from homeport.network.model import dhcp_everywhere
from homeport.network.service import CURRENT_KEY, PENDING_KEY
from homeport.store.backup import backup_to, restore_from
from homeport.store.db import Database, connect
from homeport.store.migrate import migrate
from homeport.store.migrations import MIGRATIONS
from homeport.store.opening import open_store
from homeport.system.settings import SecuritySettings, read_value, write_value

ROOT = Actor("root@console", "console")


@dataclass
class Store:
    home: Home
    db: Database
    audit: AuditLog


class FirstAid(Protocol):
    name: str
    summary: str

    def plan(self, store: Store) -> list[str]: ...

    def apply(self, store: Store) -> list[str]: ...


@contextmanager
def stopped_daemon_store(home_path: Path) -> Iterator[Store]:
    """The store, opened while holding the home's lock: refused if the daemon runs."""
    home = Home(home_path)
    if not home.db_path.exists():
        raise NotFound(f"There is no Homeport store in {home_path}.", code="no_store")
    try:
        lock = home.lock()
    except HomeUnusable as exc:
        raise Conflict(f"{exc} First aid works only with the daemon stopped.", code="daemon_running") from exc
    db = None
    try:
        db, _ = open_store(home.db_path, home.backups, home.quarantine, lambda _: None)
        yield Store(home, db, AuditLog(db, SystemClock()))
    finally:
        if db is not None:
            db.close()
        os.close(lock)


@dataclass
class ResetPassword:
    """Set an administrator's password (and enable the account) when nobody can sign in."""

    user: str
    password: str = ""
    name: str = "reset-password"
    summary: str = "set an administrator's password and enable the account"

    def _find(self, store: Store) -> User:
        with store.db.read() as conn:
            found = repository.find_user(conn, self.user)
        if found is None:
            raise NotFound(f"There is no account named '{self.user}'.", code="user_not_found")
        if not found.is_admin:
            raise InvalidInput.field("user", f"'{self.user}' is not an administrator; first aid is for administrators.")
        return found

    def plan(self, store: Store) -> list[str]:
        user = self._find(store)
        changes = [f"set a new password for {user.name} (other accounts keep theirs)"]
        if not user.enabled:
            changes.append(f"enable {user.name}")
        if user.must_change_password:
            changes.append(f"stop asking {user.name} to change the password at sign-in")
        return changes

    def apply(self, store: Store) -> list[str]:
        changes = self.plan(store)
        user = self._find(store)
        with store.db.read() as conn:
            settings = SecuritySettings(**{k: v for k, v in (read_value(conn, "security") or {}).items()
                                           if k in SecuritySettings.__dataclass_fields__})  # fmt: skip
            params = read_value(conn, "security.argon2")
        normalised = PasswordPolicy(settings.password_min_length).check(self.password, user.name)
        hasher = PasswordHasher(Argon2Parameters(**params) if params else Argon2Parameters(), workers=1)
        try:
            new = credentials.NewPassword.derive(hasher.hash(normalised), self.password)
        finally:
            hasher.close()
        now = time.time()
        sealer = Sealer.in_home(store.home.root)
        with store.db.write() as conn:
            credentials.write_password(conn, sealer, user.id, new, must_change=False, now=now)
            repository.update_profile(conn, user.id, full_name=user.full_name, email=user.email, enabled=True, now=now)
            conn.execute("DELETE FROM sessions WHERE user_id = ?", (user.id,))
            store.audit.record(conn, "recovery.console", ROOT, target=user.name, aid=self.name)
        return changes


@dataclass
class ResetSecondFactors:
    """Remove every second factor of an account (its phone and its codes are lost, and nobody else can sign in
    to do it from the console): the password alone signs in, until the account enrols again."""

    user: str
    name: str = "reset-2fa"
    summary: str = "remove every second factor of an account: the password alone signs in again"

    def _find(self, store: Store) -> User:
        with store.db.read() as conn:
            found = repository.find_user(conn, self.user)
        if found is None:
            raise NotFound(f"There is no account named '{self.user}'.", code="user_not_found")
        return found

    @staticmethod
    def _factors(store: Store) -> FactorService:
        # Removing needs no secret opened, so a throwaway key: first aid, run as root, must never create the
        # daemon's key file (it would be root's, and unreadable to the daemon's user).
        return FactorService(store.db, SystemClock(), Sealer(os.urandom(KEY_BYTES)), store.audit)

    def plan(self, store: Store) -> list[str]:
        user = self._find(store)
        factors = self._factors(store)
        with store.db.read() as conn:
            summary = factors.summary(user.id, conn)
            browsers = len(factors.remembered.list(conn, user.id))
        changes = []
        if summary.totp:
            changes.append(f"remove the authenticator app of {user.name}")
        if summary.passkeys:
            changes.append(f"remove {summary.passkeys} passkey{'s' if summary.passkeys != 1 else ''} of {user.name}")
        if summary.recovery_codes_left:
            changes.append(f"remove the {summary.recovery_codes_left} unused recovery codes of {user.name}")
        if browsers:
            changes.append(f"forget {browsers} remembered browser{'s' if browsers != 1 else ''} of {user.name}")
        if summary.suspended:
            changes.append(f"end the suspension of {user.name}'s sign-in methods (a Mode 1 reset's)")
        if not changes:
            return [f"nothing: {user.name} has no second factor"]
        return [*changes, f"{user.name} then signs in with the password alone (and enrols again if the policy asks)"]

    def apply(self, store: Store) -> list[str]:
        changes = self.plan(store)
        user = self._find(store)
        with store.db.write() as conn:
            self._factors(store).clear_in(conn, user.id)
            store.audit.record(conn, "auth.factors_cleared", ROOT, target=user.name, aid=self.name)
        return changes


@dataclass
class NetworkToDhcp:
    """Every managed interface back to DHCP (MTU 1500, ports 5000/5001); applied when the daemon starts."""

    name: str = "network-dhcp"
    summary: str = "every interface to DHCP, MTU 1500, console ports 5000/5001"

    @staticmethod
    def _current(conn: Any) -> snapshots.Snapshot | None:
        current = read_value(conn, CURRENT_KEY)
        return snapshots.find(conn, int(current)) if current is not None else None

    def plan(self, store: Store) -> list[str]:
        with store.db.read() as conn:
            found = self._current(conn)
        if found is None:
            return ["nothing: the device has never left DHCP"]
        before = "; ".join(f"{i.name}: {i.address if i.mode == 'static' else 'DHCP'}" for i in found.config.interfaces)
        return [f"network from '{before}' (snapshot #{found.id}) to DHCP everywhere; the old one stays restorable"]

    def apply(self, store: Store) -> list[str]:
        changes = self.plan(store)
        with store.db.write() as conn:
            found = self._current(conn)
            if found is None:
                return changes
            config = dhcp_everywhere(found.config.hostname, [(i.name, i.mac) for i in found.config.interfaces])
            snapshot_id = snapshots.insert(conn, time.time(), ROOT.name, "first aid: network to DHCP", config)
            write_value(conn, CURRENT_KEY, snapshot_id)
            write_value(conn, PENDING_KEY, None)
            store.audit.record(conn, "recovery.console", ROOT, target=f"#{snapshot_id}", aid=self.name)
        return changes


@dataclass
class ClearAutoBlock:
    """Forget every blocked address (after an owner blocked themselves)."""

    name: str = "clear-auto-block"
    summary: str = "unblock every address the auto block holds"

    def plan(self, store: Store) -> list[str]:
        with store.db.read() as conn:
            blocked = [str(r[0]) for r in conn.execute("SELECT address FROM blocked_addresses ORDER BY address")]
        return [f"unblock {a}" for a in blocked] or ["nothing: no address is blocked"]

    def apply(self, store: Store) -> list[str]:
        changes = self.plan(store)
        with store.db.write() as conn:
            conn.execute("DELETE FROM blocked_addresses")
            store.audit.record(conn, "recovery.console", ROOT, aid=self.name, addresses=len(changes))
        return changes


@dataclass
class RestoreBackup:
    """Replace the store with a configuration backup (a backup folder or a store file); the current store is
    kept in the home's backups first. With the recovery passphrase, the backup's key material (the sealing key,
    the TLS authority) replaces the home's too, the current files kept beside them."""

    source: Path
    passphrase: str | None = None
    name: str = "restore-backup"
    summary: str = "replace the configuration with a backup (a backup folder or a config.sqlite)"

    def _file(self) -> Path:
        path = self.source / STORE_FILE if self.source.is_dir() else self.source
        if not path.is_file():
            raise NotFound(f"No configuration backup at {self.source}.", code="backup_not_found")
        return path

    def _check(self) -> tuple[int, list[str]]:
        """Verify a backup folder; migrate a copy to this version and check that an administrator can sign in."""
        notes = []
        if self.source.is_dir():
            report = verify(self.source, self.passphrase)
            damaged = [c for c in report.checks if c.failed and c.name in ("manifest", "checksums", "opens", "schema")]
            if damaged:
                raise Conflict(
                    f"The backup is damaged ({damaged[0].name}: {damaged[0].detail}).", code="backup_damaged"
                )
            keys = next(c for c in report.checks if c.name == "keys")
            if keys.failed:
                raise InvalidInput.field("passphrase", keys.detail)
            notes.append(f"keys: {keys.detail}" if self.passphrase is not None else "keys: left as they are")
        with tempfile.TemporaryDirectory(prefix="homeport-first-aid-") as work:
            copy = Path(work) / STORE_FILE
            shutil.copyfile(self._file(), copy)
            conn = connect(copy)
            try:
                migrated = migrate(conn, copy, Path(work) / "backups", MIGRATIONS, lambda _: None)
                admins = [u.name for u in repository.list_users(conn) if u.is_admin and u.enabled and u.has_password]
                problem = sign_in_problem(conn)
            finally:
                conn.close()
        notes.append(f"administrators who can sign in: {', '.join(admins) or 'none'}")
        if problem:
            notes.append(f"warning: {problem}; run reset-password after restoring")
        return migrated.from_version, notes

    def plan(self, store: Store) -> list[str]:  # noqa: ARG002 - the first aid interface
        version, notes = self._check()
        return [f"replace the configuration with {self._file()} (schema {version}, migrated at the next start)", *notes]

    def apply(self, store: Store) -> list[str]:
        changes = self.plan(store)
        stamp = time.strftime("%Y%m%dT%H%M%S")
        with store.db.read() as conn:
            kept = backup_to(conn, store.home.backups / f"before-first-aid-{stamp}.sqlite")
        if self.passphrase is not None and self.source.is_dir() and (self.source / KEYS_FILE).is_file():
            material = open_material((self.source / KEYS_FILE).read_bytes(), self.passphrase)
            changes += _restore_keys(store.home.root, material, stamp)
        store.db.close()
        restore_from(self._file(), store.home.db_path)
        store.db = Database(connect(store.home.db_path))
        store.audit = AuditLog(store.db, SystemClock())
        store.audit.record_now("recovery.console", ROOT, target=str(self._file()), aid=self.name, kept=str(kept))
        return [*changes, f"the previous configuration is kept at {kept}"]


def _restore_keys(home_root: Path, material: dict[str, bytes], stamp: str) -> list[str]:
    """The backup's key files into the home, each written atomically; a file they replace is kept beside it."""
    done = []
    for name, data in sorted(material.items()):
        if name not in KEY_MATERIAL:
            continue  # only the files a backup is meant to hold, never a path of its choosing
        target = home_root / name
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if target.is_file() and target.read_bytes() != data:
            write_atomic(target.with_name(f"{target.name}.before-first-aid-{stamp}"), target.read_bytes())
        write_atomic(target, data)
        done.append(f"restored the key file {name}")
    return done
