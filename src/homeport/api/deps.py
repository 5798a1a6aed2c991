"""Who is calling: a signed-in user (cookie session) or, on the local socket, root on the machine.

State-changing calls authenticated by the session cookie must carry `X-CSRF-Token` with the token that
sign-in returned (ASVS 3.5.1); the local socket needs none (only root or the daemon's user can open it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query, Request, Response

from homeport.accounts.models import User
from homeport.audit.log import Actor
from homeport.auth.sessions import Session
from homeport.core.errors import Conflict, Forbidden, Unauthenticated
from homeport.core.ids import same_secret
from homeport.core.paging import MAX_LIMIT, PageRequest
from homeport.http.cookies import SESSION_COOKIE
from homeport.http.requests import client_address, is_local_surface, resolve_session, services
from homeport.services import Services

CSRF_HEADER = "X-CSRF-Token"
LOCAL_OPERATOR = "root@local"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Principal:
    actor: Actor
    user: User | None
    session: Session | None

    @property
    def local(self) -> bool:
        """Root on the machine, through the CLI socket."""
        return self.user is None

    @property
    def is_admin(self) -> bool:
        return self.local or (self.user is not None and self.user.is_admin)

    @property
    def restricted(self) -> bool:
        """A session that may only change its password and sign out (a forced change, or a recovery)."""
        recovering = self.session is not None and self.session.recovery
        return self.user is not None and (self.user.must_change_password or recovering)


def principal(request: Request) -> Principal:
    if is_local_surface(request):
        return Principal(actor=Actor(LOCAL_OPERATOR, "local"), user=None, session=None)
    found = resolve_session(request)
    if found is None:
        ending = services(request).recovery_access.ending(request.cookies.get(SESSION_COOKIE))
        if ending is not None:
            raise Unauthenticated(ending.message, code=ending.code)
        raise Unauthenticated("Sign in first (or again: the session has ended).", code="not_signed_in")
    session, user = found
    if request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER, "")
        if not sent or not same_secret(sent, session.csrf_token):
            raise Forbidden(
                f"Send the {CSRF_HEADER} header with the token that sign-in returned.",
                code="csrf_token_missing",
            )
    return Principal(actor=Actor(user.name, client_address(request)), user=user, session=session)


def any_session(caller: Annotated[Principal, Depends(principal)]) -> Principal:
    """Any signed-in caller, restricted sessions included (for /me, password change, sign-out)."""
    return caller


def signed_in(caller: Annotated[Principal, Depends(principal)]) -> Principal:
    if caller.restricted:
        raise Forbidden("Change your password first (PUT /api/v1/me/password).", code="password_change_required")
    return caller


def administrator(caller: Annotated[Principal, Depends(signed_in)]) -> Principal:
    if not caller.is_admin:
        raise Forbidden("Only administrators may do this.", code="administrators_only")
    return caller


AnyCaller = Annotated[Principal, Depends(any_session)]
Caller = Annotated[Principal, Depends(signed_in)]
Admin = Annotated[Principal, Depends(administrator)]
ServicesDep = Annotated[Services, Depends(services)]


def installed(request: Request) -> None:
    """Accounts exist only once setup has run (this matters on the local socket, which needs no session)."""
    state = services(request).device.state()
    if state not in ("ready", "recovery"):
        raise Conflict(f"The device is '{state}'; run the setup wizard first.", code="not_installed")


def page_request(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="How many items (the page size).")] = 100,
    offset: Annotated[int, Query(ge=0, le=2**31, description="How many items to skip.")] = 0,
    q: Annotated[str, Query(max_length=100, description="Only items with this text.")] = "",
    sort: Annotated[str, Query(max_length=32, description="A field to sort by; `-field` for descending.")] = "",
) -> PageRequest:
    return PageRequest(limit=limit, offset=offset, q=q, sort=sort)


Paging = Annotated[PageRequest, Depends(page_request)]


def total_count(response: Response, total: int) -> None:
    """Lists answer one page; the header says how many there are in all."""
    response.headers["X-Total-Count"] = str(total)
