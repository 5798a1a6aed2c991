"""Sign-in and sign-out. The session token travels only in a `__Host-` cookie (ASVS 3.3.x)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from homeport.api.deps import SESSION_COOKIE, AnyCaller, ServicesDep, client_address
from homeport.api.errors import documented
from homeport.api.schemas import LoginIn, LoginOut, UserOut
from homeport.services import Services

router = APIRouter(prefix="/auth", tags=["auth"])


def set_session_cookie(response: Response, token: str) -> None:
    response.set_cookie(SESSION_COOKIE, token, path="/", secure=True, httponly=True, samesite="strict")


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", secure=True, httponly=True, samesite="strict")


def sign_in(svc: Services, request: Request, username: str, password: str) -> tuple[LoginOut, str]:
    result = svc.login.sign_in(
        username,
        password,
        client_address(request),
        request.headers.get("user-agent", ""),
        previous_token=request.cookies.get(SESSION_COOKIE),
    )
    out = LoginOut(
        user=UserOut.of(result.user),
        csrf_token=result.session.csrf_token,
        must_change_password=result.user.must_change_password,
    )
    return out, result.token


@router.post(
    "/login",
    response_model=LoginOut,
    responses=documented(400, 401, 409, 422, 429, 503),
    summary="Sign in; sets the session cookie and returns the CSRF token",
)
def post_login(body: LoginIn, request: Request, response: Response, svc: ServicesDep) -> LoginOut:
    out, token = sign_in(svc, request, body.username, body.password)
    set_session_cookie(response, token)
    return out


@router.post("/logout", status_code=204, responses=documented(401, 403), summary="Sign out: ends the session")
def post_logout(caller: AnyCaller, svc: ServicesDep) -> Response:
    if caller.session is not None:
        svc.sessions.end(caller.session.id)
        svc.audit.record_now("auth.sign_out", caller.actor, target=caller.actor.name)
    response = Response(status_code=204)
    clear_session_cookie(response)
    return response
