"""The post-recovery report (administrators), and the virtual reset button (root on the machine only).

No route here, or anywhere in the API, starts a reset: only the button does (the virtual one exists on the
local socket, which only root can open).
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from homeport.api.deps import Admin, ServicesDep
from homeport.api.errors import documented
from homeport.api.network_schemas import ApplyOut
from homeport.api.routes.system import local_only
from homeport.core.errors import Conflict, NotFound
from homeport.hardware.buttons import VirtualButton
from homeport.hardware.interfaces import ButtonEdge
from homeport.http.requests import via

router = APIRouter(prefix="/recovery", tags=["recovery"])
button_router = APIRouter(tags=["local"])
ResetId = Annotated[int, Path(ge=1, le=2**62)]


class ReportItemOut(BaseModel):
    key: str
    title: str
    now: str
    before: str
    restorable: bool
    restored: bool
    action: str = Field(default="Restore", description="What the one-click restore is called.")


class CheckOut(BaseModel):
    title: str
    ok: bool | None
    advice: str
    fix: str = Field(default="", description="The console page where it is fixed.")


class ReportOut(BaseModel):
    reset: int
    mode: str
    decided_at: float
    acknowledged: bool
    items: list[ReportItemOut] = Field(description="A Mode 1: each change, with a one-click restore.")
    checklist: list[CheckOut]
    facts: list[str] = Field(description="A Mode 2: what happened, in order.")
    awaiting_password: list[str] = Field(description="A Mode 2: accounts restored without a password.")


@router.get(
    "/report", response_model=ReportOut, responses=documented(401, 403, 404), summary="What the last reset changed"
)
def get_report(_: Admin, svc: ServicesDep) -> ReportOut:
    report = svc.report.build()
    if report is None:
        raise NotFound("No reset has happened on this device.", code="no_reset")
    return ReportOut(
        reset=report.reset.id,
        mode=report.reset.mode,
        decided_at=report.reset.decided_at,
        acknowledged=report.reset.acknowledged,
        items=[ReportItemOut(**item.__dict__) for item in report.items],
        checklist=[CheckOut(**check.__dict__) for check in report.checklist],
        facts=list(report.facts),
        awaiting_password=list(report.awaiting_password),
    )


@router.post(
    "/report/{reset_id}/restore/{item}",
    response_model=ApplyOut | None,
    responses=documented(401, 403, 404, 409, 422),
    summary="Put one item back as it was before the reset (network settings: with confirm-or-rollback; `factors`: "
    "turn the recovered account's second factors back on)",
)
async def restore_item(
    reset_id: ResetId, item: Literal["network", "auto_block", "builtin_admin", "factors"], request: Request,
    caller: Admin,
    svc: ServicesDep,
) -> ApplyOut | None:  # fmt: skip
    outcome = await svc.report.restore(caller.actor, reset_id, item, via(request))
    return None if outcome is None else ApplyOut.of(outcome)


@router.post(
    "/report/{reset_id}/acknowledge", status_code=204, responses=documented(401, 403, 404),
    summary="Read: stop showing the banner",
)  # fmt: skip
def acknowledge(reset_id: ResetId, caller: Admin, svc: ServicesDep) -> Response:
    svc.report.acknowledge(caller.actor, reset_id)
    return Response(status_code=204)


class ButtonIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    action: Literal["press", "release", "hold"]
    seconds: float = Field(default=0.0, ge=0.0, le=120.0, description="For `hold`: how long to keep it down.")


@button_router.post("/button", status_code=204, responses=documented(403, 409, 422), summary="The virtual button")
async def press_button(body: ButtonIn, request: Request, svc: ServicesDep) -> Response:
    local_only(request)
    source = svc.button.source
    if not isinstance(source, VirtualButton):
        raise Conflict(f"This device has a real reset button ({source.description}); use it.", code="not_virtual")
    if body.action == "hold":
        await source.hold(body.seconds)
    else:
        source.push(ButtonEdge.PRESSED if body.action == "press" else ButtonEdge.RELEASED)
    return Response(status_code=204)
