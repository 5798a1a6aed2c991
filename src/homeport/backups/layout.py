"""The one layout of configuration backups on the data volumes: `<volume>/@homeport/config/<stamp>/`, written
whole (a `.partial` folder renamed into place) with the store, the audit log, the sealed key material (when the
owner set a recovery passphrase) and, last, a manifest holding every other file's SHA-256.

Mode 2, the daily schedule, the backups before risky changes and the manual ones all write through
`write_backup` and are all found by `find_backups`."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from homeport.accounts.models import ADMINISTRATORS
from homeport.core.atomic import fsync_directory, fsync_file
from homeport.store.backup import backup_to

FOLDER = "@homeport"
STORE_FILE = "config.sqlite"
AUDIT_FILE = "audit.jsonl"
KEYS_FILE = "keys.json"
MANIFEST_FILE = "manifest.json"
FORMAT_VERSION = 2  # 1: Mode 2's first backups (no checksums, no reason); 2: checksums, reason, counts, keys
PARTIAL = ".partial"


@dataclass(frozen=True)
class FoundBackup:
    path: Path
    manifest: dict[str, Any]

    @property
    def id(self) -> str:
        """Stable and path-free, for forms and APIs: `<volume name>/<stamp>`."""
        return f"{self.volume}/{self.path.name}"

    @property
    def volume(self) -> str:
        return self.path.parents[2].name

    @property
    def reason(self) -> str:
        """Why it was made; Mode 2's first backups carry only their reset's number."""
        return str(self.manifest.get("reason") or ("mode2" if "reset" in self.manifest else "unknown"))

    @property
    def created_at(self) -> float:
        value = self.manifest.get("created_at")
        return float(value) if isinstance(value, int | float) else self.path.stat().st_mtime

    @property
    def has_keys(self) -> bool:
        return bool(self.manifest.get("keys_included")) and (self.path / KEYS_FILE).is_file()

    def size(self) -> int:
        return sum(p.stat().st_size for p in self.path.iterdir() if p.is_file())


def config_folder(volume: Path) -> Path:
    return volume / FOLDER / "config"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        while chunk := source.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _write_lines(path: Path, lines: Iterable[str]) -> None:
    with path.open("w") as out:
        for line in lines:
            out.write(line + "\n")
        out.flush()
        os.fsync(out.fileno())


def _write_file(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def _stamp(at: float) -> str:
    """Sorts by time (UTC), unique within a second by its microseconds (plus a counter on a clash)."""
    return time.strftime("%Y%m%dT%H%M%S", time.gmtime(at)) + f"-{int(at * 1_000_000) % 1_000_000:06d}"


def write_backup(store: Path, volume: Path, manifest: dict[str, Any], extra: Mapping[str, bytes] | None = None) -> Path:
    """One complete backup on `volume`, or none: a crash leaves only a `.partial` folder, ignored and cleaned.

    The live store (WAL) is copied by `VACUUM INTO` through a connection of this call's own, so the daemon's
    connection and its lock stay free (no request waits for a backup's fsyncs); the schema, the counts and the
    audit log then come from that copy, so they describe exactly what it holds. `extra` files (the sealed keys)
    are written beside it; the manifest, last, lists every file's SHA-256."""
    folder = config_folder(volume)
    folder.mkdir(parents=True, exist_ok=True)
    at = float(manifest.get("created_at") or time.time())
    stamp = _stamp(at)
    while (folder / stamp).exists() or (folder / f"{stamp}{PARTIAL}").exists():
        at += 0.000001
        stamp = _stamp(at)
    partial = folder / f"{stamp}{PARTIAL}"
    partial.mkdir(mode=0o700)
    source = sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=30)
    try:
        backup_to(source, partial / STORE_FILE)
    finally:
        source.close()
    copy = sqlite3.connect(f"file:{partial / STORE_FILE}?mode=ro&immutable=1", uri=True)
    try:
        facts = {"schema": int(copy.execute("PRAGMA user_version").fetchone()[0]), "counts": counts(copy)}
        _write_lines(partial / AUDIT_FILE, audit_lines(copy))
    finally:
        copy.close()
    for name, data in (extra or {}).items():
        _write_file(partial / name, data)
    files = {p.name: sha256_of(p) for p in sorted(partial.iterdir())}
    full = {**manifest, **facts, "format": FORMAT_VERSION, "files": files}
    _write_file(partial / MANIFEST_FILE, json.dumps(full, sort_keys=True, indent=2).encode())
    fsync_file(partial / MANIFEST_FILE)
    fsync_directory(partial)
    final = folder / stamp
    os.rename(partial, final)
    fsync_directory(folder)
    return final


def counts(conn: sqlite3.Connection) -> dict[str, int]:
    """What a backup holds, for the list: accounts (the built-in one aside), enabled administrators, shares."""
    accounts = conn.execute("SELECT COUNT(*) FROM users WHERE builtin = 0").fetchone()[0]
    admins = conn.execute(
        "SELECT COUNT(*) FROM users u JOIN memberships m ON m.user_id = u.id JOIN groups g ON g.id = m.group_id"
        " WHERE g.name = ? AND u.enabled = 1",
        (ADMINISTRATORS,),
    ).fetchone()[0]
    shares = conn.execute("SELECT COUNT(*) FROM shares").fetchone()[0]
    return {"accounts": int(accounts), "administrators": int(admins), "shares": int(shares)}


def audit_lines(conn: sqlite3.Connection) -> Iterator[str]:
    """The audit log, oldest first, as JSON lines with AuditRecord's fields (keys sorted), made by SQLite a row at
    a time: no list of every record in memory, no Python JSON round trip of each detail."""
    rows = conn.execute(
        "SELECT json_object('action', action, 'actor', actor, 'at', at, 'client', client, 'detail', json(detail),"
        " 'id', id, 'outcome', outcome, 'target', target) FROM audit_log ORDER BY id"
    )
    for (line,) in rows:
        yield str(line)


def read_manifest(folder: Path) -> dict[str, Any] | None:
    try:
        manifest = json.loads((folder / MANIFEST_FILE).read_text())
    except (OSError, ValueError):
        return None
    return manifest if isinstance(manifest, dict) else None


def backup_folders(volumes: Iterable[Path]) -> list[Path]:
    """Every finished backup's folder (complete or damaged), `.partial` ones aside."""
    folders = []
    for volume in volumes:
        folder = config_folder(volume)
        if folder.is_dir():
            folders += [c for c in folder.iterdir() if c.is_dir() and not c.name.endswith(PARTIAL)]
    return folders


def find_backups(volumes: Iterable[Path]) -> list[FoundBackup]:
    """Backups with a readable manifest and a store on the volumes, newest first."""
    found = []
    for candidate in backup_folders(volumes):
        manifest = read_manifest(candidate)
        if manifest is not None and (candidate / STORE_FILE).is_file():
            found.append(FoundBackup(candidate, manifest))
    return sorted(found, key=lambda b: (b.path.name, b.volume), reverse=True)


def remove_partials(volumes: Iterable[Path]) -> None:
    for volume in volumes:
        folder = config_folder(volume)
        if folder.is_dir():
            for leftover in folder.glob(f"*{PARTIAL}"):
                shutil.rmtree(leftover, ignore_errors=True)


def remove_backup(backup: FoundBackup) -> None:
    """Gone whole or not at all to a reader: renamed to `.partial` first (cleaned at the next start if cut)."""
    doomed = backup.path.with_name(backup.path.name + PARTIAL)
    os.rename(backup.path, doomed)
    shutil.rmtree(doomed, ignore_errors=True)


def shared_folders(volumes: Iterable[Path]) -> list[Path]:
    """The folders a volume holds (what the shares issue will re-attach); `@homeport` and hidden ones aside."""
    folders = []
    for volume in volumes:
        if volume.is_dir():
            folders += [
                p for p in sorted(volume.iterdir()) if p.is_dir() and not p.name.startswith(("@", ".", "lost+found"))
            ]
    return folders
