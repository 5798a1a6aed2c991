"""Sign-in and sign-out (the cookies are set by `homeport.http.cookies`)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from homeport.api.deps import AnyCaller, ServicesDep
from homeport.api.errors import documented
from homeport.api.schemas import LoginOut, UserOut
from homeport.auth.login import SignIn
from homeport.http.cookies import clear_session_cookie, set_sign_in_cookies
from homeport.http.inputs import LoginIn
from homeport.http.requests import origin_of
from homeport.services import Services

router = APIRouter(prefix="/auth", tags=["auth"])


def sign_in(svc: Services, request: Request, username: str, password: str) -> tuple[LoginOut, SignIn]:
    result = svc.login.sign_in(username, password, origin_of(request))
    out = LoginOut(
        user=UserOut.of(result.user),
        csrf_token=result.session.csrf_token,
        must_change_password=result.user.must_change_password,
        recovery=result.session.recovery,
        awaiting_presence=result.session.awaiting_presence,
    )
    return out, result


@router.post(
    "/login",
    response_model=LoginOut,
    responses=documented(400, 401, 409, 422, 429, 503),
    summary="Sign in; sets the session cookie and returns the CSRF token",
)
def post_login(body: LoginIn, request: Request, response: Response, svc: ServicesDep) -> LoginOut:
    out, result = sign_in(svc, request, body.username, body.password)
    set_sign_in_cookies(response, result)
    return out


@router.post("/logout", status_code=204, responses=documented(401, 403), summary="Sign out: ends the session")
def post_logout(caller: AnyCaller, svc: ServicesDep) -> Response:
    if caller.session is not None:
        svc.sessions.end(caller.session.id)
        svc.audit.record_now("auth.sign_out", caller.actor, target=caller.actor.name)
    response = Response(status_code=204)
    clear_session_cookie(response)
    return response
