"""The Security Advisor page (administrators): the latest kept run, each check with its verdict, what to do and
where, marked when it changed since the run before; "Run again" keeps a new run."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from homeport.advisor.advisor import ON_DEMAND
from homeport.http.requests import services
from homeport.web.forms import Submitted, handle
from homeport.web.guard import Viewer, viewer
from homeport.web.render import render

router = APIRouter(include_in_schema=False)


@router.get("/advisor")
def advisor_page(request: Request) -> Response:
    who = viewer(request, admin=True)
    svc = services(request)
    return render(
        request,
        "advisor.html",
        me=who.user,
        csrf=who.csrf,
        run=svc.advisor.latest(),
        host=f"{svc.device.name().lower()}.local",
    )


@router.post("/advisor/run")
async def advisor_run(request: Request) -> Response:
    advisor = services(request).advisor

    def act(who: Viewer, _: Submitted) -> str:
        advisor.run(who.actor, ON_DEMAND)
        return "/advisor?done=advisor-ran"

    return await handle(request, act, back="/advisor", admin=True)
