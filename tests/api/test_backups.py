"""Configuration backups over the API: make, list, verify, the recovery passphrase, download, preview, restore."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from homeport.backups.guesses import FREE_FAILURES
from homeport.backups.keys import open_material
from homeport.backups.verify import verify
from homeport.recovery.button import Decision
from homeport.services import Services
from tests.support.api import ADMIN_PASSWORD, create_user, error_code, sign_in
from tests.support.clock import FakeClock
from tests.support.recovery import browser, mode

PASSPHRASE = "blue kettle morning harbour"


def make(owner: TestClient) -> dict[str, Any]:
    answer = owner.post("/api/v1/backups")
    assert answer.status_code == 201, answer.text
    [made] = answer.json()
    result: dict[str, Any] = made
    return result


def folder_of(services: Services, backup_id: str) -> Path:
    _volume, stamp = backup_id.split("/")
    return services.volumes.paths[0] / "@homeport" / "config" / stamp


def test_a_manual_backup_holds_the_store_log_and_manifest_and_verifies(
    installed: TestClient, services: Services
) -> None:
    made = make(installed)
    assert made["reason"] == "manual" and made["keys_included"] is False
    assert made["counts"] == {"accounts": 2, "administrators": 1, "shares": 0}
    folder = folder_of(services, made["id"])
    assert sorted(p.name for p in folder.iterdir()) == ["audit.jsonl", "config.sqlite", "manifest.json"]
    manifest = json.loads((folder / "manifest.json").read_text())
    assert (
        manifest["format"] == 2 and manifest["name"] == "nas" and manifest["serial"] == services.device.identity.serial
    )
    assert set(manifest["files"]) == {"audit.jsonl", "config.sqlite"}
    lines = [json.loads(line) for line in (folder / "audit.jsonl").read_text().splitlines()]
    assert "system.setup" in [r["action"] for r in lines] and isinstance(lines[0]["detail"], dict)
    assert set(lines[0]) == {"action", "actor", "at", "client", "detail", "id", "outcome", "target"}
    assert [r["id"] for r in lines] == sorted(r["id"] for r in lines)  # oldest first
    listing = installed.get("/api/v1/backups").json()
    assert listing["passphrase"] == "not_set" and listing["settings"]["daily_at"] == "03:00"
    assert [b["id"] for b in listing["backups"]] == [made["id"]] and listing["backups"][0]["verified_ok"] is None

    report = installed.post(f"/api/v1/backups/{made['id']}/verify", json={}).json()
    assert report["ok"] is True
    assert [(c["name"], c["outcome"]) for c in report["checks"]] == [
        ("manifest", "passed"), ("checksums", "passed"), ("opens", "passed"), ("schema", "passed"),
        ("sign_in", "passed"), ("keys", "skipped"),
    ]  # fmt: skip
    assert installed.get("/api/v1/backups").json()["backups"][0]["verified_ok"] is True
    assert services.audit.query(action="backup.created") and services.audit.query(action="backup.verified")


def test_a_damaged_backup_fails_verify_naming_the_check(installed: TestClient, services: Services) -> None:
    made = make(installed)
    store = folder_of(services, made["id"]) / "config.sqlite"
    data = bytearray(store.read_bytes())
    data[len(data) // 2] ^= 0xFF
    store.write_bytes(bytes(data))
    report = installed.post(f"/api/v1/backups/{made['id']}/verify", json={}).json()
    failed = [c for c in report["checks"] if c["outcome"] == "failed"]
    assert report["ok"] is False and [c["name"] for c in failed] == ["checksums"]
    assert "config.sqlite" in failed[0]["detail"]
    assert installed.get("/api/v1/backups").json()["backups"][0]["verified_ok"] is False
    assert services.audit.query(action="backup.verified")[0].outcome == "failure"


def test_the_passphrase_needs_the_current_password_and_seals_the_keys(
    installed: TestClient, services: Services, home: Any
) -> None:
    short = installed.put(
        "/api/v1/backups/passphrase", json={"passphrase": "short", "current_password": ADMIN_PASSWORD}
    )
    assert short.status_code == 422 and "passphrase" in short.json()["error"]["fields"]
    missing = installed.put("/api/v1/backups/passphrase", json={"passphrase": PASSPHRASE})
    assert missing.status_code == 422 and "current_password" in missing.json()["error"]["fields"]
    wrong = installed.put("/api/v1/backups/passphrase", json={"passphrase": PASSPHRASE, "current_password": "nope"})
    assert wrong.status_code == 422 and "current_password" in wrong.json()["error"]["fields"]
    done = installed.put(
        "/api/v1/backups/passphrase", json={"passphrase": PASSPHRASE, "current_password": ADMIN_PASSWORD}
    )
    assert done.status_code == 204, done.text
    assert installed.get("/api/v1/backups").json()["passphrase"] == "set"

    made = make(installed)
    assert made["keys_included"] is True
    keys_file = (folder_of(services, made["id"]) / "keys.json").read_bytes()
    assert PASSPHRASE.encode() not in keys_file and (home.root / "secrets.key").read_bytes() not in keys_file
    opened = open_material(keys_file, PASSPHRASE)
    assert opened["secrets.key"] == (home.root / "secrets.key").read_bytes()
    assert opened["tls/ca.crt"] == (home.root / "tls" / "ca.crt").read_bytes()

    right = installed.post(f"/api/v1/backups/{made['id']}/verify", json={"passphrase": PASSPHRASE}).json()
    assert right["ok"] is True and right["checks"][-1]["outcome"] == "passed"
    log = json.dumps([r.__dict__ for r in services.audit.query(limit=1000)])
    assert PASSPHRASE not in log

    out = installed.post("/api/v1/backups/passphrase/leave-out", json={"current_password": ADMIN_PASSWORD})
    assert out.status_code == 204 and installed.get("/api/v1/backups").json()["passphrase"] == "left_out"
    assert make(installed)["keys_included"] is False


def test_a_wrong_passphrase_is_the_callers_mistake_and_guessing_it_is_slowed(
    installed: TestClient, services: Services, clock: FakeClock
) -> None:
    installed.put("/api/v1/backups/passphrase", json={"passphrase": PASSPHRASE, "current_password": ADMIN_PASSWORD})
    made = make(installed)
    verify_url = f"/api/v1/backups/{made['id']}/verify"
    assert installed.post(verify_url, json={"passphrase": PASSPHRASE}).json()["ok"] is True

    wrong = installed.post(verify_url, json={"passphrase": "not the one at all"})
    assert wrong.status_code == 422 and "passphrase" in wrong.json()["error"]["fields"]
    assert "does not open" in wrong.json()["error"]["message"]
    [listed] = [b for b in installed.get("/api/v1/backups").json()["backups"] if b["id"] == made["id"]]
    assert listed["verified_ok"] is True  # the backup's own check is not spoiled by a typo
    assert services.audit.query(action="backup.passphrase_refused")

    for _ in range(FREE_FAILURES):  # a few typos are free; the one after them starts the wait
        assert installed.post(verify_url, json={"passphrase": "another guess"}).status_code == 422
    throttled = installed.post(verify_url, json={"passphrase": "yet another guess"})
    assert throttled.status_code == 429 and int(throttled.headers["Retry-After"]) >= 1
    assert "wrong recovery passphrases" in throttled.json()["error"]["message"]
    # even the right passphrase waits (nothing is tried while throttled); a plain verify does not
    assert installed.post(verify_url, json={"passphrase": PASSPHRASE}).status_code == 429
    assert installed.post(verify_url, json={"passphrase": ""}).json()["ok"] is True
    clock.advance(int(throttled.headers["Retry-After"]))
    assert installed.post(verify_url, json={"passphrase": PASSPHRASE}).json()["ok"] is True
    assert installed.post(verify_url, json={"passphrase": "a fresh typo"}).status_code == 422


def test_downloading_needs_the_current_password_and_gives_a_tar(installed: TestClient, services: Services) -> None:
    made = make(installed)
    refused = installed.post(f"/api/v1/backups/{made['id']}/download", json={})
    assert refused.status_code == 422 and "current_password" in refused.json()["error"]["fields"]
    answer = installed.post(f"/api/v1/backups/{made['id']}/download", json={"current_password": ADMIN_PASSWORD})
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/x-tar"
    stamp = made["id"].split("/")[1]
    with tarfile.open(fileobj=io.BytesIO(answer.content)) as archive:
        names = sorted(archive.getnames())
        store = archive.extractfile(f"{stamp}/config.sqlite")
        assert store is not None and store.read() == (folder_of(services, made["id"]) / "config.sqlite").read_bytes()
    assert names == [f"{stamp}/audit.jsonl", f"{stamp}/config.sqlite", f"{stamp}/manifest.json"]
    assert services.audit.query(action="backup.downloaded")[0].target == made["id"]


def test_bad_input_is_refused_clearly(installed: TestClient) -> None:
    assert installed.post("/api/v1/backups/volume1/20260101T000000-000000/verify", json={}).status_code == 404
    assert installed.post("/api/v1/backups/volume1/not-a-stamp/verify", json={}).status_code == 422
    bad = installed.patch("/api/v1/backups/settings", json={"daily_at": "25:00", "keep_daily": 0})
    assert bad.status_code == 422 and set(bad.json()["error"]["fields"]) == {"daily_at", "keep_daily"}
    good = installed.patch("/api/v1/backups/settings", json={"daily_at": "04:30", "keep_monthly": 12})
    assert good.status_code == 200 and good.json()["daily_at"] == "04:30" and good.json()["keep_monthly"] == 12
    made = make(installed)
    unconfirmed = installed.post(f"/api/v1/backups/{made['id']}/restore", json={"confirm": False})
    assert unconfirmed.status_code == 422 and "confirm" in unconfirmed.json()["error"]["fields"]


def test_only_administrators_see_backups(installed: TestClient, services: Services) -> None:
    with browser(services) as bob:
        sign_in(bob, "bob", "a long one for b")
        assert bob.get("/api/v1/backups").status_code == 403
        assert bob.post("/api/v1/backups").status_code == 403


def test_restore_previews_then_brings_the_configuration_back(installed: TestClient, services: Services) -> None:
    made = make(installed)
    installed.put("/api/v1/backups/passphrase", json={"passphrase": PASSPHRASE, "current_password": ADMIN_PASSWORD})
    assert installed.delete("/api/v1/users/bob").status_code == 204
    create_user(installed, "carol")
    volume = services.volumes.paths[0].name
    share = {"name": "Docs", "volume": volume, "permissions": {"users": {"carol": "rw"}, "groups": {}}}
    assert installed.post("/api/v1/shares", json=share).status_code == 201

    preview = installed.get(f"/api/v1/backups/{made['id']}/preview").json()
    assert preview["accounts"] == {"added": ["bob"], "removed": ["carol"], "changed": []}
    assert preview["shares"]["removed"] == ["Docs"] and preview["administrators_after"] == ["alice"]
    assert preview["second_factors_kept"] is True and preview["network_changes"] is False

    refused = installed.post(f"/api/v1/backups/{made['id']}/restore", json={"confirm": True, "current_password": "x"})
    assert refused.status_code == 422 and [u.name for u in services.accounts.list_users()].count("carol") == 1
    done = installed.post(
        f"/api/v1/backups/{made['id']}/restore", json={"confirm": True, "current_password": ADMIN_PASSWORD}
    )
    assert done.status_code == 200, done.text
    outcome = done.json()
    assert outcome["sessions_ended"] >= 1 and outcome["network"] is None and len(outcome["before_restore"]) == 1
    names = sorted(u.name for u in services.accounts.list_users())
    assert "bob" in names and "carol" not in names and services.shares.list() == []
    assert installed.get("/api/v1/backups").status_code == 401  # every session ended
    sign_in(installed)
    listing = installed.get("/api/v1/backups").json()
    assert listing["passphrase"] == "set"  # the device's own protection stays as the owner set it
    assert {b["reason"] for b in listing["backups"]} == {"manual", "restore"}
    assert error_code(installed.post(f"/api/v1/backups/{made['id']}/restore", json={"confirm": True})) == (
        "invalid_input"
    )
    assert services.audit.query(action="backup.restored")[0].target == made["id"]


def test_a_damaged_backup_is_not_restored(installed: TestClient, services: Services) -> None:
    made = make(installed)
    (folder_of(services, made["id"]) / "audit.jsonl").write_text("tampered\n")
    answer = installed.post(
        f"/api/v1/backups/{made['id']}/restore", json={"confirm": True, "current_password": ADMIN_PASSWORD}
    )
    assert answer.status_code == 409 and error_code(answer) == "backup_damaged" and "checksums" in answer.text
    assert installed.get("/api/v1/backups").status_code == 200  # nothing happened: the session goes on


def test_mode_2_writes_through_the_same_writer_with_its_reason(installed: TestClient, services: Services) -> None:
    installed.put("/api/v1/backups/passphrase", json={"passphrase": PASSPHRASE, "current_password": ADMIN_PASSWORD})
    reset = mode(installed, services, Decision.MODE_2)
    [backup] = services.backups.backups()
    assert backup.reason == "mode2" and backup.manifest["reset"] == reset and backup.has_keys
    assert backup.manifest["counts"]["accounts"] == 2  # the configuration as it was before the reset
    report = verify(backup.path, PASSPHRASE)
    assert report.ok, report.checks
