"""Sessions: administrators see and end all of them; users their own."""

from __future__ import annotations

from fastapi import APIRouter, Response

from homeport.api.deps import Caller, Paging, ServicesDep, total_count
from homeport.api.errors import documented
from homeport.api.schemas import SessionOut
from homeport.auth.sessions import SESSION_SORTS, session_text
from homeport.core.errors import NotFound
from homeport.core.paging import page_of

router = APIRouter(prefix="/sessions", tags=["sessions"])


@router.get(
    "",
    response_model=list[SessionOut],
    responses=documented(401, 403, 422),
    summary="Live sessions, a page at a time (`X-Total-Count` has the total); sort by user, created_at or last_seen",
)
def list_sessions(caller: Caller, svc: ServicesDep, paging: Paging, response: Response) -> list[SessionOut]:
    own_only = None if caller.is_admin or caller.user is None else caller.user.id
    current = caller.session.id if caller.session else None
    page = page_of(svc.sessions.list(own_only), paging, text=session_text, keys=SESSION_SORTS, default="-last_seen")
    total_count(response, page.total)
    return [SessionOut.of(s, current) for s in page.items]


@router.delete("/{session_id}", status_code=204, responses=documented(401, 403, 404), summary="End a session")
def end_session(session_id: str, caller: Caller, svc: ServicesDep) -> Response:
    session = svc.sessions.get(session_id)
    mine = session is not None and caller.user is not None and session.user_id == caller.user.id
    if session is None or not (caller.is_admin or mine):
        raise NotFound("There is no such session (it may have ended already).", code="session_not_found")
    svc.sessions.end(session.id)
    svc.audit.record_now("session.ended", caller.actor, target=session.user_name, session=session.id)
    return Response(status_code=204)
