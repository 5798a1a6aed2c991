"""The security page: sign-in, session, proxy, second-factor and recovery settings, the auto block list with its
"remove" buttons, and the paused accounts with their "lift" buttons. The settings form is parsed through the API's own
input model, so the page and `PATCH /api/v1/settings/security` accept exactly the same values."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from homeport.http.inputs import SecuritySettingsIn
from homeport.http.requests import services
from homeport.system.settings import LIST_ENTRY_MAX, LIST_SETTINGS, SHOWN_RANGES
from homeport.web.forms import Submitted, handle, limits, parse
from homeport.web.guard import Viewer, viewer
from homeport.web.render import render

router = APIRouter(include_in_schema=False)
CHECKBOXES = ("auto_block_enabled", "recovery_button_confirmation", "remember_browser")
TEXT_FIELDS = ("proxy_header", "second_factor_required", "current_password", *SHOWN_RANGES)
POLICIES = (
    ("nobody", "Nobody", "Each account chooses for itself."),
    ("administrators", "Administrators", "Every administrator must use one."),
    ("everyone", "Everyone", "Every account must use one."),
    ("chosen", "Chosen accounts and groups", "The accounts and groups listed below must use one."),
)


@router.get("/security")
def security_page(request: Request) -> Response:
    who = viewer(request, admin=True)
    svc = services(request)
    settings = svc.settings.security()
    return render(
        request,
        "security.html",
        me=who.user,
        csrf=who.csrf,
        settings=settings,
        ranges=SHOWN_RANGES,
        policies=POLICIES,
        user_names=_some([u.name for u in svc.accounts.list_users() if not u.builtin]),
        group_names=_some([g.name for g in svc.accounts.list_groups()]),
        allows_everyone=settings.allows_everyone(),
        blocks=svc.throttle.blocklist.active(),
        pauses=svc.throttle.pauses(),
        limits=limits(SecuritySettingsIn, entry_max=LIST_ENTRY_MAX),
    )


def _some(names: list[str], shown: int = 10) -> str:
    """A hint of what may be typed: the first names, and how many more there are."""
    more = len(names) - shown
    return ", ".join(names[:shown]) + (f" and {more} more" if more > 0 else "")


def settings_from(form: Submitted) -> SecuritySettingsIn:
    """The form as the API's body: numbers as typed (the model reads them), boxes as ticked, one entry per line."""
    body: dict[str, Any] = form.pick(*TEXT_FIELDS)
    for name in CHECKBOXES:
        body[name] = form.checked(name)
    for name in LIST_SETTINGS:
        body[name] = [line.strip() for line in form.text(name).splitlines() if line.strip()]
    return parse(SecuritySettingsIn, body)


@router.post("/security")
async def security_save(request: Request) -> Response:
    credentials = services(request).credentials

    def act(who: Viewer, form: Submitted) -> str:
        body = settings_from(form)
        changes = body.model_dump(exclude_none=True, exclude={"current_password"})
        credentials.change_security(who.actor, who.user, changes, body.current_password)
        return "/security?done=settings-saved"

    return await handle(request, act, back="/security", admin=True)


@router.post("/security/unblock")
async def security_unblock(request: Request) -> Response:
    login = services(request).login

    def act(who: Viewer, form: Submitted) -> str:
        login.lift_block(who.actor, form.text("address"))
        return "/security?done=unblocked"

    return await handle(request, act, back="/security", admin=True)


@router.post("/security/unpause")
async def security_unpause(request: Request) -> Response:
    login = services(request).login

    def act(who: Viewer, form: Submitted) -> str:
        login.lift_pause(who.actor, form.text("account"))
        return "/security?done=unpaused"

    return await handle(request, act, back="/security", admin=True)
