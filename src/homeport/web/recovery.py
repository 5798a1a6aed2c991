"""Pages of a recovery: the recovery session's new password, and the post-recovery report."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from homeport.core.errors import HomeportError, InvalidInput, Unauthenticated
from homeport.http.cookies import clear_session_cookie
from homeport.http.errors import status_of
from homeport.http.requests import services, via
from homeport.recovery.access import Presence
from homeport.web.guard import Viewer, check_form_token, redirect, viewer
from homeport.web.render import render

router = APIRouter(include_in_schema=False)
FormText = Annotated[str, Form(max_length=4096)]


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
        presence=presence, restricted=True,
    )  # fmt: skip


@router.post("/recovery/password")
def recovery_password_submit(
    request: Request, csrf_token: FormText = "", new_password: FormText = "", new_password_again: FormText = ""
) -> Response:
    who = viewer(request, allow_restricted=True)
    check_form_token(who, csrf_token)
    svc = services(request)
    presence = _presence_or_sign_in(request, who)
    if isinstance(presence, Response):
        return presence
    try:
        if new_password != new_password_again:
            raise InvalidInput.field("new_password_again", "The two passwords differ; type the same one twice.")
        svc.recovery_access.set_password(who.session, new_password, who.actor)
    except HomeportError as exc:
        opened = svc.recovery_access.open_window()
        return render(
            request, "recovery_password.html", status_of(exc), me=who.user, csrf=who.csrf,
            until=opened.closes_at if opened else None, errors=dict(exc.fields), error=exc.message,
            presence=presence, restricted=True,
        )  # fmt: skip
    response = redirect("/login?done=recovery-password")
    clear_session_cookie(response)
    return response


@router.get("/recovery/report")
def report_page(request: Request) -> Response:
    who = viewer(request, admin=True)
    return render(request, "recovery_report.html", me=who.user, csrf=who.csrf, report=services(request).report.build())


@router.post("/recovery/report/{reset_id}/restore/{item}")
async def report_restore(request: Request, reset_id: int, item: str) -> Response:
    who = viewer(request, admin=True)
    form = await request.form()
    check_form_token(who, str(form.get("csrf_token", "")))
    svc = services(request)
    try:
        outcome = await svc.report.restore(who.actor, reset_id, item, via(request))
    except HomeportError as exc:
        return render(request, "recovery_report.html", status_of(exc), me=who.user, csrf=who.csrf,
                      report=svc.report.build(), error=exc.message)  # fmt: skip
    if outcome is not None and outcome.pending is not None:
        return render(request, "network_walk.html", me=who.user, csrf=who.csrf, outcome=outcome,
                      seconds=svc.network.confirm_seconds)  # fmt: skip
    return redirect("/recovery/report?done=restored")


@router.post("/recovery/report/{reset_id}/acknowledge")
async def report_acknowledge(request: Request, reset_id: int) -> Response:
    who = viewer(request, admin=True)
    form = await request.form()
    check_form_token(who, str(form.get("csrf_token", "")))
    services(request).report.acknowledge(who.actor, reset_id)
    return redirect("/")
