"""Consistent copies of the store (`VACUUM INTO`), fsynced, and their restoration."""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path

from homeport.core.atomic import fsync_directory, fsync_file


def backup_to(conn: sqlite3.Connection, target: Path) -> Path:
    """Write a consistent, durable copy of the open database to `target` (which must not exist)."""
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    conn.execute("VACUUM INTO ?", (str(target),))
    os.chmod(target, 0o600)
    fsync_file(target)
    fsync_directory(target.parent)
    return target


def remove_sidecars(db_path: Path) -> None:
    """Drop the WAL and shared-memory files, which belong to the file being replaced."""
    for suffix in ("-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            db_path.with_name(db_path.name + suffix).unlink()


def restore_from(backup: Path, db_path: Path) -> None:
    """Put `backup` back in place of `db_path` atomically (the backup itself is kept)."""
    tmp = db_path.with_name(f".{db_path.name}.restore")
    with backup.open("rb") as src, tmp.open("wb") as dst:
        while chunk := src.read(1 << 20):
            dst.write(chunk)
        dst.flush()
        os.fsync(dst.fileno())
    os.chmod(tmp, 0o600)
    remove_sidecars(db_path)
    os.replace(tmp, db_path)
    fsync_directory(db_path.parent)


def prune(directory: Path, pattern: str, keep: int) -> None:
    """Keep the `keep` newest files matching `pattern` (names sort by time)."""
    files = sorted(directory.glob(pattern))
    for old in files[: max(0, len(files) - keep)]:
        with contextlib.suppress(FileNotFoundError):
            old.unlink()
