"""Pages of a recovery: the recovery session's new password, and the post-recovery report."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from homeport.core.errors import InvalidInput, Unauthenticated
from homeport.http.cookies import clear_session_cookie
from homeport.http.inputs import PasswordChangeIn
from homeport.http.requests import services, via
from homeport.recovery.access import Presence
from homeport.web.flash import keep
from homeport.web.forms import Submitted, handle, limits, parse
from homeport.web.guard import Viewer, redirect, viewer
from homeport.web.render import render

router = APIRouter(include_in_schema=False)


def _presence_or_sign_in(request: Request, who: Viewer) -> Presence | Response:
    """Where the recovery session stands; a waiting one whose 2 minutes have passed goes back to sign-in."""
    try:
        return services(request).recovery_access.presence(who.session)
    except Unauthenticated:
        return redirect("/login")  # the sign-in page says why, from the ended session's cookie


@router.get("/recovery/password")
def recovery_password_page(request: Request) -> Response:
    who = viewer(request, allow_restricted=True)
    if not who.session.recovery:
        return redirect("/")
    presence = _presence_or_sign_in(request, who)
    if isinstance(presence, Response):
        return presence
    opened = services(request).recovery_access.open_window()
    return render(
        request, "recovery_password.html", me=who.user, csrf=who.csrf, until=opened.closes_at if opened else None,
        presence=presence, restricted=True, limits=limits(PasswordChangeIn),
    )  # fmt: skip


@router.post("/recovery/password")
async def recovery_password_submit(request: Request) -> Response:
    access = services(request).recovery_access

    def act(who: Viewer, form: Submitted) -> str | Response:
        if not who.session.recovery:
            return "/"
        presence = _presence_or_sign_in(request, who)
        if isinstance(presence, Response):
            return presence
        if form.text("new_password") != form.text("new_password_again"):
            raise InvalidInput.field("new_password_again", "The two passwords differ; type the same one twice.")
        # The API's body for a recovery session's password: no current password (that is what was lost).
        body = parse(PasswordChangeIn, {"current_password": "", "new_password": form.text("new_password")})
        access.set_password(who.session, body.new_password, who.actor)
        response = redirect("/login?done=recovery-password")
        clear_session_cookie(response)
        return response

    return await handle(request, act, back="/recovery/password", allow_restricted=True)


@router.get("/recovery/report")
def report_page(request: Request) -> Response:
    who = viewer(request, admin=True)
    return render(request, "recovery_report.html", me=who.user, csrf=who.csrf, report=services(request).report.build())


@router.post("/recovery/report/{reset_id}/restore/{item}")
async def report_restore(request: Request, reset_id: int, item: str) -> Response:
    report = services(request).report

    async def act(who: Viewer, _: Submitted) -> str:
        outcome = await report.restore(who.actor, reset_id, item, via(request))
        if outcome is not None and outcome.pending is not None:
            return "/network/walk?change=" + keep(request, outcome)
        return "/recovery/report?done=restored"

    return await handle(request, act, back="/recovery/report", admin=True)


@router.post("/recovery/report/{reset_id}/acknowledge")
async def report_acknowledge(request: Request, reset_id: int) -> Response:
    report = services(request).report

    def act(who: Viewer, _: Submitted) -> str:
        report.acknowledge(who.actor, reset_id)
        return "/"

    return await handle(request, act, back="/recovery/report", admin=True)
