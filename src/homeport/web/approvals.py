"""Console pages for sign-in approval: the page a signed-in phone opens by scanning the waiting browser's QR code
(`/approve/{id}`: the request, the three numbers, "This wasn't me"), the waiting browser's forms (complete an
approved sign-in; ask again after a denial or expiry), and the administrators' "dismiss the reports" form.
Every form works without JavaScript; approvals.js adds the live parts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from starlette.responses import Response

from homeport.auth.pending import APPROVAL, PREAUTH_COOKIE
from homeport.core.errors import Conflict, NotFound
from homeport.http.inputs import ApprovalDenyIn, ApprovalNumberIn
from homeport.http.requests import origin_of, services
from homeport.web.forms import Submitted, handle, parse, run_form
from homeport.web.guard import Viewer, redirect, viewer
from homeport.web.render import render
from homeport.web.signin import expired_sign_in, signed_in_page, waiting_of

router = APIRouter(include_in_schema=False)
RequestId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
STEP = "/login/second-step?method=" + APPROVAL
OUTCOME_OF_CODE = {"wrong_number": "approval-wrong-number", "approval_not_found": "approval-gone"}


@router.get("/approve/{request_id}")
def approve_page(request: Request, request_id: RequestId) -> Response:
    who = viewer(request)
    svc = services(request)
    found = next((r for r in svc.approvals.pending(who.user.id) if r.id == request_id), None)
    if found is None:  # answered, expired, or another account's: the same answer
        return redirect("/?done=approval-gone")
    return render(
        request, "approve.html", me=who.user, csrf=who.csrf, approval=svc.approvals.shown(found),
        seconds_left=found.seconds_left(svc.clock.monotonic()),
    )  # fmt: skip


@router.post("/approve/{request_id}")
async def approve_submit(request: Request, request_id: RequestId) -> Response:
    svc = services(request)

    def act(who: Viewer, form: Submitted) -> str:
        body = parse(ApprovalNumberIn, form.pick("number"))
        try:
            svc.approvals.approve(request_id, body.number, who.actor, who.user.id)
        except (Conflict, NotFound) as exc:
            return "/?done=" + OUTCOME_OF_CODE.get(exc.code, "approval-denied")
        return "/?done=approval-approved"

    return await handle(request, act, back=f"/approve/{request_id}")


@router.post("/approve/{request_id}/deny")
async def deny_submit(request: Request, request_id: RequestId) -> Response:
    svc = services(request)

    def act(who: Viewer, form: Submitted) -> str:
        body = parse(ApprovalDenyIn, {"report": form.checked("report")})
        try:
            svc.approvals.deny(request_id, who.actor, who.user.id, report=body.report)
        except NotFound:
            return "/?done=approval-gone"
        return "/?done=" + ("approval-reported" if body.report else "approval-denied")

    return await handle(request, act, back=f"/approve/{request_id}")


@router.post("/approvals/reports/dismiss")
async def dismiss_reports(request: Request) -> Response:
    def act(who: Viewer, _form: Submitted) -> str:
        services(request).approvals.dismiss_reports(who.actor)
        return "/?done=approval-reports-read"

    return await handle(request, act, back="/", admin=True)


# --- the waiting browser (no session yet: its pre-authentication cookie) -------------------------------------


@router.post("/login/approval/finish")
async def finish_submit(request: Request) -> Response:
    """The "Check again" button (and approvals.js once approved): signed in when approved; else back, saying why not."""
    svc = services(request)
    waiting = waiting_of(request)
    if waiting is None:
        return expired_sign_in()

    def step(_form: Submitted) -> Response:
        current = svc.login.waiting_for(request.cookies.get(PREAUTH_COOKIE), origin_of(request))
        return signed_in_page(request, svc.approvals.finish(current, origin_of(request)), waiting)

    return await run_form(request, step, back=STEP, token_ok=lambda _: True)


@router.post("/login/approval/again")
async def again_submit(request: Request) -> Response:
    """A new request after a denial or an expiry (within the rate limits)."""
    svc = services(request)
    waiting = waiting_of(request)
    if waiting is None:
        return expired_sign_in()

    def step(_form: Submitted) -> str:
        svc.approvals.begin(waiting, origin_of(request))
        return STEP

    return await run_form(request, step, back=STEP, token_ok=lambda _: True)
