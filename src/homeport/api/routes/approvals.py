"""Sign-in approval (auth/approvals.py) and the account's live events.

The waiting browser (pre-authentication cookie): `POST /auth/approval/begin` shows a number and a QR code,
`GET /auth/approval/events` (or `/status`) says when it is decided, `POST /auth/approval/finish` signs in.
A signed-in session of the same account: `GET /me/approvals` (never the number), `POST /me/approvals/{id}`
with the number, `POST /me/approvals/{id}/deny`; `GET /me/events` streams requests and notices to every open
console page. Root on the CLI socket lists and answers every account's requests (`/approvals`).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response
from fastapi.concurrency import run_in_threadpool
from starlette.responses import StreamingResponse

from homeport.api.approval_schemas import (
    ApprovalBeginOut,
    ApprovalDecisionOut,
    ApprovalOut,
    ApprovalStatusOut,
)
from homeport.api.deps import LOCAL_OPERATOR, Caller, ServicesDep
from homeport.api.errors import documented
from homeport.api.routes.auth import signed_in
from homeport.api.routes.factors import account_of
from homeport.api.schemas import LoginOut
from homeport.audit.log import Actor
from homeport.auth.approvals import ApprovalRequest, approve_link, approve_qr, user_channel, waiting_channel
from homeport.auth.pending import PREAUTH_COOKIE
from homeport.core.errors import Busy, Forbidden, TooManyAttempts
from homeport.core.live import LiveEvent, Subscription, TooManyStreams
from homeport.http.cookies import SESSION_COOKIE
from homeport.http.inputs import ApprovalDenyIn, ApprovalNumberIn
from homeport.http.requests import is_local_surface, origin_of
from homeport.http.sse import MEDIA_TYPE, event_stream
from homeport.services import Services

router = APIRouter(tags=["auth"])
local_router = APIRouter(tags=["auth"])
RequestId = Annotated[
    str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$", description="The request's id.")
]
ROOT = Actor(LOCAL_OPERATOR, "local")
STREAM: dict[int | str, dict[str, Any]] = {
    200: {"description": "A stream of Server-Sent Events (text/event-stream).", "content": {MEDIA_TYPE: {}}}
}


def _subscribe(svc: Services, channel: str, owner: str) -> Subscription:
    try:
        return svc.approvals.hub.subscribe(channel, owner)
    except TooManyStreams as exc:
        if exc.everyone:
            raise Busy(str(exc), retry_after=10) from None
        raise TooManyAttempts(str(exc), retry_after=30, code="too_many_streams") from None


# --- the waiting browser -------------------------------------------------------------------------------------


def begin_out(svc: Services, found: ApprovalRequest, host: str) -> ApprovalBeginOut:
    return ApprovalBeginOut(
        request_id=found.id,
        number=found.number,
        expires_in=found.seconds_left(svc.clock.monotonic()),
        state=found.state,
        approve_url=approve_link(host, found),
        qr_svg=approve_qr(host, found),
    )


@router.post(
    "/auth/approval/begin",
    response_model=ApprovalBeginOut,
    responses=documented(401, 409, 429),
    summary="A waiting sign-in asks the account's other sessions to approve it: the number to show, a QR code",
)
def post_begin(request: Request, svc: ServicesDep) -> ApprovalBeginOut:
    origin = origin_of(request)
    waiting = svc.login.waiting_for(request.cookies.get(PREAUTH_COOKIE), origin)
    return begin_out(svc, svc.approvals.begin(waiting, origin), request.headers.get("host", ""))


@router.get(
    "/auth/approval/status",
    response_model=ApprovalStatusOut,
    responses=documented(401),
    summary="Whether this browser's sign-in has been approved yet (`/auth/approval/events` streams it)",
)
def get_status(request: Request, svc: ServicesDep) -> ApprovalStatusOut:
    waiting = svc.login.waiting_for(request.cookies.get(PREAUTH_COOKIE), origin_of(request))
    return ApprovalStatusOut(**svc.approvals.state_event(svc.approvals.status(waiting)).data)


@router.get(
    "/auth/approval/events",
    response_class=StreamingResponse,
    responses={**STREAM, **documented(401, 429, 503)},
    summary="A stream of `state` events for this browser's approval request, until it is decided",
)
async def get_waiting_events(request: Request, svc: ServicesDep) -> Response:
    waiting = svc.login.waiting_for(request.cookies.get(PREAUTH_COOKIE), origin_of(request))
    subscription = _subscribe(svc, waiting_channel(waiting.digest), waiting_channel(waiting.digest))
    first = svc.approvals.state_event(svc.approvals.status(waiting))  # in memory: no thread needed

    async def still_on() -> bool:
        """While the sign-in waits; asking for the status also expires a request whose time is up (which is
        then announced on this stream)."""
        svc.approvals.status(waiting)
        return svc.login.waiting.by_digest(waiting.digest) is not None

    return event_stream(subscription, still_on, first=[first], check=1.0)


@router.post(
    "/auth/approval/finish",
    response_model=LoginOut,
    responses=documented(401, 403, 409, 429),
    summary="Complete an approved sign-in; sets the session cookie (like /auth/login's 200)",
)
def post_finish(request: Request, response: Response, svc: ServicesDep) -> LoginOut:
    origin = origin_of(request)
    waiting = svc.login.waiting_for(request.cookies.get(PREAUTH_COOKIE), origin)
    return signed_in(svc.approvals.finish(waiting, origin), response)


# --- the approving side --------------------------------------------------------------------------------------


def decision_out(found: ApprovalRequest, report: bool = False) -> ApprovalDecisionOut:
    """Said to the approving side (the request's own message is for the waiting browser)."""
    if found.state == "approved":
        message = "Approved: that browser is signing in now."
    elif report:
        message = (
            "Denied and reported: that sign-in has ended, approvals for the account are paused for an hour and the "
            "administrators are told. Change the password: someone else knows it."
        )
    else:
        message = "Denied: that sign-in was refused."
    return ApprovalDecisionOut(id=found.id, state=found.state, message=message)


@router.get(
    "/me/approvals",
    response_model=list[ApprovalOut],
    responses=documented(401, 403),
    summary="Sign-ins to my account waiting for approval (without the number the waiting browser shows)",
)
def get_my_approvals(caller: Caller, svc: ServicesDep) -> list[ApprovalOut]:
    now = svc.clock.monotonic()
    return [ApprovalOut.of(r, now) for r in svc.approvals.pending(account_of(caller).id)]


@router.post(
    "/me/approvals/{request_id}",
    response_model=ApprovalDecisionOut,
    responses=documented(401, 403, 404, 409, 422),
    summary="Approve a sign-in to my account with the number its browser shows (a wrong number denies it)",
)
def post_my_approval(
    request_id: RequestId, body: ApprovalNumberIn, caller: Caller, svc: ServicesDep
) -> ApprovalDecisionOut:
    user = account_of(caller)
    return decision_out(svc.approvals.approve(request_id, body.number, caller.actor, user.id))


@router.post(
    "/me/approvals/{request_id}/deny",
    response_model=ApprovalDecisionOut,
    responses=documented(401, 403, 404, 422),
    summary="Deny a sign-in to my account; `report` (this wasn't me) also pauses approvals and tells administrators",
)
def post_my_denial(
    request_id: RequestId, body: ApprovalDenyIn, caller: Caller, svc: ServicesDep
) -> ApprovalDecisionOut:
    user = account_of(caller)
    return decision_out(svc.approvals.deny(request_id, caller.actor, user.id, report=body.report), body.report)


@router.get(
    "/me/events",
    response_class=StreamingResponse,
    responses={**STREAM, **documented(401, 403, 429, 503)},
    summary="A stream of my account's live events: `approval`, `approval_closed` and `notice`",
)
async def get_my_events(request: Request, caller: Caller, svc: ServicesDep) -> Response:
    if is_local_surface(request) or caller.session is None:
        raise Forbidden("The local operator has no account; use `homeport approve`.", code="local_operator")
    user = account_of(caller)
    session_id, token = caller.session.id, request.cookies.get(SESSION_COOKIE, "")
    subscription = _subscribe(svc, user_channel(user.id), session_id)
    # In memory, with no await between the subscription and its response (which always closes it).
    first = [LiveEvent("approval", svc.approvals.shown(r)) for r in svc.approvals.pending(user.id)]

    def live() -> bool:
        """The session is still on (signed out, ended, timed out or disabled: the stream ends)."""
        session = svc.sessions.resolve(token, touch=False)
        found = svc.accounts.user_by_id(session.user_id) if session is not None else None
        return session is not None and session.id == session_id and found is not None and found.enabled

    async def still_on() -> bool:
        return await run_in_threadpool(live)

    return event_stream(subscription, still_on, first=first, check=svc.approvals.check_seconds)


# --- root on the machine (the CLI socket only) ---------------------------------------------------------------


@local_router.get(
    "/approvals",
    response_model=list[ApprovalOut],
    summary="Every account's sign-ins waiting for approval (root on the machine)",
)
def get_approvals(svc: ServicesDep) -> list[ApprovalOut]:
    now = svc.clock.monotonic()
    return [ApprovalOut.of(r, now) for r in svc.approvals.pending()]


@local_router.post(
    "/approvals/{request_id}",
    response_model=ApprovalDecisionOut,
    responses=documented(404, 409, 422),
    summary="Approve any account's waiting sign-in with the number its browser shows (root on the machine)",
)
def post_approval(request_id: RequestId, body: ApprovalNumberIn, svc: ServicesDep) -> ApprovalDecisionOut:
    return decision_out(svc.approvals.approve(request_id, body.number, ROOT, None))


@local_router.post(
    "/approvals/{request_id}/deny",
    response_model=ApprovalDecisionOut,
    responses=documented(404, 422),
    summary="Deny any account's waiting sign-in (root on the machine); `report` pauses approvals for it",
)
def post_denial(request_id: RequestId, body: ApprovalDenyIn, svc: ServicesDep) -> ApprovalDecisionOut:
    return decision_out(svc.approvals.deny(request_id, ROOT, None, report=body.report), body.report)
