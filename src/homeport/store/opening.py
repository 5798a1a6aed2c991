"""Open the store at start-up: a damaged file is moved aside (never silently replaced), then migrate."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

import structlog

from homeport.core.atomic import fsync_directory
from homeport.store.db import Database, StoreDamaged, connect
from homeport.store.migrate import Invariant, migrate
from homeport.store.migrations import MIGRATIONS, Migration

_log = structlog.get_logger("homeport.store")


@dataclass(frozen=True)
class Damage:
    """What was wrong with the store and where the damaged file now lies."""

    reason: str
    quarantined_to: str
    detected_at: float

    def as_dict(self) -> dict[str, object]:
        return {"reason": self.reason, "quarantined_to": self.quarantined_to, "detected_at": self.detected_at}


def quarantine(db_path: Path, folder: Path, reason: str) -> Damage:
    """Move the database and its WAL/SHM files into `folder`, keeping them byte for byte."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
    target = folder / f"{db_path.stem}-{stamp}{db_path.suffix}"
    for suffix in ("", "-wal", "-shm"):
        source = db_path.with_name(db_path.name + suffix)
        if source.exists():
            os.replace(source, target.with_name(target.name + suffix))
    fsync_directory(db_path.parent)
    fsync_directory(folder)
    _log.error("store damaged; moved aside", reason=reason, quarantined_to=str(target))
    return Damage(reason=reason, quarantined_to=str(target), detected_at=time.time())


def open_store(
    db_path: Path,
    backups: Path,
    quarantine_folder: Path,
    invariant: Invariant,
    migrations: tuple[Migration, ...] = MIGRATIONS,
) -> tuple[Database, Damage | None]:
    """The migrated store and, if the previous file was damaged, what happened to it.

    Raises MigrationError (store left as it was) or sqlite3.Error for what is not damage (e.g. permissions).
    """
    damage = None
    try:
        conn = connect(db_path)
    except StoreDamaged as exc:
        damage = quarantine(db_path, quarantine_folder, str(exc))
        conn = connect(db_path)
    try:
        migrate(conn, db_path, backups, migrations, invariant)
    except BaseException:
        _close_quietly(conn)
        raise
    os.chmod(db_path, 0o600)
    return Database(conn), damage


def _close_quietly(conn: sqlite3.Connection) -> None:
    with contextlib.suppress(sqlite3.Error):
        conn.close()
