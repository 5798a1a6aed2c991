"""Passkeys and security keys: a sign-in without a password, the second step after one, the enrolment a policy
asks for, and an account's own passkeys (`/me/passkeys`).

Each ceremony is two calls: `begin` answers the options for navigator.credentials, `finish` takes the browser's
answer within 2 minutes. They work only on the device's `<name>.local` address (browsers refuse passkeys on IP
addresses): elsewhere they answer 409 `passkey_wrong_host` with the address to open. Calls without a session
(the sign-in ones) must carry the console's `Origin`; the others the `X-CSRF-Token` header.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response

from homeport.accounts.models import User
from homeport.api.deps import Caller, ServicesDep
from homeport.api.errors import documented
from homeport.api.passkey_schemas import PasskeyAddedOut, PasskeyOptionsOut, PasskeyOut
from homeport.api.routes.auth import signed_in
from homeport.api.routes.factors import account_of, prove
from homeport.api.schemas import LoginOut
from homeport.auth.passkeys import PASSKEY_COOKIE, Passkey, session_key
from homeport.auth.pending import PREAUTH_COOKIE
from homeport.core.errors import NotFound
from homeport.http.cookies import clear_passkey_cookie, set_passkey_cookie
from homeport.http.inputs import ProofIn
from homeport.http.passkey_inputs import PasskeyAnswerIn, PasskeyNewIn, PasskeyProofIn, PasskeyRenameIn
from homeport.http.relying_party import passkey_host, require_relying_party
from homeport.http.requests import origin_of
from homeport.services import Services

router = APIRouter(tags=["auth"])
PasskeyId = Annotated[int, Path(ge=1, le=2**62, description="A passkey's number.")]


def passkey_out(svc: Services, passkey: Passkey) -> PasskeyOut:
    return PasskeyOut(
        id=passkey.id, name=passkey.name, rp_id=passkey.rp_id, usable_here=passkey.rp_id == passkey_host(svc),
        transports=list(passkey.transports), created_at=passkey.created_at, last_used_at=passkey.last_used_at,
    )  # fmt: skip


# --- sign-in without a password -------------------------------------------------------------------------------


@router.post(
    "/auth/passkey/begin",
    response_model=PasskeyOptionsOut,
    responses=documented(403, 409),
    summary="Sign in with a passkey, no user name: the options for navigator.credentials.get()",
)
def post_passkey_begin(request: Request, response: Response, svc: ServicesDep) -> PasskeyOptionsOut:
    rp = require_relying_party(request, check_origin=True)
    token, options = svc.passkeys.begin_passwordless(rp, origin_of(request).address)
    set_passkey_cookie(response, token)
    return PasskeyOptionsOut(options=options)


@router.post(
    "/auth/passkey/finish",
    response_model=LoginOut,
    responses=documented(401, 403, 409, 422, 429),
    summary="The passkey's answer: a session, as a completed sign-in (the passkey verified its owner)",
)
def post_passkey_finish(body: PasskeyAnswerIn, request: Request, response: Response, svc: ServicesDep) -> LoginOut:
    rp = require_relying_party(request, check_origin=True)
    result = svc.passkeys.finish_passwordless(
        rp, request.cookies.get(PASSKEY_COOKIE), body.credential.as_dict(), origin_of(request)
    )
    clear_passkey_cookie(response)
    return signed_in(result, response)


# --- the second step, and the enrolment a policy asks for ---------------------------------------------------


@router.post(
    "/auth/second-factor/passkey/begin",
    response_model=PasskeyOptionsOut,
    responses=documented(401, 403, 409),
    summary="A waiting sign-in's passkey step: the options for navigator.credentials.get()",
)
def post_second_step_begin(request: Request, svc: ServicesDep) -> PasskeyOptionsOut:
    rp = require_relying_party(request, check_origin=True)
    origin = origin_of(request)
    waiting = svc.login.waiting_for(request.cookies.get(PREAUTH_COOKIE), origin)
    return PasskeyOptionsOut(options=svc.passkeys.begin_second_step(waiting, rp, origin.address))


@router.post(
    "/auth/second-factor/passkey/finish",
    response_model=LoginOut,
    responses=documented(401, 403, 409, 422, 429),
    summary="Complete a waiting sign-in with the passkey's answer",
)
def post_second_step_finish(body: PasskeyAnswerIn, request: Request, response: Response, svc: ServicesDep) -> LoginOut:
    rp = require_relying_party(request, check_origin=True)
    origin = origin_of(request)
    waiting = svc.login.waiting_for(request.cookies.get(PREAUTH_COOKIE), origin)
    result = svc.passkeys.finish_second_step(waiting, rp, body.credential.as_dict(), origin, body.remember)
    return signed_in(result, response)


@router.post(
    "/auth/enrol/passkey/begin",
    response_model=PasskeyOptionsOut,
    responses=documented(401, 403, 409),
    summary="A sign-in that must set up a second factor: the options for navigator.credentials.create()",
)
def post_enrol_begin(request: Request, svc: ServicesDep) -> PasskeyOptionsOut:
    rp = require_relying_party(request, check_origin=True)
    origin = origin_of(request)
    waiting = svc.login.waiting_for(request.cookies.get(PREAUTH_COOKIE), origin)
    return PasskeyOptionsOut(options=svc.passkeys.begin_enrolment(waiting, rp, origin.address))


@router.post(
    "/auth/enrol/passkey/finish",
    response_model=LoginOut,
    responses=documented(401, 403, 409, 422, 429),
    summary="The new passkey: the factor is on and the sign-in completes (with new recovery codes)",
)
def post_enrol_finish(body: PasskeyNewIn, request: Request, response: Response, svc: ServicesDep) -> LoginOut:
    rp = require_relying_party(request, check_origin=True)
    origin = origin_of(request)
    waiting = svc.login.waiting_for(request.cookies.get(PREAUTH_COOKIE), origin)
    result = svc.passkeys.finish_enrolment(waiting, rp, body.name, body.credential.as_dict(), origin)
    return signed_in(result, response)


# --- my passkeys -------------------------------------------------------------------------------------------


def _mine(svc: Services, user: User, passkey_id: int) -> Passkey:
    for passkey in svc.passkeys.list_for(user.id):
        if passkey.id == passkey_id:
            return passkey
    raise NotFound("You have no passkey with this number.", code="passkey_not_found")


@router.get("/me/passkeys", response_model=list[PasskeyOut], responses=documented(401, 403), summary="My passkeys")
def get_passkeys(caller: Caller, svc: ServicesDep) -> list[PasskeyOut]:
    return [passkey_out(svc, p) for p in svc.passkeys.list_for(account_of(caller).id)]


@router.post(
    "/me/passkeys/proof/begin",
    response_model=PasskeyOptionsOut,
    responses=documented(401, 403, 409),
    summary="Prove it is you with a passkey instead of the password: the options for navigator.credentials.get()",
)
def post_my_proof_begin(request: Request, caller: Caller, svc: ServicesDep) -> PasskeyOptionsOut:
    rp = require_relying_party(request, check_origin=False)
    user = account_of(caller)
    assert caller.session is not None
    return PasskeyOptionsOut(options=svc.passkeys.begin_proof(user, caller.session.id, rp, caller.actor.client))


@router.post(
    "/me/passkeys/proof/finish",
    status_code=204,
    responses=documented(401, 403, 409, 422, 429),
    summary="The passkey's answer: for 5 minutes, changes of sign-in methods need no password",
)
def post_my_proof_finish(body: PasskeyProofIn, request: Request, caller: Caller, svc: ServicesDep) -> Response:
    rp = require_relying_party(request, check_origin=False)
    user = account_of(caller)
    assert caller.session is not None
    svc.passkeys.finish_proof(user, caller.session.id, rp, body.credential.as_dict(), origin_of(request))
    return Response(status_code=204)


@router.post(
    "/me/passkeys/begin",
    response_model=PasskeyOptionsOut,
    responses=documented(401, 403, 409, 422, 429),
    summary="Add a passkey: the options for navigator.credentials.create()",
)
def post_my_passkey_begin(body: ProofIn, request: Request, caller: Caller, svc: ServicesDep) -> PasskeyOptionsOut:
    rp = require_relying_party(request, check_origin=False)
    user = prove(svc, caller, body.current_password)
    assert caller.session is not None
    key = session_key(caller.session.id)
    return PasskeyOptionsOut(options=svc.passkeys.begin_registration(user, rp, key, caller.actor.client))


@router.post(
    "/me/passkeys/finish",
    status_code=201,
    response_model=PasskeyAddedOut,
    responses=documented(401, 403, 409, 422),
    summary="The new passkey's answer: it is added (with recovery codes if it is the first factor)",
)
def post_my_passkey_finish(body: PasskeyNewIn, request: Request, caller: Caller, svc: ServicesDep) -> PasskeyAddedOut:
    rp = require_relying_party(request, check_origin=False)
    user = account_of(caller)
    assert caller.session is not None
    key = session_key(caller.session.id)
    added, codes = svc.passkeys.finish_registration(user, rp, key, body.name, body.credential.as_dict(), caller.actor)
    return PasskeyAddedOut(passkey=passkey_out(svc, added), recovery_codes=codes)


@router.patch(
    "/me/passkeys/{passkey_id}",
    response_model=PasskeyOut,
    responses=documented(401, 403, 404, 422),
    summary="Rename one of my passkeys",
)
def patch_my_passkey(passkey_id: PasskeyId, body: PasskeyRenameIn, caller: Caller, svc: ServicesDep) -> PasskeyOut:
    user = account_of(caller)
    svc.passkeys.rename(user, passkey_id, body.name, caller.actor)
    return passkey_out(svc, _mine(svc, user, passkey_id))


@router.delete(
    "/me/passkeys/{passkey_id}",
    status_code=204,
    responses=documented(401, 403, 404, 422, 429),
    summary="Remove one of my passkeys (it no longer signs in)",
)
def delete_my_passkey(passkey_id: PasskeyId, body: ProofIn, caller: Caller, svc: ServicesDep) -> Response:
    user = prove(svc, caller, body.current_password)
    svc.passkeys.remove(user, passkey_id, caller.actor)
    return Response(status_code=204)
