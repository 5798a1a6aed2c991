"""The self-test (administrators): its last results, a run now, and the banner a failed package change raised."""

from __future__ import annotations

from fastapi import APIRouter

from homeport.api.deps import Admin, ServicesDep
from homeport.api.errors import documented
from homeport.api.selftest_schemas import SelfTestRunOut, SelfTestStateOut
from homeport.core.errors import Forbidden
from homeport.http.selftest_inputs import SelfTestIn
from homeport.selftest.service import SelfTestRun

router = APIRouter(prefix="/selftest", tags=["selftest"])


def _maybe(run: SelfTestRun | None) -> SelfTestRunOut | None:
    return None if run is None else SelfTestRunOut.of(run)


@router.get(
    "",
    response_model=SelfTestStateOut,
    responses=documented(401, 403),
    summary="The last self-test, the last one after a package change, the banner shown, and the apt hook",
)
def get_selftest(_: Admin, svc: ServicesDep) -> SelfTestStateOut:
    selftest = svc.selftest
    hook = selftest.paths.apt_hook
    return SelfTestStateOut(
        last=_maybe(selftest.last()),
        last_package_change=_maybe(selftest.last_package_change()),
        banner=_maybe(selftest.banner()),
        apt_hook=None if hook is None else str(hook),
        apt_hook_problem=selftest.paths.apt_hook_problem,
    )


@router.post(
    "",
    response_model=SelfTestRunOut,
    responses=documented(401, 403, 422),
    summary="Run every check now (a few seconds: the SMB checks sign in for real); the result is kept and audited",
)
async def run_selftest(caller: Admin, svc: ServicesDep, body: SelfTestIn | None = None) -> SelfTestRunOut:
    after = body is not None and body.after_package_change
    if after and not caller.local:
        raise Forbidden(
            "Only root on the machine runs the self-test after a package change (the apt hook does).",
            code="local_only",
        )
    return SelfTestRunOut.of(await svc.selftest.run(svc, caller.actor, after_package_change=after))


@router.post(
    "/banner/dismiss",
    status_code=204,
    responses=documented(401, 403, 404),
    summary="Hide the failed-self-test banner from every page (the log keeps the run); 404 when none is shown",
)
def dismiss_banner(caller: Admin, svc: ServicesDep) -> None:
    svc.selftest.dismiss(caller.actor)
