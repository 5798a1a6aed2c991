"""Is a backup usable? Each check is named and reported on its own, so a damaged backup says what is wrong:
manifest, checksums, opens (read-only, `PRAGMA integrity_check`), schema (not newer than this version), sign_in
(an administrator could sign in after restoring it), keys (the key material opens with the passphrase)."""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from homeport.accounts.guardrails import sign_in_problem
from homeport.backups.keys import WrongPassphrase, open_material
from homeport.backups.layout import FORMAT_VERSION, KEYS_FILE, MANIFEST_FILE, STORE_FILE, read_manifest, sha256_of
from homeport.core.errors import InvalidInput
from homeport.store.db import connect
from homeport.store.migrate import migrate
from homeport.store.migrations import MIGRATIONS, Migration

CHECKS = ("manifest", "checksums", "opens", "schema", "sign_in", "keys")


@dataclass(frozen=True)
class Check:
    name: str
    outcome: str  # "passed", "failed" or "skipped"
    detail: str

    @property
    def failed(self) -> bool:
        return self.outcome == "failed"


@dataclass
class Verification:
    checks: list[Check] = field(default_factory=list)
    wrong_passphrase: bool = False  # the keys check failed on the passphrase given, not on the backup

    @property
    def ok(self) -> bool:
        return not any(c.failed for c in self.checks)

    def add(self, name: str, outcome: str, detail: str) -> None:
        self.checks.append(Check(name, outcome, detail))

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "checks": [c.__dict__ for c in self.checks]}


@contextlib.contextmanager
def read_only(path: Path) -> Iterator[sqlite3.Connection]:
    """The backup's store opened without writing a byte to the volume (no journal, no WAL files)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
    try:
        yield conn
    finally:
        conn.close()


@contextlib.contextmanager
def migrated_copy(path: Path, migrations: Sequence[Migration] = MIGRATIONS) -> Iterator[sqlite3.Connection]:
    """A private copy of the backup's store brought to this version's schema (the volume's file is never written)."""
    with tempfile.TemporaryDirectory(prefix="homeport-backup-") as work:
        copy = Path(work) / STORE_FILE
        shutil.copyfile(path, copy)
        conn = connect(copy)
        try:
            migrate(conn, copy, Path(work) / "backups", migrations, lambda _: None)
            yield conn
        finally:
            conn.close()


def verify(folder: Path, passphrase: str | None = None, migrations: Sequence[Migration] = MIGRATIONS) -> Verification:
    report = Verification()
    manifest = read_manifest(folder)
    if manifest is None:
        report.add("manifest", "failed", f"{MANIFEST_FILE} is missing or is not readable JSON.")
        return _skip_rest(report, "manifest")
    if int(manifest.get("format", 1)) > FORMAT_VERSION:
        report.add("manifest", "failed", "The backup was made by a newer Homeport (a newer format).")
        return _skip_rest(report, "manifest")
    made = f"Made for '{manifest.get('reason', 'mode2')}' by Homeport {manifest.get('version')}."
    report.add("manifest", "passed", made)
    if not check_checksums(folder, manifest, report):
        return _skip_rest(report, "checksums")
    if not _opens(folder / STORE_FILE, report):
        return _skip_rest(report, "opens")
    if not _schema(folder / STORE_FILE, migrations, report):
        return _skip_rest(report, "schema")
    _sign_in(folder / STORE_FILE, migrations, report)
    _keys(folder, manifest, passphrase, report)
    return report


def _skip_rest(report: Verification, after: str) -> Verification:
    for name in CHECKS[CHECKS.index(after) + 1 :]:
        report.add(name, "skipped", f"Not checked: the {after} check failed.")
    return report


def check_checksums(folder: Path, manifest: dict[str, Any], report: Verification) -> bool:
    files = manifest.get("files")
    if not isinstance(files, dict):
        # Mode 2's first backups carry no checksums: the store's own integrity check stands in for them.
        report.add("checksums", "skipped", "This older backup has no checksums.")
        return True
    if STORE_FILE not in files:
        report.add("checksums", "failed", f"The manifest lists no {STORE_FILE}.")
        return False
    for name, expected in sorted(files.items()):
        path = folder / name
        if "/" in name or not path.is_file():
            report.add("checksums", "failed", f"{name} is missing.")
            return False
        if sha256_of(path) != expected:
            report.add("checksums", "failed", f"{name} does not match its SHA-256 in the manifest (damaged).")
            return False
    report.add("checksums", "passed", f"{len(files)} files match their SHA-256.")
    return True


def _opens(store: Path, report: Verification) -> bool:
    try:
        with read_only(store) as conn:
            result = [row[0] for row in conn.execute("PRAGMA integrity_check").fetchall()]
    except sqlite3.Error as exc:
        report.add("opens", "failed", f"The store does not open: {exc}.")
        return False
    if result != ["ok"]:
        report.add("opens", "failed", f"The store fails SQLite's integrity check: {'; '.join(result[:3])}.")
        return False
    report.add("opens", "passed", "The store opens read-only and passes SQLite's integrity check.")
    return True


def _schema(store: Path, migrations: Sequence[Migration], report: Verification) -> bool:
    with read_only(store) as conn:
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    latest = migrations[-1].number if migrations else 0
    if version > latest:
        report.add("schema", "failed", f"Schema {version} is newer than this Homeport knows ({latest}): update first.")
        return False
    report.add("schema", "passed", f"Schema {version} (this version: {latest}).")
    return True


def _sign_in(store: Path, migrations: Sequence[Migration], report: Verification) -> None:
    try:
        with migrated_copy(store, migrations) as conn:
            problem = sign_in_problem(conn)
    except Exception as exc:  # a migration that refuses the backup's content says why
        report.add("sign_in", "failed", f"The backup cannot be brought to this version: {exc}")
        return
    if problem:
        report.add("sign_in", "failed", f"After restoring it, {problem}.")
    else:
        report.add("sign_in", "passed", "An enabled administrator could sign in after restoring it.")


def _keys(folder: Path, manifest: dict[str, Any], passphrase: str | None, report: Verification) -> None:
    if not manifest.get("keys_included"):
        report.add("keys", "skipped", "This backup holds no key material (left out).")
    elif not (folder / KEYS_FILE).is_file():
        report.add("keys", "failed", f"The manifest says keys are included, and {KEYS_FILE} is missing.")
    elif passphrase is None:
        report.add("keys", "skipped", "Give the recovery passphrase to check that the keys open.")
    else:
        try:
            held = open_material((folder / KEYS_FILE).read_bytes(), passphrase)
        except WrongPassphrase as exc:
            report.wrong_passphrase = True
            report.add("keys", "failed", exc.message)
        except InvalidInput as exc:
            report.add("keys", "failed", exc.message)
        else:
            report.add("keys", "passed", f"The key material opens with the passphrase ({', '.join(sorted(held))}).")
