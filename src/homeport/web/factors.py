"""My account > Sign-in methods: the authenticator app, recovery codes, remembered browsers and, after a Mode 1,
turning suspended methods back on. Changes need the current password unless this session gave it (or used a
passkey) in the last 5 minutes; the forms go through the same services as `/api/v1/me/...`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from starlette.responses import Response

from homeport.auth.factors import policy_applies
from homeport.auth.recovery_codes import LOW
from homeport.auth.totp import Enrolment
from homeport.http.inputs import CodeIn, ProofIn
from homeport.http.requests import services
from homeport.web.forms import Submitted, handle, limits, parse
from homeport.web.guard import Viewer, redirect, viewer
from homeport.web.once import PerSession
from homeport.web.render import render
from homeport.web.signin import shown_once

router = APIRouter(include_in_schema=False)
PAGE = "/account/sign-in-methods"


def enrolments(request: Request) -> PerSession[Enrolment]:
    found: PerSession[Enrolment] = request.app.state.enrolments
    return found


def _prove(request: Request, who: Viewer, form: Submitted) -> None:
    body = parse(ProofIn, {"current_password": form.text("current_password") or None})
    services(request).login.require_proof(
        who.user, who.session.id, body.current_password, who.actor.client, "current_password"
    )


@router.get(PAGE)
def methods_page(request: Request) -> Response:
    who = viewer(request)
    svc = services(request)
    summary = svc.factors.summary(who.user.id)
    with svc.db.read() as conn:
        browsers = svc.factors.remembered.list(conn, who.user.id)
    low = summary.any and summary.recovery_codes_left <= LOW
    return render(
        request, "sign_in_methods.html", me=who.user, csrf=who.csrf, summary=summary, browsers=browsers,
        required=policy_applies(who.user, svc.settings.security()), low=low,
        setting_up=enrolments(request).peek(who.session.id) is not None, limits=limits(ProofIn),
    )  # fmt: skip


@router.post("/account/totp")
async def totp_begin(request: Request) -> Response:
    svc = services(request)

    def act(who: Viewer, form: Submitted) -> str:
        _prove(request, who, form)
        enrolments(request).put(who.session.id, svc.factors.begin_totp(who.user, svc.device.name()))
        return "/account/totp"

    return await handle(request, act, back=PAGE)


@router.get("/account/totp")
def totp_page(request: Request) -> Response:
    who = viewer(request)
    enrolment = enrolments(request).peek(who.session.id)
    if enrolment is None:
        return redirect(PAGE)
    response = render(request, "totp_setup.html", me=who.user, csrf=who.csrf, enrolment=enrolment,
                      limits=limits(CodeIn))  # fmt: skip
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/account/totp/confirm")
async def totp_confirm(request: Request) -> Response:
    svc = services(request)

    def act(who: Viewer, form: Submitted) -> str:
        body = parse(CodeIn, form.pick("code"))
        codes = svc.factors.confirm_totp(who.user, body.code, who.actor)
        enrolments(request).take(who.session.id)
        if codes:
            shown_once(request).put(who.session.id, codes)
            return "/account/recovery-codes"
        return f"{PAGE}?done=totp-added"

    return await handle(request, act, back="/account/totp")


@router.post("/account/totp/remove")
async def totp_remove(request: Request) -> Response:
    svc = services(request)

    def act(who: Viewer, form: Submitted) -> str:
        _prove(request, who, form)
        svc.factors.remove_totp(who.user, who.actor)
        return f"{PAGE}?done=totp-removed"

    return await handle(request, act, back=PAGE)


@router.post("/account/recovery-codes")
async def codes_replace(request: Request) -> Response:
    svc = services(request)

    def act(who: Viewer, form: Submitted) -> str:
        _prove(request, who, form)
        shown_once(request).put(who.session.id, svc.factors.new_recovery_codes(who.user, who.actor))
        return "/account/recovery-codes"

    return await handle(request, act, back=PAGE)


@router.post("/account/factors/resume")
async def factors_resume(request: Request) -> Response:
    svc = services(request)

    def act(who: Viewer, form: Submitted) -> str:
        _prove(request, who, form)
        svc.factors.resume(who.user, who.actor)
        return f"{PAGE}?done=factors-resumed"

    return await handle(request, act, back=PAGE)


@router.post("/account/remembered/{browser_id}/forget")
async def browser_forget(request: Request, browser_id: Annotated[int, Path(ge=1, le=2**62)]) -> Response:
    svc = services(request)

    def act(who: Viewer, form: Submitted) -> str:  # noqa: ARG001 - the form carries only its token
        svc.factors.forget_browser(who.user, browser_id, who.actor)
        return f"{PAGE}?done=browser-forgotten"

    return await handle(request, act, back=PAGE)
