"""The approval method on the second-step page: the number to pick on another signed-in device, a QR code a
signed-in phone scans to approve, and the request's state. Opening the page changes nothing (no state change on
GET): its "Ask my signed-in devices" button sends the request, and a reload then shows the same one; a new one
after a denial or expiry takes the "Ask again" button."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from markupsafe import Markup

from homeport.auth.approvals import approve_link, approve_qr
from homeport.auth.pending import APPROVAL, Waiting
from homeport.http.requests import services


def approval_context(request: Request, waiting: Waiting, method: str) -> dict[str, Any]:
    """What second_step.html needs about approvals, whatever the chosen method."""
    svc = services(request)
    until = svc.approvals.paused_until(waiting.user_id)
    context: dict[str, Any] = {"approval_paused": svc.approvals.paused_message(until) if until else ""}
    if method != APPROVAL or until:
        return context
    found = svc.approvals.status(waiting)
    if found is None:
        return {**context, "approval": {"start": True}}
    host = request.headers.get("host", "")
    context["approval"] = {
        "request": found,
        "seconds_left": found.seconds_left(svc.clock.monotonic()),
        "link": approve_link(host, found),
        "qr_svg": Markup(approve_qr(host, found)),  # noqa: S704 - segno's own SVG, no user text in it
    }
    return context
