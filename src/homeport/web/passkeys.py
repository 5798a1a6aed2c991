"""The console's passkeys: "Sign in with a passkey" on the sign-in page, the passkey second step, a passkey as the
factor a policy asks for, and the passkeys card of My account > Sign-in methods.

The ceremonies need the browser (navigator.credentials), so /static/passkeys.js drives them through the small
JSON endpoints here, which answer where to go next (`{"next": ...}`) and set the same cookies the forms do;
renaming and removing are plain forms. Pages opened on an address show the `<name>.local` link instead of the
buttons: browsers refuse passkeys there.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response

from homeport.accounts.models import User
from homeport.auth.login import SignIn
from homeport.auth.passkeys import PASSKEY_COOKIE, Passkey, StrandedPasskey, session_key
from homeport.auth.pending import PREAUTH_COOKIE, Waiting
from homeport.core.errors import Forbidden, HomeportError, Unauthenticated
from homeport.core.ids import same_secret
from homeport.http.cookies import clear_passkey_cookie, set_passkey_cookie, set_sign_in_cookies
from homeport.http.errors import status_of
from homeport.http.inputs import ProofIn
from homeport.http.passkey_inputs import PasskeyAnswerIn, PasskeyNewIn, PasskeyProofIn, PasskeyRenameIn
from homeport.http.relying_party import passkey_address, passkey_host, relying_party, require_relying_party
from homeport.http.requests import origin_of, services
from homeport.web.forms import Submitted, handle, parse
from homeport.web.guard import Redirect, Viewer, viewer
from homeport.web.pages import safe_next
from homeport.web.render import TEMPLATES
from homeport.web.signin import shown_once

router = APIRouter(include_in_schema=False)
PAGE = "/account/sign-in-methods"
CSRF_HEADER = "x-csrf-token"
PasskeyId = Annotated[int, Path(ge=1, le=2**62)]

# --- what the templates ask ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PasskeyPlace:
    here: bool  # this page is on the device's `<name>.local`: passkeys work
    host: str  # that name
    address: str  # the console's address on it, to open otherwise


def passkey_place(request: Request) -> PasskeyPlace:
    return PasskeyPlace(
        here=relying_party(request) is not None, host=passkey_host(services(request)), address=passkey_address(request)
    )


def passkeys_of(request: Request, user: User) -> list[Passkey]:
    return services(request).passkeys.list_for(user.id)


def passkeys_on_this_name(request: Request) -> list[StrandedPasskey]:
    """Every account's passkeys of the current `.local` name: a rename leaves them behind."""
    svc = services(request)
    return svc.passkeys.registered_on(passkey_host(svc))


TEMPLATES.env.globals["passkey_place"] = passkey_place
TEMPLATES.env.globals["passkeys_on_this_name"] = passkeys_on_this_name
TEMPLATES.env.globals["passkeys_of"] = passkeys_of


# --- the JSON endpoints' floor ---------------------------------------------------------------------------------


def _error(exc: HomeportError) -> JSONResponse:
    body: dict[str, Any] = {"code": exc.code, "message": exc.message}
    if exc.fields:
        body["fields"] = exc.fields
    return JSONResponse({"error": body}, status_code=status_of(exc))


def _signed_in(request: Request, result: SignIn, next_page: str) -> JSONResponse:
    """Where the browser goes once the sign-in is done (new recovery codes first), with its cookies."""
    if result.recovery_codes:
        shown_once(request).put(result.session.id, result.recovery_codes)
        next_page = "/account/recovery-codes"
    elif result.user.must_change_password:
        next_page = "/password"
    response = JSONResponse({"next": next_page})
    set_sign_in_cookies(response, result)
    clear_passkey_cookie(response)
    return response


def _waiting(request: Request) -> Waiting:
    return services(request).login.waiting_for(request.cookies.get(PREAUTH_COOKIE), origin_of(request))


def _owner(request: Request) -> Viewer:
    """The signed-in owner of a JSON call, whose page sent its form token as the CSRF header."""
    try:
        who = viewer(request)
    except Redirect:
        raise Unauthenticated("Your session has ended; sign in again.", code="not_signed_in") from None
    sent = request.headers.get(CSRF_HEADER, "")
    if not sent or not same_secret(sent, who.csrf):
        raise Forbidden("This page had expired; reload it and try again.", code="csrf_token_missing")
    return who


async def _run(step: Callable[[], Any]) -> Response:
    """A JSON endpoint's work in a worker thread (it reads and writes the store); a refusal as `{"error": ...}`."""
    try:
        result = await run_in_threadpool(step)
    except HomeportError as exc:
        return _error(exc)
    return result if isinstance(result, Response) else JSONResponse(result)


# --- sign-in without a password ----------------------------------------------------------------------------------


@router.post("/login/passkey/begin")
async def sign_in_begin(request: Request) -> Response:
    def step() -> Response:
        rp = require_relying_party(request, check_origin=True)
        token, options = services(request).passkeys.begin_passwordless(rp, origin_of(request).address)
        response = JSONResponse({"options": options})
        set_passkey_cookie(response, token)
        return response

    return await _run(step)


@router.post("/login/passkey/finish")
async def sign_in_finish(request: Request) -> Response:
    raw = await _json(request)
    next_page = safe_next(str(raw.pop("next", "/"))[:500])

    def step() -> Response:
        rp = require_relying_party(request, check_origin=True)
        body = parse(PasskeyAnswerIn, raw)
        result = services(request).passkeys.finish_passwordless(
            rp, request.cookies.get(PASSKEY_COOKIE), body.credential.as_dict(), origin_of(request)
        )
        return _signed_in(request, result, next_page)

    return await _run(step)


async def _json(request: Request) -> dict[str, Any]:
    try:
        data = json.loads(await request.body() or b"{}")
    except ValueError:
        data = None
    return data if isinstance(data, dict) else {}


# --- the second step, and the enrolment a policy asks for -------------------------------------------------------


@router.post("/login/second-step/passkey/begin")
async def second_step_begin(request: Request) -> Response:
    def step() -> dict[str, Any]:
        rp = require_relying_party(request, check_origin=True)
        waiting = _waiting(request)
        return {"options": services(request).passkeys.begin_second_step(waiting, rp, origin_of(request).address)}

    return await _run(step)


@router.post("/login/second-step/passkey/finish")
async def second_step_finish(request: Request) -> Response:
    raw = await _json(request)

    def step() -> Response:
        rp = require_relying_party(request, check_origin=True)
        body = parse(PasskeyAnswerIn, raw)
        waiting = _waiting(request)
        origin = origin_of(request)
        result = services(request).passkeys.finish_second_step(
            waiting, rp, body.credential.as_dict(), origin, body.remember
        )
        return _signed_in(request, result, str(waiting.data.get("next", "/")))

    return await _run(step)


@router.post("/login/enrol/passkey/begin")
async def enrol_begin(request: Request) -> Response:
    def step() -> dict[str, Any]:
        rp = require_relying_party(request, check_origin=True)
        waiting = _waiting(request)
        return {"options": services(request).passkeys.begin_enrolment(waiting, rp, origin_of(request).address)}

    return await _run(step)


@router.post("/login/enrol/passkey/finish")
async def enrol_finish(request: Request) -> Response:
    raw = await _json(request)

    def step() -> Response:
        rp = require_relying_party(request, check_origin=True)
        body = parse(PasskeyNewIn, raw)
        waiting = _waiting(request)
        result = services(request).passkeys.finish_enrolment(
            waiting, rp, body.name, body.credential.as_dict(), origin_of(request)
        )
        return _signed_in(request, result, str(waiting.data.get("next", "/")))

    return await _run(step)


# --- My account > Sign-in methods ------------------------------------------------------------------------------


@router.post("/account/passkeys/begin")
async def add_begin(request: Request) -> Response:
    raw = await _json(request)

    def step() -> dict[str, Any]:
        who = _owner(request)
        rp = require_relying_party(request, check_origin=False)
        body = parse(ProofIn, {"current_password": raw.get("current_password") or None})
        svc = services(request)
        svc.login.require_proof(who.user, who.session.id, body.current_password, who.actor.client, "current_password")
        key = session_key(who.session.id)
        return {"options": svc.passkeys.begin_registration(who.user, rp, key, who.actor.client)}

    return await _run(step)


@router.post("/account/passkeys/finish")
async def add_finish(request: Request) -> Response:
    raw = await _json(request)

    def step() -> dict[str, Any]:
        who = _owner(request)
        rp = require_relying_party(request, check_origin=False)
        body = parse(PasskeyNewIn, raw)
        key = session_key(who.session.id)
        _, codes = services(request).passkeys.finish_registration(
            who.user, rp, key, body.name, body.credential.as_dict(), who.actor
        )
        if codes:
            shown_once(request).put(who.session.id, codes)
            return {"next": "/account/recovery-codes"}
        return {"next": f"{PAGE}?done=passkey-added"}

    return await _run(step)


@router.post("/account/passkeys/proof/begin")
async def proof_begin(request: Request) -> Response:
    """ "Use my passkey instead" of typing the password again before changing sign-in methods."""

    def step() -> dict[str, Any]:
        who = _owner(request)
        rp = require_relying_party(request, check_origin=False)
        return {"options": services(request).passkeys.begin_proof(who.user, who.session.id, rp, who.actor.client)}

    return await _run(step)


@router.post("/account/passkeys/proof/finish")
async def proof_finish(request: Request) -> Response:
    raw = await _json(request)

    def step() -> dict[str, Any]:
        who = _owner(request)
        rp = require_relying_party(request, check_origin=False)
        body = parse(PasskeyProofIn, raw)
        services(request).passkeys.finish_proof(
            who.user, who.session.id, rp, body.credential.as_dict(), origin_of(request)
        )
        return {"next": f"{PAGE}?done=passkey-proved"}

    return await _run(step)


@router.post("/account/passkeys/{passkey_id}/rename")
async def rename(request: Request, passkey_id: PasskeyId) -> Response:
    def act(who: Viewer, form: Submitted) -> str:
        body = parse(PasskeyRenameIn, form.pick("name"))
        services(request).passkeys.rename(who.user, passkey_id, body.name, who.actor)
        return f"{PAGE}?done=passkey-renamed"

    return await handle(request, act, back=PAGE)


@router.post("/account/passkeys/{passkey_id}/remove")
async def remove(request: Request, passkey_id: PasskeyId) -> Response:
    def act(who: Viewer, form: Submitted) -> str:
        body = parse(ProofIn, {"current_password": form.text("current_password") or None})
        svc = services(request)
        svc.login.require_proof(who.user, who.session.id, body.current_password, who.actor.client, "current_password")
        svc.passkeys.remove(who.user, passkey_id, who.actor)
        return f"{PAGE}?done=passkey-removed"

    return await handle(request, act, back=PAGE)
