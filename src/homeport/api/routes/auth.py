"""Sign-in (with its second step) and sign-out; the cookies are set by `homeport.http.cookies`.

`POST /auth/login` answers 200 with a session when the password is the whole sign-in, or 202 with the methods
the account can use next and a short-lived pre-authentication cookie, which no route but the second step's
accepts. A second call (`/auth/second-factor`, or a passkey's or an approval's own routes) completes it.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from homeport.api.deps import AnyCaller, ServicesDep
from homeport.api.errors import documented
from homeport.api.schemas import LoginOut, PendingLoginOut, SecondStepOut, TotpEnrolmentOut, UserOut
from homeport.auth.login import SecondStep, SignIn
from homeport.auth.pending import PREAUTH_COOKIE
from homeport.http.cookies import clear_session_cookie, set_preauth_cookie, set_sign_in_cookies
from homeport.http.inputs import CodeIn, LoginIn, SecondFactorIn
from homeport.http.requests import origin_of

router = APIRouter(prefix="/auth", tags=["auth"])


def login_out(result: SignIn) -> LoginOut:
    return LoginOut(
        user=UserOut.of(result.user),
        csrf_token=result.session.csrf_token,
        must_change_password=result.user.must_change_password,
        recovery=result.session.recovery,
        awaiting_presence=result.session.awaiting_presence,
        recovery_codes=result.recovery_codes,
        recovery_codes_left=result.recovery_codes_left,
    )


def signed_in(result: SignIn, response: Response) -> LoginOut:
    set_sign_in_cookies(response, result)
    return login_out(result)


def pending_out(step: SecondStep) -> PendingLoginOut:
    return PendingLoginOut(
        second_factor=SecondStepOut(methods=list(step.methods), expires_in=step.expires_in, must_enrol=step.must_enrol)
    )


@router.post(
    "/login",
    response_model=LoginOut,
    responses={
        202: {"model": PendingLoginOut, "description": "The password was right; a second step is due."},
        **documented(400, 401, 409, 422, 429, 503),
    },
    summary="Sign in; sets the session cookie and returns the CSRF token (or 202: a second step is due)",
)
def post_login(body: LoginIn, request: Request, response: Response, svc: ServicesDep) -> LoginOut | JSONResponse:
    result = svc.login.sign_in(body.username, body.password, origin_of(request))
    if isinstance(result, SecondStep):
        pending = JSONResponse(pending_out(result).model_dump(), status_code=202)
        set_preauth_cookie(pending, result)
        return pending
    return signed_in(result, response)


@router.get(
    "/second-step",
    response_model=SecondStepOut,
    responses=documented(401),
    summary="The waiting sign-in of this browser: its methods and the time left",
)
def get_second_step(request: Request, svc: ServicesDep) -> SecondStepOut:
    waiting = svc.login.waiting_for(request.cookies.get(PREAUTH_COOKIE), origin_of(request))
    return SecondStepOut(
        methods=list(waiting.methods),
        expires_in=waiting.seconds_left(svc.clock.monotonic()),
        must_enrol=waiting.must_enrol,
    )


@router.post(
    "/second-factor",
    response_model=LoginOut,
    responses=documented(400, 401, 422, 429),
    summary="Complete a waiting sign-in with an authenticator-app code or a recovery code",
)
def post_second_factor(body: SecondFactorIn, request: Request, response: Response, svc: ServicesDep) -> LoginOut:
    token = request.cookies.get(PREAUTH_COOKIE)
    result = svc.login.second_factor(token, body.method, body.code, origin_of(request), body.remember)
    return signed_in(result, response)


@router.post(
    "/enrol/totp",
    status_code=201,
    response_model=TotpEnrolmentOut,
    responses=documented(401, 409, 429),
    summary="A sign-in that must set up a second factor: a new authenticator-app secret",
)
def post_enrol_totp(request: Request, svc: ServicesDep) -> TotpEnrolmentOut:
    enrolment = svc.login.begin_enrolment(
        request.cookies.get(PREAUTH_COOKIE), origin_of(request), svc.device.info().name
    )
    return TotpEnrolmentOut(secret=enrolment.secret, otpauth_uri=enrolment.otpauth_uri, qr_svg=enrolment.qr_svg)


@router.post(
    "/enrol/totp/confirm",
    response_model=LoginOut,
    responses=documented(400, 401, 409, 422, 429),
    summary="The app's first code: the factor is on and the sign-in completes (with new recovery codes)",
)
def post_enrol_totp_confirm(body: CodeIn, request: Request, response: Response, svc: ServicesDep) -> LoginOut:
    result = svc.login.confirm_enrolment(request.cookies.get(PREAUTH_COOKIE), body.code, origin_of(request))
    return signed_in(result, response)


@router.post("/logout", status_code=204, responses=documented(401, 403), summary="Sign out: ends the session")
def post_logout(caller: AnyCaller, svc: ServicesDep) -> Response:
    if caller.session is not None:
        svc.sessions.end(caller.session.id)
        svc.audit.record_now("auth.sign_out", caller.actor, target=caller.actor.name)
    response = Response(status_code=204)
    clear_session_cookie(response)
    return response
