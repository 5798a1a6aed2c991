"""The security page: sign-in, session, proxy and recovery settings, the auto block list with its "remove"
buttons, and the paused accounts with their "lift" buttons."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from homeport.core.errors import HomeportError, InvalidInput
from homeport.http.errors import status_of
from homeport.http.requests import services
from homeport.web.guard import Viewer, check_form_token, redirect, viewer
from homeport.web.render import render

router = APIRouter(include_in_schema=False)
FormText = Annotated[str, Form(max_length=4096)]
NUMBER_FIELDS = (
    "password_min_length",
    "session_idle_minutes",
    "session_absolute_hours",
    "auto_block_attempts",
    "auto_block_window_minutes",
    "auto_block_minutes",
    "account_protection_attempts",
    "account_protection_window_minutes",
    "account_protection_minutes",
    "recovery_window_minutes",
)
CHECKBOXES = ("auto_block_enabled", "recovery_button_confirmation")
NETWORK_LISTS = ("allow_list", "trusted_proxies")


def _page(request: Request, who: Viewer, status: int = 200, **extra: Any) -> Response:
    svc = services(request)
    context: dict[str, Any] = {
        "settings": svc.settings.security(),
        "blocks": svc.throttle.blocklist.active(),
        "pauses": svc.throttle.pauses(),
    }
    context.update(extra)
    return render(request, "security.html", status, me=who.user, csrf=who.csrf, **context)


@router.get("/security")
def security_page(request: Request) -> Response:
    return _page(request, viewer(request, admin=True))


def _changes(form: dict[str, str]) -> dict[str, Any]:
    """Form text to typed settings; a field that is not a number is reported, not guessed."""
    changes: dict[str, Any] = {}
    problems: dict[str, str] = {}
    for name in NUMBER_FIELDS:
        text = form.get(name, "").strip()
        if not text.isdigit():
            problems[name] = "Enter a whole number."
        else:
            changes[name] = int(text)
    for name in CHECKBOXES:
        changes[name] = form.get(name) == "1"
    for name in NETWORK_LISTS:
        changes[name] = [line.strip() for line in form.get(name, "").splitlines() if line.strip()]
    changes["proxy_header"] = form.get("proxy_header", "")
    if problems:
        raise InvalidInput("Nothing was saved; see the fields.", fields=problems)
    return changes


@router.post("/security")
async def security_save(request: Request) -> Response:
    who = viewer(request, admin=True)
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    check_form_token(who, form.get("csrf_token", ""))
    credentials = services(request).credentials
    try:
        await run_in_threadpool(
            credentials.change_security, who.actor, who.user, _changes(form), form.get("current_password", "")
        )
    except HomeportError as exc:
        form.pop("current_password", None)
        fields = dict(exc.fields)
        return _page(request, who, status_of(exc), errors=fields, error=exc.message, form=form)
    return redirect("/security?done=settings-saved")


@router.post("/security/unblock")
def security_unblock(request: Request, csrf_token: FormText = "", address: FormText = "") -> Response:
    who = viewer(request, admin=True)
    check_form_token(who, csrf_token)
    try:
        services(request).login.lift_block(who.actor, address)
    except HomeportError as exc:
        return _page(request, who, status_of(exc), error=exc.message)
    return redirect("/security?done=unblocked")


@router.post("/security/unpause")
def security_unpause(request: Request, csrf_token: FormText = "", account: FormText = "") -> Response:
    who = viewer(request, admin=True)
    check_form_token(who, csrf_token)
    try:
        services(request).login.lift_pause(who.actor, account)
    except HomeportError as exc:
        return _page(request, who, status_of(exc), error=exc.message)
    return redirect("/security?done=unpaused")
