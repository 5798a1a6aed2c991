"""The audit log, newest first; `after` follows it (oldest first) for `homeport log --follow`."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from homeport.api.deps import Admin, ServicesDep
from homeport.api.errors import documented
from homeport.api.schemas import LogEntryOut
from homeport.audit.log import LOG_KINDS, LOG_OUTCOMES, LogFilter

LogKind = Literal[LOG_KINDS]  # type: ignore[valid-type]
LogOutcome = Literal[LOG_OUTCOMES]  # type: ignore[valid-type]

router = APIRouter(prefix="/log", tags=["log"])


@router.get("", response_model=list[LogEntryOut], responses=documented(401, 403, 422), summary="Audit log")
def get_log(
    _: Admin,
    svc: ServicesDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    before: Annotated[int | None, Query(ge=0, le=2**62)] = None,
    after: Annotated[int | None, Query(ge=0, le=2**62)] = None,
    action: Annotated[str | None, Query(max_length=64, description="Exactly this action code.")] = None,
    kind: Annotated[LogKind | None, Query(description="The action's family.")] = None,
    user: Annotated[str, Query(max_length=64, description="Done by this account.")] = "",
    outcome: Annotated[LogOutcome | None, Query()] = None,
    since: Annotated[float | None, Query(ge=0, le=2**40, description="Unix time, inclusive.")] = None,
    until: Annotated[float | None, Query(ge=0, le=2**40, description="Unix time, exclusive.")] = None,
    q: Annotated[str, Query(max_length=100, description="Text anywhere in the entry.")] = "",
) -> list[LogEntryOut]:
    matching = LogFilter(kind=kind or "", actor=user, outcome=outcome or "", since=since, until=until, text=q)
    records = svc.audit.query(limit=limit, before=before, after=after, action=action, matching=matching)
    return [LogEntryOut.of(r) for r in records]
