"""The caller's own account."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from homeport.api.deps import AnyCaller, ServicesDep
from homeport.api.errors import documented
from homeport.api.schemas import MeOut, UserOut
from homeport.core.errors import Forbidden
from homeport.http.cookies import clear_session_cookie, set_device_cookie
from homeport.http.inputs import PasswordChangeIn
from homeport.http.requests import origin_of

router = APIRouter(prefix="/me", tags=["me"])


@router.get("", response_model=MeOut, responses=documented(401), summary="Who am I")
def get_me(caller: AnyCaller, svc: ServicesDep) -> MeOut:
    if caller.user is None:
        raise Forbidden("The local operator has no account; use `homeport user list`.", code="local_operator")
    session = caller.session
    presence = svc.recovery_access.presence(session) if session is not None and session.recovery else None
    return MeOut(
        user=UserOut.of(caller.user),
        session_id=session.id if session else None,
        restricted=caller.restricted,
        recovery=session is not None and session.recovery,
        awaiting_presence=presence is not None and not presence.confirmed,
        presence_deadline=presence.deadline if presence is not None and not presence.confirmed else None,
    )


@router.put(
    "/password",
    status_code=204,
    responses=documented(400, 401, 403, 422, 429, 503),
    summary="Change my password (needs the current one; a recovery session sends it empty); ends my other sessions",
)
def put_my_password(body: PasswordChangeIn, caller: AnyCaller, svc: ServicesDep, request: Request) -> Response:
    if caller.user is None:
        raise Forbidden("The local operator has no password; use `homeport user passwd NAME`.", code="local_operator")
    if caller.session is not None and caller.session.recovery:
        # The recovery window's session: no current password (that is what was lost); the session then ends.
        svc.recovery_access.set_password(caller.session, body.new_password, caller.actor)
        response = Response(status_code=204)
        clear_session_cookie(response)
        return response
    keep = caller.session.id if caller.session else None
    user = svc.credentials.change_own(caller.user, body.current_password, body.new_password, caller.actor, keep)
    response = Response(status_code=204)
    # The new password forgot every device token of the account; this browser proved it knows the password.
    set_device_cookie(response, svc.login.remember_device(user, origin_of(request)))
    return response
