"""The session and device cookies. The session token travels only in a `__Host-` cookie (ASVS 3.3.x)."""

from __future__ import annotations

from starlette.responses import Response

from homeport.auth.devices import COOKIE_MAX_AGE, DEVICE_COOKIE
from homeport.auth.login import SecondStep, SignIn
from homeport.auth.passkey_ceremony import CHALLENGE_SECONDS
from homeport.auth.passkeys import PASSKEY_COOKIE
from homeport.auth.pending import LIFETIME_SECONDS, PREAUTH_COOKIE
from homeport.auth.remembered import REMEMBER_COOKIE, REMEMBER_DAYS

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
    """The session, and the device token that lets this browser past an account pause next time; the waiting
    sign-in's cookie is done with."""
    set_session_cookie(response, result.token)
    if result.device_cookie:
        set_device_cookie(response, result.device_cookie)
    if result.remember_cookie:
        response.set_cookie(
            REMEMBER_COOKIE, result.remember_cookie, max_age=REMEMBER_DAYS * 86400, path="/", secure=True,
            httponly=True, samesite="strict",
        )  # fmt: skip
    clear_preauth_cookie(response)


def set_preauth_cookie(response: Response, step: SecondStep) -> None:
    """The waiting sign-in's token: not a session (no route but the second step's accepts it)."""
    response.set_cookie(
        PREAUTH_COOKIE, step.token, max_age=LIFETIME_SECONDS, path="/", secure=True, httponly=True, samesite="strict"
    )


def clear_preauth_cookie(response: Response) -> None:
    response.delete_cookie(PREAUTH_COOKIE, path="/", secure=True, httponly=True, samesite="strict")


def set_passkey_cookie(response: Response, token: str) -> None:
    """Binds a passkey sign-in's challenge (kept on the server) to this browser for its two minutes."""
    response.set_cookie(
        PASSKEY_COOKIE, token, max_age=CHALLENGE_SECONDS, path="/", secure=True, httponly=True, samesite="strict"
    )


def clear_passkey_cookie(response: Response) -> None:
    response.delete_cookie(PASSKEY_COOKIE, path="/", secure=True, httponly=True, samesite="strict")
