"""Configuration backups: the list and schedule, the recovery passphrase, create, verify, download, preview and
restore. Downloading and restoring need the caller's current password (a backup holds password hashes)."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Path, Request
from starlette.responses import StreamingResponse

from homeport.api.backup_schemas import (
    BackupOut,
    BackupSettingsOut,
    BackupsOut,
    PreviewOut,
    RestoreOut,
    VerificationOut,
)
from homeport.api.deps import Admin, ServicesDep
from homeport.api.errors import documented
from homeport.backups.service import tar_stream
from homeport.core.errors import Conflict, InvalidInput
from homeport.http.backup_inputs import BackupSettingsIn, CurrentPasswordIn, PassphraseIn, RestoreBackupIn, VerifyIn
from homeport.http.requests import via
from homeport.services import Services

router = APIRouter(prefix="/backups", tags=["backups"])
Volume = Annotated[str, Path(max_length=255, description="The volume the backup is on.")]
Stamp = Annotated[str, Path(pattern=r"^\d{8}T\d{6}-\d{6}$", description="The backup's folder name (its time, UTC).")]


def backups_out(svc: Services) -> BackupsOut:
    in_service = svc.device.state() == "ready"
    return BackupsOut(
        settings=BackupSettingsOut.of(svc.backups.settings()),
        passphrase=svc.backups.passphrase_state(),
        next_daily_at=svc.backup_scheduler.next_due() if in_service else None,
        volumes=[p.name for p in svc.volumes.paths],
        backups=[BackupOut.of(listed) for listed in svc.backups.listed()],
    )


@router.get("", response_model=BackupsOut, responses=documented(401, 403), summary="Backups, schedule, passphrase")
def list_backups(_: Admin, svc: ServicesDep) -> BackupsOut:
    return backups_out(svc)


@router.post(
    "",
    status_code=201,
    response_model=list[BackupOut],
    responses=documented(401, 403, 409),
    summary="Make a backup now on every data volume (409: no volume took it; each failure is also a notice)",
)
async def create_backup(caller: Admin, svc: ServicesDep) -> list[BackupOut]:
    if not svc.volumes.paths:
        raise Conflict("There is no data volume to keep a backup on; connect one first.", code="no_volume")
    written = await asyncio.to_thread(svc.backups.create, "manual", caller.actor)
    if not written:
        raise Conflict(
            "No volume took the backup (see the notices and the log); check that the volumes are connected.",
            code="backup_failed",
        )
    listed = {item.backup.id: item for item in svc.backups.listed()}
    return [BackupOut.of(listed[b.id]) for b in written if b.id in listed]


@router.patch(
    "/settings",
    response_model=BackupSettingsOut,
    responses=documented(401, 403, 422),
    summary="Change the daily time or the retention",
)
def patch_settings(body: BackupSettingsIn, caller: Admin, svc: ServicesDep) -> BackupSettingsOut:
    return BackupSettingsOut.of(svc.backups.change_settings(caller.actor, body.model_dump(exclude_none=True)))


@router.put(
    "/passphrase",
    status_code=204,
    responses=documented(401, 403, 422, 429),
    summary="Set (or change) the recovery passphrase that protects the keys in later backups",
)
async def put_passphrase(body: PassphraseIn, caller: Admin, svc: ServicesDep) -> None:
    await asyncio.to_thread(
        svc.backups.set_passphrase, caller.actor, caller.user, body.current_password, body.passphrase
    )


@router.post(
    "/passphrase/leave-out",
    status_code=204,
    responses=documented(401, 403, 422, 429),
    summary="Keep key material out of later backups (sealed secrets then do not come back with a restore)",
)
def leave_keys_out(body: CurrentPasswordIn, caller: Admin, svc: ServicesDep) -> None:
    svc.backups.leave_keys_out(caller.actor, caller.user, body.current_password)


@router.post(
    "/{volume}/{stamp}/verify",
    response_model=VerificationOut,
    responses=documented(401, 403, 404, 422, 429),
    summary="Verify a backup: each check (manifest, checksums, opens, schema, sign_in, keys) by name",
)
async def verify_backup(
    volume: Volume, stamp: Stamp, body: VerifyIn, caller: Admin, svc: ServicesDep
) -> VerificationOut:
    backup_id = f"{volume}/{stamp}"
    report = await asyncio.to_thread(svc.backups.verify, caller.actor, backup_id, body.passphrase or None)
    return VerificationOut.of(backup_id, report)


@router.post(
    "/{volume}/{stamp}/download",
    responses={200: {"content": {"application/x-tar": {}}}, **documented(401, 403, 404, 422, 429)},
    response_class=StreamingResponse,
    summary="Download a backup as a .tar (needs your current password: it holds password hashes)",
)
def download_backup(
    volume: Volume, stamp: Stamp, body: CurrentPasswordIn, caller: Admin, svc: ServicesDep
) -> StreamingResponse:
    found = svc.backups.archive(caller.actor, caller.user, body.current_password, f"{volume}/{stamp}")
    filename = f"homeport-backup-{found.volume}-{found.path.name}.tar".replace('"', "")
    return StreamingResponse(
        tar_stream(found),
        media_type="application/x-tar",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )


@router.get(
    "/{volume}/{stamp}/preview",
    response_model=PreviewOut,
    responses=documented(401, 403, 404),
    summary="What restoring the backup would change",
)
async def preview_restore(volume: Volume, stamp: Stamp, _: Admin, svc: ServicesDep) -> PreviewOut:
    return PreviewOut.of(await asyncio.to_thread(svc.backup_restore.preview, f"{volume}/{stamp}"))


@router.post(
    "/{volume}/{stamp}/restore",
    response_model=RestoreOut,
    responses=documented(401, 403, 404, 409, 422, 429),
    summary="Restore a backup (a backup 'before restore' first; every session ends; a network change that cuts "
    "this connection must be confirmed from the new address, or it rolls back)",
)
async def restore_backup(
    volume: Volume, stamp: Stamp, body: RestoreBackupIn, request: Request, caller: Admin, svc: ServicesDep
) -> RestoreOut:
    if not body.confirm:
        raise InvalidInput.field("confirm", "Send confirm: true to replace the configuration with the backup's.")
    await asyncio.to_thread(svc.backups.confirm, caller.actor, caller.user, body.current_password)
    outcome = await svc.backup_restore.restore(caller.actor, f"{volume}/{stamp}", via(request))
    return RestoreOut.of(outcome)
