"""Makes one backup on every data volume: the store, the audit log, the sealed keys, the manifest.

A volume that fails does not stop the others; each failure is logged, audited and told to the administrators as
a `backup.failed` notice (no path of a secret, no secret, in it)."""

from __future__ import annotations

import hashlib
import hmac
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import structlog

from homeport import __version__
from homeport.audit.log import SYSTEM, Actor, AuditLog
from homeport.auth.sealing import KEY_FILE
from homeport.backups import settings as backup_settings
from homeport.backups.keys import seal_material
from homeport.backups.layout import KEYS_FILE, FoundBackup, read_manifest, write_backup
from homeport.core.clock import Clock
from homeport.core.events import EventBus, NoticeRaised
from homeport.store.db import Database
from homeport.system.device import DeviceService

_log = structlog.get_logger("homeport.backups")

REASONS = ("daily", "manual", "update", "mode2", "restore", "network")
# What a backup's key material holds (paths in the home). The TLS authority comes too: browsers that trusted it
# once keep trusting the device restored on new hardware, and it is sealed under the passphrase like the rest.
KEY_MATERIAL = (KEY_FILE, "tls/ca.key", "tls/ca.crt")


def key_id(key: bytes) -> str:
    """Names the sealing key without revealing it: whether a backup's sealed secrets open with this device's key."""
    return hmac.new(key, b"homeport key id", hashlib.sha256).hexdigest()[:16]


@dataclass(frozen=True)
class WriterParts:
    db: Database
    clock: Clock
    device: DeviceService
    audit: AuditLog
    bus: EventBus
    volumes: Callable[[], list[Path]]
    home_root: Path
    store: Path  # the live store's file, read by backups through their own connection


class BackupWriter:
    def __init__(self, parts: WriterParts) -> None:
        self._p = parts
        self._serial = threading.Lock()  # one backup at a time (the schedule, a form and an update may meet)

    def _material(self) -> dict[str, bytes]:
        found = {}
        for name in KEY_MATERIAL:
            path = self._p.home_root / name
            if path.is_file():
                found[name] = path.read_bytes()
        return found

    def sealing_key_id(self) -> str | None:
        path = self._p.home_root / KEY_FILE
        return key_id(path.read_bytes()) if path.is_file() else None

    def write(self, reason: str, actor: Actor = SYSTEM, extra: dict[str, Any] | None = None) -> list[FoundBackup]:
        """A backup on every mounted data volume; those that failed are told of, never raised."""
        p = self._p
        with self._serial:
            written: list[FoundBackup] = []
            with p.db.read() as conn:
                recipient = backup_settings.recipient(conn)
                keys_left_out = backup_settings.load(conn).keys_left_out
            manifest: dict[str, Any] = {
                **(extra or {}),
                "reason": reason,
                "created_at": p.clock.now(),
                "version": __version__,
                "name": p.device.name(),
                "serial": p.device.identity.serial,
                "key_id": self.sealing_key_id(),
                "keys_included": recipient is not None and not keys_left_out,
            }
            sealed = {}
            if recipient is not None and manifest["keys_included"]:
                sealed[KEYS_FILE] = seal_material(recipient, self._material())
            for volume in p.volumes():
                folder = self._write_one(volume, manifest, sealed, reason)
                if folder is not None:
                    written.append(FoundBackup(folder, read_manifest(folder) or manifest))
            self._record(reason, actor, written)
            return written

    def _write_one(self, volume: Path, manifest: dict[str, Any], sealed: dict[str, bytes], reason: str) -> Path | None:
        try:
            if not volume.is_dir():
                raise FileNotFoundError(f"{volume} is not mounted")
            return write_backup(self._p.store, volume, manifest, sealed)
        except (OSError, sqlite3.Error) as exc:
            _log.warning("a configuration backup failed", volume=str(volume), reason=reason, error=str(exc))
            with self._p.db.write() as conn:
                self._p.audit.record(
                    conn, "backup.created", SYSTEM, outcome="failure", target=volume.name, reason=reason,
                    error=type(exc).__name__,
                )  # fmt: skip
            self._p.bus.publish(
                NoticeRaised(
                    kind="backup.failed",
                    title=f"A configuration backup on {volume.name} failed",
                    body=f"The {reason} configuration backup could not be written to the volume {volume.name} "
                    f"({type(exc).__name__}: {exc.strerror if isinstance(exc, OSError) and exc.strerror else exc}). "
                    "Check that the volume is connected and has free space; the other volumes were backed up.",
                    severity="warning",
                )
            )
            return None

    def _record(self, reason: str, actor: Actor, written: list[FoundBackup]) -> None:
        if not written:
            return
        with self._p.db.write() as conn:
            for backup in written:
                self._p.audit.record(
                    conn, "backup.created", actor, target=backup.id, reason=reason,
                    keys_included=bool(backup.manifest.get("keys_included")),
                )  # fmt: skip
