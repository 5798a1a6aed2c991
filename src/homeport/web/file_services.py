"""The file services page: how SMB is doing and why, its settings, a check of Samba's accounts on demand (with what it
found and repaired), the accounts SMB cannot serve yet, and the clients connected now."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request
from starlette.responses import Response

from homeport.http.requests import services
from homeport.smb.accounts import Drift
from homeport.smb.service import CheckResult
from homeport.smb.settings import ENCRYPTION, MIN_PROTOCOLS, SIGNING
from homeport.web.flash import keep, recall
from homeport.web.forms import Submitted, handle
from homeport.web.guard import Viewer, viewer
from homeport.web.render import render

router = APIRouter(include_in_schema=False)

WORKGROUP_MAX = 15
SETTINGS = ("min_protocol", "signing", "encryption", "workgroup")
EXPLAINED = {
    "min_protocol": {
        "SMB2": "Every system of the last fifteen years connects (Windows 7 and later, macOS, Linux, phones).",
        "SMB3": "Only Windows 8, macOS 10.10 and later: older clients and some TVs and printers are refused.",
    },
    "signing": {
        "default": "Signed when the client asks (SMB3 connections always are): fastest for every client.",
        "required": "Every connection signed, so no one on the network can alter what is sent; a little slower.",
    },
    "encryption": {
        "desired": "Encrypted whenever the client can (SMB3); older clients still connect, unencrypted.",
        "required": "Only encrypted connections: clients without SMB3 encryption cannot connect.",
    },
}
CHOICES = {"min_protocol": MIN_PROTOCOLS, "signing": SIGNING, "encryption": ENCRYPTION}


@dataclass(frozen=True)
class Checked:
    """What "Check now" found, kept for the page it redirects to."""

    at: float
    result: CheckResult


@router.get("/file-services")
def file_services_page(request: Request, checked: str = "") -> Response:
    who = viewer(request, admin=True)
    svc = services(request)
    files = svc.files
    status = files.status()
    last_drift = status.last_drift
    drift = Drift.from_dict(last_drift).sentences()
    return render(
        request,
        "file_services.html",
        me=who.user,
        csrf=who.csrf,
        status=status,
        settings=status.settings,
        sessions=files.sessions(),
        needing=files.accounts_needing_password(),
        last_drift_at=last_drift.get("at"),
        last_drift=drift,
        checked=recall(request, Checked, checked),
        shares=svc.shares.list(),
        choices=CHOICES,
        explained=EXPLAINED,
        limits={"workgroup": WORKGROUP_MAX},
    )


@router.post("/file-services")
async def file_services_save(request: Request) -> Response:
    files = services(request).files

    def act(who: Viewer, form: Submitted) -> str:
        changes = {name: form.text(name).strip() for name in SETTINGS if name in form.values}
        files.change_settings(who.actor, changes)
        return "/file-services?done=smb-settings-saved"

    return await handle(request, act, back="/file-services", admin=True)


@router.post("/file-services/check")
async def file_services_check(request: Request) -> Response:
    svc = services(request)

    def act(_: Viewer, __: Submitted) -> str:
        result = svc.files.check(repair=True)  # its repairs are audited by the file service
        # `done` also tells the page's script the form was answered (nothing typed to restore)
        return "/file-services?done=smb-checked&checked=" + keep(request, Checked(svc.clock.now(), result))

    return await handle(request, act, back="/file-services", admin=True)
