"""Answers of the configuration backup routes, as published in the OpenAPI document."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel

from homeport.api.network_schemas import ApplyOut
from homeport.backups.preview import Changes, Preview
from homeport.backups.restore import RestoreOutcome
from homeport.backups.service import Listed
from homeport.backups.settings import BackupSettings
from homeport.backups.verify import Verification


class BackupOut(BaseModel):
    id: str
    volume: str
    created_at: float
    reason: str
    size: int
    version: str
    schema_version: int
    keys_included: bool
    counts: dict[str, int]
    verified_at: float | None
    verified_ok: bool | None

    @classmethod
    def of(cls, listed: Listed) -> BackupOut:
        b = listed.backup
        m = b.manifest
        return cls(
            id=b.id,
            volume=b.volume,
            created_at=b.created_at,
            reason=b.reason,
            size=listed.size,
            version=str(m.get("version", "")),
            schema_version=int(m.get("schema", 0)),
            keys_included=b.has_keys,
            counts={k: int(v) for k, v in (m.get("counts") or {}).items()},
            verified_at=listed.verified["at"] if listed.verified else None,
            verified_ok=listed.verified["ok"] if listed.verified else None,
        )


class BackupSettingsOut(BaseModel):
    daily_at: str
    keep_daily: int
    keep_weekly: int
    keep_monthly: int
    keep_events: int

    @classmethod
    def of(cls, settings: BackupSettings) -> BackupSettingsOut:
        return cls(**{k: v for k, v in settings.as_dict().items() if k != "keys_left_out"})


class BackupsOut(BaseModel):
    settings: BackupSettingsOut
    passphrase: Literal["set", "left_out", "not_set"]
    next_daily_at: float | None
    volumes: list[str]
    backups: list[BackupOut]


class CheckOut(BaseModel):
    name: str
    outcome: Literal["passed", "failed", "skipped"]
    detail: str


class VerificationOut(BaseModel):
    backup: str
    ok: bool
    checks: list[CheckOut]

    @classmethod
    def of(cls, backup: str, report: Verification) -> VerificationOut:
        checks = [CheckOut(name=c.name, outcome=c.outcome, detail=c.detail) for c in report.checks]  # type: ignore[arg-type]
        return cls(backup=backup, ok=report.ok, checks=checks)


class ChangesOut(BaseModel):
    added: list[str]
    removed: list[str]
    changed: list[str]

    @classmethod
    def of(cls, changes: Changes) -> ChangesOut:
        return cls(added=changes.added, removed=changes.removed, changed=changes.changed)


class PreviewOut(BaseModel):
    backup: str
    accounts: ChangesOut
    administrators_before: list[str]
    administrators_after: list[str]
    settings: ChangesOut
    shares: ChangesOut
    network_changes: bool
    network_after: dict[str, Any] | None
    name_before: str
    name_after: str | None
    second_factors_kept: bool

    @classmethod
    def of(cls, preview: Preview) -> PreviewOut:
        return cls(
            backup=preview.backup,
            accounts=ChangesOut.of(preview.accounts),
            administrators_before=preview.administrators_before,
            administrators_after=preview.administrators_after,
            settings=ChangesOut.of(preview.settings),
            shares=ChangesOut.of(preview.shares),
            network_changes=preview.network_changes,
            network_after=preview.network_after,
            name_before=preview.name_before,
            name_after=preview.name_after,
            second_factors_kept=preview.second_factors_kept,
        )


class RestoreOut(BaseModel):
    backup: str
    before_restore: list[str]
    sessions_ended: int
    second_factors_kept: bool
    network: ApplyOut | None

    @classmethod
    def of(cls, outcome: RestoreOutcome) -> RestoreOut:
        return cls(
            backup=outcome.backup,
            before_restore=outcome.before_restore,
            sessions_ended=outcome.sessions_ended,
            second_factors_kept=outcome.second_factors_kept,
            network=ApplyOut.of(outcome.network) if outcome.network is not None else None,
        )
