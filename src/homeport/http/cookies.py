"""The session and device cookies. The session token travels only in a `__Host-` cookie (ASVS 3.3.x)."""

from __future__ import annotations

from starlette.responses import Response

from homeport.auth.devices import COOKIE_MAX_AGE, DEVICE_COOKIE
from homeport.auth.login import SignIn

SESSION_COOKIE = "__Host-homeport_session"


def set_session_cookie(response: Response, token: str) -> None:
    response.set_cookie(SESSION_COOKIE, token, path="/", secure=True, httponly=True, samesite="strict")


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", secure=True, httponly=True, samesite="strict")


def set_device_cookie(response: Response, value: str) -> None:
    response.set_cookie(
        DEVICE_COOKIE, value, max_age=COOKIE_MAX_AGE, path="/", secure=True, httponly=True, samesite="strict"
    )


def set_sign_in_cookies(response: Response, result: SignIn) -> None:
    """The session, and the device token that lets this browser past an account pause next time."""
    set_session_cookie(response, result.token)
    if result.device_cookie:
        set_device_cookie(response, result.device_cookie)
