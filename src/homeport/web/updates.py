"""System > Updates: the version that runs, the releases kept, the last update's steps and log, and an update
from a release uploaded here (static/updates.js sends it in chunks to the API) or on a data volume, with the
current password. The daemon restarts into the new release's trial right after the form is answered; the page
then shows whether it was committed or rolled back."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from homeport.http.requests import services
from homeport.http.update_inputs import UpdateIn, start_update
from homeport.updates.uploads import CHUNK_SIZE
from homeport.web.forms import Submitted, handle, limits, parse
from homeport.web.guard import Viewer, viewer
from homeport.web.render import render

router = APIRouter(include_in_schema=False)
PAGE = "/system/updates"
STATES = {
    "preparing": "being prepared",
    "switching": "switching to the new release",
    "trial": "on trial",
    "committed": "committed",
    "rolling-back": "rolling back",
    "rolled-back": "rolled back",
    "failed": "refused before anything changed",
}


@router.get(PAGE)
def updates_page(request: Request) -> Response:
    who = viewer(request, admin=True)
    updates = services(request).updates
    status = updates.status()
    return render(
        request, "updates.html", me=who.user, csrf=who.csrf, status=status, states=STATES, steps=_steps(status.last),
        limits=limits(UpdateIn), uploads=updates.uploads.finished(), chunk_size=CHUNK_SIZE,
    )  # fmt: skip


def _steps(last: dict[str, Any] | None) -> list[tuple[str, float]]:
    """The journal's history, a state said once where it repeats (the supervisor and the release both mark the
    trial's start)."""
    steps: list[tuple[str, float]] = []
    for state, at in (last or {}).get("history", []):
        if not steps or steps[-1][0] != state:
            steps.append((str(state), float(at)))
    return steps


@router.post(PAGE)
async def updates_start(request: Request) -> Response:
    svc = services(request)

    def act(who: Viewer, form: Submitted) -> str:
        release: dict[str, str] = (
            {"upload": form.text("upload")}
            if form.text("release") == "upload"
            else {"source": form.text("source").strip()}
        )
        body = parse(UpdateIn, {**release, "current_password": form.text("current_password")})
        start_update(svc, who.user, who.session, who.actor, body)
        return f"{PAGE}?done=update-started"

    return await handle(request, act, back=PAGE, admin=True)


@router.post(PAGE + "/upload/remove")
async def updates_remove_upload(request: Request) -> Response:
    svc = services(request)

    def act(who: Viewer, form: Submitted) -> str:
        upload = svc.updates.uploads.get(form.text("upload"))
        svc.updates.uploads.remove(upload.id)
        svc.audit.record_now("update.upload_removed", who.actor, target=upload.name)
        return f"{PAGE}?done=upload-removed"

    return await handle(request, act, back=PAGE, admin=True)
