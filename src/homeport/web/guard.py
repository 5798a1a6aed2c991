"""Who is looking at a page; pages redirect to sign-in (or to the password change) instead of answering 401."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from fastapi import Request
from starlette.responses import RedirectResponse

from homeport.accounts.models import User
from homeport.audit.log import Actor
from homeport.auth.sessions import Session
from homeport.core.errors import Forbidden
from homeport.http.cookies import SESSION_COOKIE
from homeport.http.requests import resolve_session, services


@dataclass(frozen=True)
class Viewer:
    user: User
    session: Session
    actor: Actor

    @property
    def csrf(self) -> str:
        return self.session.csrf_token


class Redirect(Exception):
    """Raised by a guard; the console turns it into a 303 redirect."""

    def __init__(self, location: str) -> None:
        super().__init__(location)
        self.location = location


def state_redirect(request: Request) -> str | None:
    """Where a device that is not in service sends every page."""
    state = services(request).device.state()
    if state in ("not-installed", "migratable"):
        return "/setup"
    if state == "damaged":
        return "/damaged"
    return None


def viewer(request: Request, *, allow_restricted: bool = False, admin: bool = False) -> Viewer:
    target = state_redirect(request)
    if target:
        raise Redirect(target)
    found = resolve_session(request)
    if found is None:
        if services(request).recovery_access.ending(request.cookies.get(SESSION_COOKIE)) is not None:
            raise Redirect("/login")  # the sign-in page says why that recovery sign-in ended
        raise Redirect(
            "/login?next=" + quote(request.url.path)
            + ("&done=expired" if request.cookies.get(SESSION_COOKIE) else "")
        )  # fmt: skip
    session, user = found
    if session.recovery and not allow_restricted:
        raise Redirect("/recovery/password")
    if user.must_change_password and not allow_restricted:
        raise Redirect("/password")
    if admin and not user.is_admin:
        raise Forbidden("Only administrators may open this page.", code="administrators_only")
    client = request.client.host if request.client else ""
    return Viewer(user=user, session=session, actor=Actor(user.name, client))


def redirect(location: str) -> RedirectResponse:
    return RedirectResponse(location, status_code=303)
