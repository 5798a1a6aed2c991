"""Bodies of the sign-in approval API. The approving side never receives the number itself."""

from __future__ import annotations

from pydantic import BaseModel, Field

from homeport.auth.approvals import ApprovalRequest


class ApprovalBeginOut(BaseModel):
    request_id: str
    number: int = Field(description="Show it: the approving device must pick this one of three.")
    expires_in: int = Field(description="Seconds until the request expires (it lasts 2 minutes).")
    state: str = Field(description="`pending`, or `approved` when asked again after the approval.")
    approve_url: str = Field(description="What the QR code holds: a signed-in phone opens it to approve.")
    qr_svg: str = Field(description="The approve URL as a QR code, an inline SVG.")


class ApprovalStatusOut(BaseModel):
    state: str = Field(description="`none`, `pending`, `approved`, `denied`, `expired`, `refused` or `done`.")
    message: str
    expires_in: int


class ApprovalOut(BaseModel):
    """A pending request as the approving side sees it."""

    id: str
    account: str
    client: str = Field(description="The address of the browser that waits.")
    browser: str
    requested_at: float
    expires_in: int
    choices: list[int] = Field(description="Three numbers; the signing-in browser shows one of them.")

    @classmethod
    def of(cls, request: ApprovalRequest, now: float) -> ApprovalOut:
        return cls(
            id=request.id, account=request.account, client=request.client, browser=request.browser,
            requested_at=request.requested_at, expires_in=request.seconds_left(now), choices=list(request.choices),
        )  # fmt: skip


class ApprovalDecisionOut(BaseModel):
    id: str
    state: str = Field(description="`approved` or `denied`.")
    message: str
