"""The SMB file service: its status, its settings, and the check that Samba's accounts equal Homeport's."""

from __future__ import annotations

from fastapi import APIRouter

from homeport.api.deps import Admin, ServicesDep
from homeport.api.errors import documented
from homeport.api.files_schemas import SmbCheckOut, SmbSettingsOut, SmbStatusOut
from homeport.http.files_inputs import SmbCheckIn, SmbSettingsIn

router = APIRouter(prefix="/services/smb", tags=["files"])


@router.get(
    "",
    response_model=SmbStatusOut,
    responses=documented(401, 403),
    summary="How the SMB service is doing: mode, running, connected clients, problems, accounts waiting for a "
    "password, the last drift check, and its settings",
)
def get_smb(_: Admin, svc: ServicesDep) -> SmbStatusOut:
    files = svc.files
    status = files.status()
    # No SMB copy of the password in the store (asked now), or one this key cannot open (the worker's last pass).
    needs_password = sorted({*files.accounts_needing_password(), *status.needs_password})
    return SmbStatusOut.of(status, files.sessions(), needs_password)


@router.patch(
    "",
    response_model=SmbSettingsOut,
    responses=documented(400, 401, 403, 422),
    summary="Change the SMB settings (on or off, oldest protocol, signing, encryption, workgroup); what is left out "
    "stays as it is",
)
def patch_smb(body: SmbSettingsIn, caller: Admin, svc: ServicesDep) -> SmbSettingsOut:
    return SmbSettingsOut.of(svc.files.change_settings(caller.actor, body.model_dump(exclude_none=True)))


@router.post(
    "/check",
    response_model=SmbCheckOut,
    responses=documented(400, 401, 403, 409, 422),
    summary="Compare Samba's accounts with Homeport's now; with `repair`, make them equal (409 while the service "
    "is off)",
)
def check_smb(_: Admin, svc: ServicesDep, body: SmbCheckIn | None = None) -> SmbCheckOut:
    return SmbCheckOut.of(svc.files.check(repair=body is not None and body.repair))
