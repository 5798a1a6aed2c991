"""The System health page (administrators): run the self-test, each check by name with what it found, the last
package change with its outcome and the way back; and the banner a failed package change raises on every page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from homeport.http.requests import services
from homeport.selftest.checks import TITLES
from homeport.web.forms import Submitted, handle
from homeport.web.guard import Viewer, viewer
from homeport.web.render import render

router = APIRouter(include_in_schema=False)


@router.get("/system-health")
def system_health_page(request: Request) -> Response:
    who = viewer(request, admin=True)
    selftest = services(request).selftest
    return render(
        request,
        "system_health.html",
        me=who.user,
        csrf=who.csrf,
        last=selftest.last(),
        packages=selftest.last_package_change(),
        titles=TITLES,
        apt_hook=selftest.paths.apt_hook,
        apt_hook_problem=selftest.paths.apt_hook_problem,
    )


@router.post("/system-health/run")
async def system_health_run(request: Request) -> Response:
    svc = services(request)

    async def act(who: Viewer, _: Submitted) -> str:
        run = await svc.selftest.run(svc, who.actor)
        return "/system-health?done=" + ("selftest-passed" if run.ok else "selftest-failed")

    return await handle(request, act, back="/system-health", admin=True)


@router.post("/system-health/banner/dismiss")
async def system_health_dismiss(request: Request) -> Response:
    selftest = services(request).selftest

    def act(who: Viewer, _: Submitted) -> str:
        if selftest.banner() is not None:  # dismissed already (another tab): nothing to do, no error
            selftest.dismiss(who.actor)
        return "/system-health?done=selftest-dismissed"

    return await handle(request, act, back="/system-health", admin=True)
