"""Mode 2's configuration backups on the data volumes: `<volume>/@homeport/config/<stamp>/`, written whole
(a `.partial` folder renamed into place) with the store, the audit log and a manifest."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from homeport.core.atomic import fsync_directory, fsync_file
from homeport.store.backup import backup_to

FOLDER = "@homeport"
STORE_FILE = "config.sqlite"
AUDIT_FILE = "audit.jsonl"
MANIFEST_FILE = "manifest.json"


@dataclass(frozen=True)
class FoundBackup:
    path: Path
    manifest: dict[str, Any]

    @property
    def id(self) -> str:
        """Stable and path-free, for forms and APIs: `<volume name>/<stamp>`."""
        return f"{self.path.parents[2].name}/{self.path.name}"


def config_folder(volume: Path) -> Path:
    return volume / FOLDER / "config"


def _write_json_lines(path: Path, records: Iterable[dict[str, Any]]) -> None:
    with path.open("w") as out:
        for record in records:
            out.write(json.dumps(record, sort_keys=True) + "\n")
        out.flush()
        os.fsync(out.fileno())


def write_backup(conn: sqlite3.Connection, volume: Path, manifest: dict[str, Any], audit: list[dict[str, Any]]) -> Path:
    """One complete backup on `volume`, or none: a crash leaves only a `.partial` folder, ignored and cleaned."""
    folder = config_folder(volume)
    folder.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime()) + f"-{time.time_ns() % 1_000_000:06d}"
    partial = folder / f"{stamp}.partial"
    partial.mkdir(mode=0o700)
    backup_to(conn, partial / STORE_FILE)
    _write_json_lines(partial / AUDIT_FILE, audit)
    (partial / MANIFEST_FILE).write_text(json.dumps(manifest, sort_keys=True, indent=2))
    fsync_file(partial / MANIFEST_FILE)
    fsync_directory(partial)
    final = folder / stamp
    os.rename(partial, final)
    fsync_directory(folder)
    return final


def find_backups(volumes: Iterable[Path]) -> list[FoundBackup]:
    """Complete backups on the volumes, newest first."""
    found = []
    for volume in volumes:
        folder = config_folder(volume)
        if not folder.is_dir():
            continue
        for candidate in folder.iterdir():
            if candidate.name.endswith(".partial") or not (candidate / MANIFEST_FILE).is_file():
                continue
            try:
                manifest = json.loads((candidate / MANIFEST_FILE).read_text())
            except (OSError, ValueError):
                continue
            if (candidate / STORE_FILE).is_file():
                found.append(FoundBackup(candidate, manifest))
    return sorted(found, key=lambda b: b.path.name, reverse=True)


def remove_partials(volumes: Iterable[Path]) -> None:
    for volume in volumes:
        folder = config_folder(volume)
        if folder.is_dir():
            for leftover in folder.glob("*.partial"):
                shutil.rmtree(leftover, ignore_errors=True)


def shared_folders(volumes: Iterable[Path]) -> list[Path]:
    """The folders a volume holds (what the shares issue will re-attach); `@homeport` and hidden ones aside."""
    folders = []
    for volume in volumes:
        if volume.is_dir():
            folders += [
                p for p in sorted(volume.iterdir()) if p.is_dir() and not p.name.startswith(("@", ".", "lost+found"))
            ]
    return folders
