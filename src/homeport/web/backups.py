"""The Backups page (System): the schedule and retention, the recovery passphrase (shown only as set or not),
the backups on the volumes with create, verify and download, and a restore page with its preview.

Forms go through the API's input models; the page's several password fields have their own names so a problem
shows next to the form that was sent, and the service's `current_password` is reported under that name."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from urllib.parse import quote

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response, StreamingResponse

from homeport.backups.service import tar_stream
from homeport.core.errors import HomeportError, InvalidInput
from homeport.http.backup_inputs import BackupSettingsIn, PassphraseIn, RestoreBackupIn, VerifyIn
from homeport.http.requests import services, via
from homeport.web.forms import Submitted, handle, limits, parse
from homeport.web.guard import Viewer, viewer
from homeport.web.render import render

router = APIRouter(include_in_schema=False)
SETTINGS = ("daily_at", "keep_daily", "keep_weekly", "keep_monthly", "keep_events")
REASONS = {
    "daily": "daily", "manual": "made by hand", "update": "before an update", "mode2": "before a Mode 2 reset",
    "restore": "before a restore", "network": "before a network change", "unknown": "-",
}  # fmt: skip


@contextlib.contextmanager
def password_named(field: str) -> Iterator[None]:
    """The service's `current_password` problem shown under this form's own password field."""
    try:
        yield
    except HomeportError as exc:
        if "current_password" in exc.fields:
            exc.fields = {field: exc.fields["current_password"]}
        raise


@router.get("/backups")
def backups_page(request: Request) -> Response:
    who = viewer(request, admin=True)
    svc = services(request)
    return render(
        request, "backups.html", me=who.user, csrf=who.csrf, settings=svc.backups.settings(),
        passphrase=svc.backups.passphrase_state(), backups=svc.backups.listed(), reasons=REASONS,
        volumes=svc.volumes.paths, next_daily=svc.backup_scheduler.next_due(), limits=limits(BackupSettingsIn),
        verify_limits=limits(VerifyIn),
    )  # fmt: skip


@router.post("/backups/settings")
async def backups_settings(request: Request) -> Response:
    svc = services(request)

    def act(who: Viewer, form: Submitted) -> str:
        body = parse(BackupSettingsIn, {k: v.strip() for k, v in form.pick(*SETTINGS).items()})
        svc.backups.change_settings(who.actor, body.model_dump(exclude_none=True))
        return "/backups?done=backup-settings-saved"

    return await handle(request, act, back="/backups", admin=True)


@router.post("/backups/passphrase")
async def backups_passphrase(request: Request) -> Response:
    svc = services(request)

    def act(who: Viewer, form: Submitted) -> str:
        if form.text("passphrase") != form.text("passphrase_again"):
            raise InvalidInput.field("passphrase_again", "The two passphrases differ; type the same one twice.")
        body = parse(PassphraseIn, {"passphrase": form.text("passphrase"),
                                    "current_password": form.text("passphrase_password")})  # fmt: skip
        with password_named("passphrase_password"):
            svc.backups.set_passphrase(who.actor, who.user, body.current_password, body.passphrase)
        return "/backups?done=backup-passphrase-set"

    return await handle(request, act, back="/backups", admin=True)


@router.post("/backups/leave-out")
async def backups_leave_out(request: Request) -> Response:
    svc = services(request)

    def act(who: Viewer, form: Submitted) -> str:
        with password_named("leave_out_password"):
            svc.backups.leave_keys_out(who.actor, who.user, form.text("leave_out_password"))
        return "/backups?done=backup-keys-left-out"

    return await handle(request, act, back="/backups", admin=True)


@router.post("/backups/create")
async def backups_create(request: Request) -> Response:
    svc = services(request)

    def act(who: Viewer, _: Submitted) -> str:
        made = svc.backups.create("manual", who.actor)
        return "/backups?done=backup-made" if made else "/backups?done=backup-not-made"

    return await handle(request, act, back="/backups", admin=True)


@router.post("/backups/verify")
async def backups_verify(request: Request) -> Response:
    svc = services(request)

    def act(who: Viewer, form: Submitted) -> str:
        body = parse(VerifyIn, {"passphrase": form.text("verify_passphrase")})
        try:
            report = svc.backups.verify(who.actor, form.text("backup"), body.passphrase or None)
        except HomeportError as exc:
            # one passphrase field per row: its problem is told with the backup's (the row is named in it)
            if "passphrase" in exc.fields:
                exc.fields = {"backup": f"{form.text('backup')}: {exc.fields['passphrase']}"}
            raise
        if not report.ok:
            failed = "; ".join(f"{c.name}: {c.detail}" for c in report.checks if c.failed)
            raise InvalidInput.field("backup", f"The backup {form.text('backup')} failed verification ({failed}).")
        return "/backups?done=backup-verified"

    return await handle(request, act, back="/backups", admin=True)


@router.post("/backups/download")
async def backups_download(request: Request) -> Response:
    svc = services(request)

    def act(who: Viewer, form: Submitted) -> Response:
        with password_named("download_password"):
            found = svc.backups.archive(who.actor, who.user, form.text("download_password"), form.text("backup"))
        name = f"homeport-backup-{found.volume}-{found.path.name}.tar".replace('"', "")
        return StreamingResponse(
            tar_stream(found), media_type="application/x-tar",
            headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
        )  # fmt: skip

    return await handle(request, act, back="/backups", admin=True)


@router.get("/backups/restore")
def restore_page(request: Request, backup: str = "") -> Response:
    who = viewer(request, admin=True)
    svc = services(request)
    found = svc.backups.find(backup)
    return render(
        request, "backup_restore.html", me=who.user, csrf=who.csrf, backup=found,
        preview=svc.backup_restore.preview(found.id), reasons=REASONS,
    )  # fmt: skip


@router.post("/backups/restore")
async def backups_restore(request: Request) -> Response:
    svc = services(request)

    async def act(who: Viewer, form: Submitted) -> str | Response:
        backup = form.text("backup")
        body = parse(RestoreBackupIn, {"confirm": form.checked("confirm"), "current_password": form.text("password")})
        if not body.confirm:
            raise InvalidInput.field("confirm", "Tick the box to confirm that the configuration is replaced.")
        with password_named("password"):
            await asyncio.to_thread(svc.backups.confirm, who.actor, who.user, body.current_password)
        outcome = await svc.backup_restore.restore(who.actor, backup, via(request))
        if outcome.network is not None and outcome.network.confirm_urls:
            # Every session has ended; the new address confirms the network settings (no session needed there).
            return RedirectResponse(outcome.network.confirm_urls[0], status_code=303)
        return "/login?done=backup-restored"

    return await handle(request, act, back=f"/backups/restore?backup={form_back(request)}", admin=True)


def form_back(request: Request) -> str:
    """The restore page's query (its backup), for a failure to come back to."""
    return quote(request.query_params.get("backup", ""), safe="/")
