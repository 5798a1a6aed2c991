"""My sign-in methods: the authenticator app, recovery codes, remembered browsers (passkeys have their own
module). Adding or removing a method needs the current password, unless this session gave it (or used a
passkey) in the last 5 minutes; every change is logged and forgets the remembered browsers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from homeport.accounts.models import User
from homeport.api.deps import Caller, Principal, ServicesDep
from homeport.api.errors import documented
from homeport.api.schemas import FactorsOut, RecoveryCodesOut, RememberedBrowserOut, TotpEnrolmentOut
from homeport.auth.factors import policy_applies
from homeport.auth.recovery_codes import LOW
from homeport.core.errors import Forbidden
from homeport.http.inputs import CodeIn, ProofIn
from homeport.services import Services

router = APIRouter(prefix="/me", tags=["me"])
BrowserId = Annotated[int, Path(ge=1, le=2**62, description="A remembered browser's number.")]


def account_of(caller: Principal) -> User:
    if caller.user is None or caller.session is None:
        raise Forbidden("The local operator has no account; use `homeport user factors NAME`.", code="local_operator")
    return caller.user


def prove(svc: Services, caller: Principal, password: str | None) -> User:
    user = account_of(caller)
    assert caller.session is not None
    svc.login.require_proof(user, caller.session.id, password, caller.actor.client, "current_password")
    return user


def factors_out(svc: Services, user: User) -> FactorsOut:
    summary = svc.factors.summary(user.id)
    with svc.db.read() as conn:
        browsers = svc.factors.remembered.list(conn, user.id)
    return FactorsOut(
        totp=summary.totp,
        passkeys=summary.passkeys,
        recovery_codes_left=summary.recovery_codes_left,
        recovery_codes_low=summary.any and summary.recovery_codes_left <= LOW,
        suspended=summary.suspended,
        required=policy_applies(user, svc.settings.security()),
        remembered_browsers=[
            RememberedBrowserOut(
                id=b.id, browser=b.browser, client=b.client, created_at=b.created_at, expires_at=b.expires_at,
                last_used_at=b.last_used_at,
            )
            for b in browsers
        ],
    )  # fmt: skip


@router.get("/factors", response_model=FactorsOut, responses=documented(401, 403), summary="My sign-in methods")
def get_factors(caller: Caller, svc: ServicesDep) -> FactorsOut:
    return factors_out(svc, account_of(caller))


@router.post(
    "/totp",
    status_code=201,
    response_model=TotpEnrolmentOut,
    responses=documented(401, 403, 409, 422, 429),
    summary="Start setting up an authenticator app: its secret, as text and as a QR code",
)
def post_totp(body: ProofIn, caller: Caller, svc: ServicesDep) -> TotpEnrolmentOut:
    user = prove(svc, caller, body.current_password)
    enrolment = svc.factors.begin_totp(user, svc.device.info().name)
    return TotpEnrolmentOut(secret=enrolment.secret, otpauth_uri=enrolment.otpauth_uri, qr_svg=enrolment.qr_svg)


@router.post(
    "/totp/confirm",
    response_model=RecoveryCodesOut,
    responses=documented(401, 403, 422),
    summary="The app's first code turns it on (and gives recovery codes if the account had none)",
)
def post_totp_confirm(body: CodeIn, caller: Caller, svc: ServicesDep) -> RecoveryCodesOut:
    codes = svc.factors.confirm_totp(account_of(caller), body.code, caller.actor)
    return RecoveryCodesOut(recovery_codes=codes)


@router.delete(
    "/totp", status_code=204, responses=documented(401, 403, 409, 422, 429), summary="Remove my authenticator app"
)
def delete_totp(body: ProofIn, caller: Caller, svc: ServicesDep) -> Response:
    svc.factors.remove_totp(prove(svc, caller, body.current_password), caller.actor)
    return Response(status_code=204)


@router.post(
    "/recovery-codes",
    response_model=RecoveryCodesOut,
    responses=documented(401, 403, 422, 429),
    summary="A new set of 10 recovery codes (the old set stops working)",
)
def post_recovery_codes(body: ProofIn, caller: Caller, svc: ServicesDep) -> RecoveryCodesOut:
    return RecoveryCodesOut(recovery_codes=svc.factors.new_recovery_codes(prove(svc, caller, body.current_password),
                                                                          caller.actor))  # fmt: skip


@router.post(
    "/factors/resume",
    status_code=204,
    responses=documented(401, 403, 409, 422, 429),
    summary="Turn my sign-in methods back on after a Mode 1 reset suspended them",
)
def post_resume(body: ProofIn, caller: Caller, svc: ServicesDep) -> Response:
    svc.factors.resume(prove(svc, caller, body.current_password), caller.actor)
    return Response(status_code=204)


@router.delete(
    "/remembered-browsers/{browser_id}",
    status_code=204,
    responses=documented(401, 403, 409),
    summary="Ask this remembered browser for the second step again",
)
def delete_remembered_browser(browser_id: BrowserId, caller: Caller, svc: ServicesDep) -> Response:
    svc.factors.forget_browser(account_of(caller), browser_id, caller.actor)
    return Response(status_code=204)
