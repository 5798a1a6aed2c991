"""The console's second step of a sign-in: a code from the authenticator app, a recovery code (each works
without JavaScript), and for an account the policy covers that has no factor yet, setting one up now (a page it
cannot skip: no other page accepts the waiting sign-in's cookie). New recovery codes are shown once after."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from homeport.auth.login import SignIn
from homeport.auth.pending import APPROVAL, PASSKEY, PREAUTH_COOKIE, RECOVERY_CODE, TOTP, Waiting
from homeport.auth.totp import Enrolment
from homeport.core.errors import HomeportError, Unauthenticated
from homeport.http.cookies import clear_preauth_cookie, set_sign_in_cookies
from homeport.http.errors import status_of
from homeport.http.inputs import CodeIn, SecondFactorIn
from homeport.http.requests import origin_of, services
from homeport.web.approval_step import approval_context
from homeport.web.forms import Submitted, limits, parse, run_form
from homeport.web.guard import redirect, state_redirect, viewer
from homeport.web.once import PerSession
from homeport.web.render import render

router = APIRouter(include_in_schema=False)
METHOD_NAMES = {
    PASSKEY: "Passkey or security key",
    TOTP: "Authenticator app",
    APPROVAL: "Approve from another signed-in device",
    RECOVERY_CODE: "Recovery code",
}


def shown_once(request: Request) -> PerSession[list[str]]:
    """New recovery codes, waiting for the page that shows them once."""
    found: PerSession[list[str]] = request.app.state.new_codes
    return found


def waiting_of(request: Request) -> Waiting | None:
    try:
        return services(request).login.waiting_for(request.cookies.get(PREAUTH_COOKIE), origin_of(request))
    except Unauthenticated:
        return None


def expired_sign_in() -> Response:
    response = redirect("/login?done=second-step-expired")
    clear_preauth_cookie(response)
    return response


def signed_in_page(request: Request, result: SignIn, waiting: Waiting) -> Response:
    next_page = str(waiting.data.get("next", "/"))
    if result.recovery_codes:
        shown_once(request).put(result.session.id, result.recovery_codes)
        next_page = "/account/recovery-codes"
    elif result.user.must_change_password:
        next_page = "/password"
    elif result.recovery_codes_left is not None:
        next_page = "/account/sign-in-methods?done=recovery-code-used"
    response = redirect(next_page)
    set_sign_in_cookies(response, result)
    return response


@router.get("/login/second-step")
def second_step_page(request: Request, method: str = "") -> Response:
    target = state_redirect(request)
    if target:
        return redirect(target)
    waiting = waiting_of(request)
    if waiting is None:
        return expired_sign_in()
    if waiting.must_enrol:
        return redirect("/login/enrol")
    chosen = method if method in waiting.methods else waiting.methods[0]
    svc = services(request)
    return render(
        request, "second_step.html", waiting=waiting, method=chosen, names=METHOD_NAMES,
        seconds_left=waiting.seconds_left(svc.clock.monotonic()),
        remember_offered=svc.settings.security().remember_browser, limits=limits(SecondFactorIn),
        **approval_context(request, waiting, chosen),
    )  # fmt: skip


@router.post("/login/second-step")
async def second_step_submit(request: Request) -> Response:
    svc = services(request)
    waiting = waiting_of(request)
    if waiting is None:
        return expired_sign_in()

    def step(form: Submitted) -> Response:
        body = parse(SecondFactorIn, {**form.pick("method", "code"), "remember": form.checked("remember")})
        result = svc.login.second_factor(
            request.cookies.get(PREAUTH_COOKIE), body.method, body.code, origin_of(request), body.remember
        )
        return signed_in_page(request, result, waiting)

    def back(form: Submitted) -> str:
        method = form.text("method")
        return "/login/second-step" + (f"?method={method}" if method in waiting.methods else "")

    return await run_form(request, step, back=back, token_ok=lambda _: True)


@router.get("/login/enrol")
def enrol_page(request: Request) -> Response:
    target = state_redirect(request)
    if target:
        return redirect(target)
    waiting = waiting_of(request)
    if waiting is None:
        return expired_sign_in()
    if not waiting.must_enrol:
        return redirect("/login/second-step")
    svc = services(request)
    enrolment = waiting.data.get("enrolment")  # the same secret again after a wrong code: the app has it
    if not isinstance(enrolment, Enrolment):
        try:
            enrolment = svc.login.begin_enrolment(
                request.cookies.get(PREAUTH_COOKIE), origin_of(request), svc.device.name()
            )
        except HomeportError as exc:
            return render(request, "enrol.html", status_code=status_of(exc), enrolment=None, error=exc.message,
                          limits={})  # fmt: skip
        waiting.data["enrolment"] = enrolment
    return render(request, "enrol.html", enrolment=enrolment, waiting=waiting, limits=limits(CodeIn))


@router.post("/login/enrol")
async def enrol_submit(request: Request) -> Response:
    svc = services(request)
    waiting = waiting_of(request)
    if waiting is None:
        return expired_sign_in()

    def step(form: Submitted) -> Response:
        body = parse(CodeIn, form.pick("code"))
        result = svc.login.confirm_enrolment(request.cookies.get(PREAUTH_COOKIE), body.code, origin_of(request))
        return signed_in_page(request, result, waiting)

    return await run_form(request, step, back="/login/enrol", token_ok=lambda _: True)


@router.get("/account/recovery-codes")
def new_codes_page(request: Request) -> Response:
    """New recovery codes, once: a reload (or anyone later) finds them gone."""
    who = viewer(request)
    codes = shown_once(request).take(who.session.id)
    if codes is None:
        return redirect("/account/sign-in-methods")
    response = render(request, "recovery_codes.html", me=who.user, csrf=who.csrf, codes=codes)
    response.headers["Cache-Control"] = "no-store"
    return response
