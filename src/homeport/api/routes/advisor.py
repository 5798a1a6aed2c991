"""The Security Advisor (administrators): the latest kept run compared with the one before, and a run on demand.

`GET` only reads: with no run kept yet it answers 404 `no_advisor_run` rather than running the checks itself
(a GET changes nothing). A run is kept after the first setup and every recovery, so that is rare.
"""

from __future__ import annotations

from fastapi import APIRouter

from homeport.advisor.advisor import ON_DEMAND
from homeport.api.advisor_schemas import AdvisorRunOut
from homeport.api.deps import Admin, ServicesDep
from homeport.api.errors import documented
from homeport.core.errors import NotFound

router = APIRouter(prefix="/advisor", tags=["advisor"])


@router.get(
    "",
    response_model=AdvisorRunOut,
    responses=documented(401, 403, 404),
    summary="The latest Security Advisor run, each check compared with the run before",
)
def get_latest(_: Admin, svc: ServicesDep) -> AdvisorRunOut:
    run = svc.advisor.latest()
    if run is None:
        raise NotFound(
            "No Security Advisor run is kept yet: run the checks with POST /api/v1/advisor/run "
            "(or `homeport advisor --run`).",
            code="no_advisor_run",
        )
    return AdvisorRunOut.of(run)


@router.post(
    "/run",
    status_code=201,
    response_model=AdvisorRunOut,
    responses=documented(401, 403),
    summary="Run every check now; the run is kept and compared with the one before",
)
def run_now(caller: Admin, svc: ServicesDep) -> AdvisorRunOut:
    return AdvisorRunOut.of(svc.advisor.run(caller.actor, ON_DEMAND))
