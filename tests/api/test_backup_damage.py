"""Damaged backups fail verify with the check named; a volume that fails does not stop the others, and says so."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from homeport.backups.layout import find_backups
from homeport.backups.verify import verify
from homeport.core.events import NoticeRaised
from homeport.services import Services


@pytest.fixture
def backup(installed: TestClient, services: Services) -> Path:
    [made] = services.backups.create("manual")
    return made.path


def failed(folder: Path) -> list[str]:
    return [c.name for c in verify(folder).checks if c.failed]


def test_a_truncated_store_fails_checksums(backup: Path) -> None:
    store = backup / "config.sqlite"
    store.write_bytes(store.read_bytes()[: store.stat().st_size // 2])
    assert failed(backup) == ["checksums"]


def test_a_missing_manifest_fails_the_manifest_check_and_hides_the_backup(backup: Path, services: Services) -> None:
    (backup / "manifest.json").unlink()
    report = verify(backup)
    assert [(c.name, c.outcome) for c in report.checks][:2] == [("manifest", "failed"), ("checksums", "skipped")]
    assert find_backups(services.volumes.paths) == []


def test_a_store_damaged_with_matching_checksums_fails_the_integrity_check(backup: Path) -> None:
    store = backup / "config.sqlite"
    data = bytearray(store.read_bytes())
    page = int.from_bytes(data[16:18], "big")
    for start in range(page, len(data), page):  # every b-tree page's header: an invalid page type
        data[start] = 0xFF
    store.write_bytes(bytes(data))
    manifest = json.loads((backup / "manifest.json").read_text())
    manifest["files"]["config.sqlite"] = hashlib.sha256(bytes(data)).hexdigest()
    (backup / "manifest.json").write_text(json.dumps(manifest))
    assert failed(backup) == ["opens"]


def edit_store(backup: Path, sql: str) -> None:
    """Change the backup's store and its checksum alike: a consistent backup with other content."""
    store = backup / "config.sqlite"
    conn = sqlite3.connect(store)
    conn.executescript(sql)
    conn.close()
    manifest = json.loads((backup / "manifest.json").read_text())
    manifest["files"]["config.sqlite"] = hashlib.sha256(store.read_bytes()).hexdigest()
    (backup / "manifest.json").write_text(json.dumps(manifest))


def test_a_store_from_a_newer_homeport_fails_the_schema_check(backup: Path) -> None:
    edit_store(backup, "PRAGMA user_version = 999;")
    assert failed(backup) == ["schema"]


def test_a_store_where_no_administrator_can_sign_in_fails_the_sign_in_check(backup: Path) -> None:
    edit_store(backup, "UPDATE users SET enabled = 0;")
    report = verify(backup)
    assert [c.name for c in report.checks if c.failed] == ["sign_in"]
    assert "no enabled administrator" in next(c.detail for c in report.checks if c.name == "sign_in")


def test_a_failing_volume_does_not_stop_the_others_and_raises_a_notice(
    installed: TestClient, services: Services, short_tmp: Path
) -> None:
    notices: list[NoticeRaised] = []
    services.bus.subscribe(NoticeRaised, notices.append)
    volume = services.volumes.paths[0]
    blocked = volume / "@homeport"
    blocked.write_text("a file where the backup folder should be")  # writing under it fails
    try:
        assert services.backups.create("manual") == []
    finally:
        blocked.unlink()
    [notice] = notices
    assert notice.kind == "backup.failed" and volume.name in notice.title and notice.severity == "warning"
    assert services.audit.query(action="backup.created")[0].outcome == "failure"
    assert len(services.backups.create("manual")) == 1 and len(notices) == 1
