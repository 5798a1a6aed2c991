"""What a request says about its caller: the services, the client's address, the connection's local end and
the live session behind the cookie."""

from __future__ import annotations

from fastapi import Request

from homeport.accounts.models import User
from homeport.auth.devices import DEVICE_COOKIE
from homeport.auth.login import Origin
from homeport.auth.remembered import REMEMBER_COOKIE
from homeport.auth.sessions import Session
from homeport.http.cookies import SESSION_COOKIE
from homeport.http.forwarded import was_forwarded
from homeport.network.service import Via
from homeport.services import Services

# Sent by the console's own scripts when they refresh a panel: such a call does not count as the owner being
# active, so an open overview never keeps a session from timing out.
BACKGROUND_HEADER = "x-homeport-background"


def services(request: Request) -> Services:
    found: Services = request.app.state.services
    return found


def is_local_surface(request: Request) -> bool:
    """The CLI's Unix socket, where the caller is root on the machine."""
    return bool(getattr(request.app.state, "local", False))


def client_address(request: Request) -> str:
    """The client as the forwarded-client middleware decided it (the TCP peer unless a trusted proxy said)."""
    return request.client.host if request.client else "local"


def via(request: Request) -> Via | None:
    """The local end of this connection (None on the CLI socket)."""
    if is_local_surface(request):
        return None
    server = request.scope.get("server")
    return Via(str(server[0]), int(server[1])) if server else None


def origin_of(request: Request) -> Origin:
    """Everything a sign-in needs to know about where it comes from."""
    server = request.scope.get("server")
    return Origin(
        address=client_address(request),
        user_agent=request.headers.get("user-agent", ""),
        forwarded=was_forwarded(request.scope),
        local_address=str(server[0]) if server else "",
        previous_token=request.cookies.get(SESSION_COOKIE),
        device_cookie=request.cookies.get(DEVICE_COOKIE),
        remember_cookie=request.cookies.get(REMEMBER_COOKIE),
    )


def resolve_session(request: Request) -> tuple[Session, User] | None:
    """The caller's live session and enabled account, or None."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    svc = services(request)
    session = svc.sessions.resolve(token, touch=request.headers.get(BACKGROUND_HEADER) != "1")
    if session is None:
        return None
    user = svc.accounts.user_by_id(session.user_id)
    # A recovery session may belong to the disabled built-in admin: that is what the window is for.
    if user is None or not (user.enabled or session.recovery):
        svc.sessions.end(session.id)
        return None
    return session, user
