"""The security page: sign-in and session settings, and the auto block list with its "remove" buttons."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from homeport.api.errors import status_of
from homeport.auth.blocklist import parse_block_key
from homeport.core.errors import HomeportError, InvalidInput, NotFound
from homeport.web.guard import Viewer, check_form_token, redirect, services, viewer
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
)


def _page(request: Request, who: Viewer, status: int = 200, **extra: Any) -> Response:
    svc = services(request)
    context: dict[str, Any] = {"settings": svc.settings.security(), "blocks": svc.throttle.blocklist.active()}
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
    changes["auto_block_enabled"] = form.get("auto_block_enabled") == "1"
    changes["allow_list"] = [line.strip() for line in form.get("allow_list", "").splitlines() if line.strip()]
    if problems:
        raise InvalidInput("Nothing was saved; see the fields.", fields=problems)
    return changes


@router.post("/security")
async def security_save(request: Request) -> Response:
    who = viewer(request, admin=True)
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    check_form_token(who, form.get("csrf_token", ""))
    settings = services(request).settings
    try:
        await run_in_threadpool(settings.change_security, who.actor, _changes(form))
    except HomeportError as exc:
        fields = dict(getattr(exc, "fields", {}))
        return _page(request, who, status_of(exc), errors=fields, error=exc.message, form=form)
    return redirect("/security?done=settings-saved")


@router.post("/security/unblock")
def security_unblock(request: Request, csrf_token: FormText = "", address: FormText = "") -> Response:
    who = viewer(request, admin=True)
    check_form_token(who, csrf_token)
    svc = services(request)
    try:
        key = parse_block_key(address)
        if not svc.throttle.blocklist.remove(key):
            raise NotFound(f"{address} is not blocked.", code="not_blocked")
    except HomeportError as exc:
        return _page(request, who, status_of(exc), error=exc.message)
    svc.audit.record_now("auth.address_unblocked", who.actor, target=key)
    return redirect("/security?done=unblocked")
