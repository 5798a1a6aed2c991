"""The audit log, newest first; `after` follows it (oldest first) for `homeport log --follow`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from homeport.api.deps import Admin, ServicesDep
from homeport.api.errors import documented
from homeport.api.schemas import LogEntryOut

router = APIRouter(prefix="/log", tags=["log"])


@router.get("", response_model=list[LogEntryOut], responses=documented(401, 403, 422), summary="Audit log")
def get_log(
    _: Admin,
    svc: ServicesDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    before: Annotated[int | None, Query(ge=0, le=2**62)] = None,
    after: Annotated[int | None, Query(ge=0, le=2**62)] = None,
    action: Annotated[str | None, Query(max_length=64)] = None,
) -> list[LogEntryOut]:
    records = svc.audit.query(limit=limit, before=before, after=after, action=action)
    return [LogEntryOut.of(r) for r in records]
