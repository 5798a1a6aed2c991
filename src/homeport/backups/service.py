"""Configuration backups for the API, the console, the CLI and the schedule: settings, the recovery passphrase,
making (by hand, daily, before a risky change), the list, verifying, pruning, and a backup's archive."""

from __future__ import annotations

import io
import tarfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import structlog

from homeport.accounts.models import User
from homeport.audit.log import SYSTEM, Actor, AuditLog
from homeport.backups import keys
from homeport.backups import settings as stored
from homeport.backups.guesses import PassphraseGuesses
from homeport.backups.layout import FoundBackup, find_backups, remove_backup
from homeport.backups.retention import Dated, to_prune
from homeport.backups.settings import BackupSettings
from homeport.backups.verify import Verification, verify
from homeport.backups.writer import BackupWriter
from homeport.core.clock import Clock
from homeport.core.errors import InvalidInput, NotFound
from homeport.store.db import Database
from homeport.system.settings import read_value, write_value

_log = structlog.get_logger("homeport.backups")

VERIFIED_KEY = "backups.verified"
PassphraseState = Literal["set", "left_out", "not_set"]
ConfirmPassword = Callable[[User, str, str, str], None]  # user, password, client, field (LoginService's)


@dataclass(frozen=True)
class Listed:
    backup: FoundBackup
    size: int
    verified: dict[str, Any] | None  # {"at": ..., "ok": ...} of the last verification


class BackupService:
    def __init__(
        self, db: Database, clock: Clock, audit: AuditLog, writer: BackupWriter, volumes: Callable[[], list[Path]],
        confirm_password: ConfirmPassword, wrap: keys.WrapParameters | None = None,
    ) -> None:  # fmt: skip
        self._db = db
        self._clock = clock
        self._audit = audit
        self._writer = writer
        self._volumes = volumes
        self._confirm_password = confirm_password
        self._wrap = wrap
        self._verify_lock = threading.Lock()
        self._guesses = PassphraseGuesses(clock)

    # --- settings and the passphrase -----------------------------------------------------------------

    def settings(self) -> BackupSettings:
        with self._db.read() as conn:
            return stored.load(conn)

    def change_settings(self, actor: Actor, changes: dict[str, Any]) -> BackupSettings:
        if "keys_left_out" in changes:
            raise InvalidInput.field("keys_left_out", "Leave the keys out with the recovery passphrase's own form.")
        with self._db.write() as conn:
            updated = stored.validated(stored.load(conn), changes)
            stored.save(conn, updated)
            self._audit.record(conn, "backup.settings_changed", actor, changed=sorted(changes))
        return updated

    def passphrase_state(self) -> PassphraseState:
        with self._db.read() as conn:
            if stored.load(conn).keys_left_out:
                return "left_out"
            return "set" if stored.recipient(conn) is not None else "not_set"

    def confirm(self, actor: Actor, user: User | None, current_password: str | None) -> None:
        """The current password before a restore (the API checks it before the restore starts)."""
        self._confirm(user, current_password, actor.client)

    def _confirm(self, user: User | None, current_password: str | None, client: str) -> None:
        """The current password, from an administrator in a browser (root on the machine has none to give)."""
        if user is None:
            return
        if not current_password:
            raise InvalidInput.field("current_password", "Enter your current password to confirm.")
        self._confirm_password(user, current_password, client, "current_password")

    def set_passphrase(self, actor: Actor, user: User | None, current_password: str | None, passphrase: str) -> None:
        """New key pair under a new passphrase: later backups hold the keys; earlier ones keep the old passphrase."""
        keys.check_passphrase(passphrase)
        self._confirm(user, current_password, actor.client)
        recipient = keys.make_recipient(passphrase, self._wrap)
        with self._db.write() as conn:
            changed = stored.recipient(conn) is not None
            write_value(conn, stored.RECIPIENT_KEY, recipient)
            stored.save(conn, stored.validated(stored.load(conn), {"keys_left_out": False}))
            self._audit.record(conn, "backup.passphrase_set", actor, changed=changed)

    def leave_keys_out(self, actor: Actor, user: User | None, current_password: str | None) -> None:
        """The owner's explicit choice: backups without key material (sealed secrets do not come back)."""
        self._confirm(user, current_password, actor.client)
        with self._db.write() as conn:
            conn.execute("DELETE FROM settings WHERE key = ?", (stored.RECIPIENT_KEY,))
            stored.save(conn, stored.validated(stored.load(conn), {"keys_left_out": True}))
            self._audit.record(conn, "backup.keys_left_out", actor)

    # --- making ----------------------------------------------------------------------------------------

    def create(self, reason: str, actor: Actor = SYSTEM, extra: dict[str, Any] | None = None) -> list[FoundBackup]:
        """A backup on every volume now, then old ones pruned. Failures are told of (notices), not raised."""
        written = self._writer.write(reason, actor, extra)
        self.prune()
        return written

    def before(self, reason: str) -> list[FoundBackup]:
        """The seam for risky changes (`update`, `mode2`, `restore`, `network`): call it outside any store
        transaction, before changing anything. Returns what was written (empty: no volume took one)."""
        return self.create(reason, SYSTEM)

    def last_daily(self) -> float | None:
        daily = [b.created_at for b in self.backups() if b.reason == "daily"]
        return max(daily) if daily else None

    # --- the list ------------------------------------------------------------------------------------

    def backups(self) -> list[FoundBackup]:
        return find_backups(self._volumes())

    def listed(self) -> list[Listed]:
        with self._db.read() as conn:
            verified = read_value(conn, VERIFIED_KEY) or {}
        return [Listed(b, b.size(), verified.get(b.id)) for b in self.backups()]

    def find(self, backup_id: str) -> FoundBackup:
        found = next((b for b in self.backups() if b.id == backup_id), None)
        if found is None:
            raise NotFound(
                f"There is no configuration backup '{backup_id[:80]}' on the volumes (see: homeport backup list).",
                code="backup_not_found",
            )
        return found

    # --- verifying -------------------------------------------------------------------------------------

    def verify(self, actor: Actor, backup_id: str, passphrase: str | None = None) -> Verification:
        """A wrong passphrase is the caller's mistake, not the backup's: refused (and counted, so guessing is slow)
        without touching the backup's recorded verification."""
        found = self.find(backup_id)
        client = actor.client or "local"
        with self._verify_lock:
            if passphrase:
                self._guesses.check(client)
            report = verify(found.path, passphrase or None)
            if report.wrong_passphrase:
                self._guesses.failed(client)
            elif passphrase:
                self._guesses.succeeded(client)
        if report.wrong_passphrase:
            with self._db.write() as conn:
                self._audit.record(conn, "backup.passphrase_refused", actor, target=found.id, outcome="failure")
            raise keys.WrongPassphrase.field(
                "passphrase",
                "This recovery passphrase does not open the backup's keys. Check it and try again; the backup's "
                "recorded check is unchanged.",
            )
        with self._db.write() as conn:
            results = read_value(conn, VERIFIED_KEY) or {}
            results[found.id] = {"at": self._clock.now(), "ok": report.ok}
            present = {b.id for b in self.backups()}
            write_value(conn, VERIFIED_KEY, {k: v for k, v in results.items() if k in present})
            failed = [c.name for c in report.checks if c.failed]
            self._audit.record(
                conn, "backup.verified", actor, target=found.id, outcome="success" if report.ok else "failure",
                failed=failed,
            )  # fmt: skip
        return report

    # --- pruning -----------------------------------------------------------------------------------------

    def prune(self) -> list[str]:
        rules = self.settings()
        by_volume: dict[str, list[FoundBackup]] = {}
        for backup in self.backups():
            by_volume.setdefault(backup.volume, []).append(backup)
        removed = []
        for backups in by_volume.values():
            doomed = set(to_prune([Dated(b.id, b.reason, b.created_at) for b in backups], rules))
            for backup in backups:
                if backup.id in doomed:
                    try:
                        remove_backup(backup)
                    except OSError as exc:
                        _log.warning("an old backup could not be removed", backup=backup.id, error=str(exc))
                        continue
                    removed.append(backup.id)
        if removed:
            with self._db.write() as conn:
                self._audit.record(conn, "backup.pruned", SYSTEM, removed=removed)
        return removed

    # --- downloading -------------------------------------------------------------------------------------

    def archive(self, actor: Actor, user: User | None, current_password: str | None, backup_id: str) -> FoundBackup:
        """Downloading needs the current password: a backup holds password hashes."""
        found = self.find(backup_id)
        self._confirm(user, current_password, actor.client)
        with self._db.write() as conn:
            self._audit.record(conn, "backup.downloaded", actor, target=found.id)
        return found


def tar_stream(found: FoundBackup) -> Iterator[bytes]:
    """The backup's folder as an uncompressed tar, a file at a time (the store is already compact)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w|", format=tarfile.PAX_FORMAT) as archive:
        for path in sorted(p for p in found.path.iterdir() if p.is_file()):
            info = archive.gettarinfo(str(path), arcname=f"{found.path.name}/{path.name}")
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            with path.open("rb") as source:
                archive.addfile(info, source)
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
