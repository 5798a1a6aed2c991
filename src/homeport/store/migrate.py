"""The one migration runner: backup, migrate in one transaction, check the sign-in invariant, or restore.

After the migrations and before the commit, `invariant` is asked whether the migrated store still lets an
administrator sign in; if it answers with a problem, everything is rolled back. An update can never again
break sign-in the way the one in the user story did.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import structlog

from homeport.store.backup import backup_to, prune, restore_from
from homeport.store.migrations import Migration

_log = structlog.get_logger("homeport.store")

Invariant = Callable[[sqlite3.Connection], str | None]
"""Returns None when the store is usable, else a sentence saying what is wrong."""

BACKUPS_KEPT = 10


class MigrationError(Exception):
    """The store could not be brought to this version; it was left as it was (the message says where)."""


@dataclass(frozen=True)
class MigrationReport:
    from_version: int
    to_version: int
    backup: Path | None


def schema_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(
    conn: sqlite3.Connection,
    db_path: Path,
    backups_dir: Path,
    migrations: Sequence[Migration],
    invariant: Invariant,
) -> MigrationReport:
    """Bring the store at `db_path` (open as `conn`) to the last migration's number."""
    current = schema_version(conn)
    latest = migrations[-1].number if migrations else 0
    if current > latest:
        raise MigrationError(
            f"The store was written by a newer Homeport (schema {current}; this version knows {latest})."
            " Run that newer version, or restore a backup from " + str(backups_dir)
        )
    pending = [m for m in migrations if m.number > current]
    if not pending:
        return MigrationReport(current, current, None)
    backup = None
    if current > 0:
        stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
        backup = backup_to(conn, backups_dir / f"store-v{current:04d}-{stamp}.sqlite")
        prune(backups_dir, "store-v*.sqlite", BACKUPS_KEPT)
    try:
        _apply(conn, pending, invariant)
    except Exception as exc:
        if backup is not None:
            _restore(conn, backup, db_path)
            where = f"The store was restored from the backup {backup}."
        else:
            where = "The store was left empty."
        raise MigrationError(f"Migration to schema {pending[-1].number} failed: {exc}. {where}") from exc
    _log.info("store migrated", from_version=current, to_version=pending[-1].number, backup=str(backup))
    return MigrationReport(current, pending[-1].number, backup)


def _apply(conn: sqlite3.Connection, pending: Sequence[Migration], invariant: Invariant) -> None:
    conn.execute("BEGIN IMMEDIATE")
    try:
        for migration in pending:
            migration.upgrade(conn)
            conn.execute(f"PRAGMA user_version = {int(migration.number)}")
        problem = invariant(conn)
        if problem is not None:
            raise MigrationError(f"it would leave no administrator able to sign in ({problem}); rolled back")
        violations = conn.execute("PRAGMA foreign_key_check").fetchall()
        if violations:
            raise MigrationError(f"it left {len(violations)} broken references; rolled back")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _restore(conn: sqlite3.Connection, backup: Path, db_path: Path) -> None:
    """Belt and braces: the transaction was rolled back, but a migration may have committed behind our back."""
    conn.close()
    restore_from(backup, db_path)
