"""Security settings (password length, session timeouts, brute-force limits, proxies, recovery), the auto
block list and the paused accounts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from homeport.api.deps import Admin, ServicesDep
from homeport.api.errors import documented
from homeport.api.schemas import BlockOut, PauseOut, SecuritySettingsOut
from homeport.http.inputs import SecuritySettingsIn

router = APIRouter(tags=["settings"])


@router.get("/settings/security", response_model=SecuritySettingsOut, responses=documented(401, 403))
def get_security(_: Admin, svc: ServicesDep) -> SecuritySettingsOut:
    return SecuritySettingsOut(**svc.settings.security().as_dict())


@router.patch(
    "/settings/security",
    response_model=SecuritySettingsOut,
    responses=documented(400, 401, 403, 409, 422, 429, 503),
    summary="Change security settings; a recovery or second-factor setting needs `current_password` (409: a "
    "second-factor policy that no administrator could meet yet)",
)
def patch_security(body: SecuritySettingsIn, caller: Admin, svc: ServicesDep) -> SecuritySettingsOut:
    changes = body.model_dump(exclude_none=True, exclude={"current_password"})
    updated = svc.credentials.change_security(caller.actor, caller.user, changes, body.current_password)
    return SecuritySettingsOut(**updated.as_dict())


@router.get("/auto-block", response_model=list[BlockOut], responses=documented(401, 403))
def list_blocks(_: Admin, svc: ServicesDep) -> list[BlockOut]:
    return [BlockOut.of(b) for b in svc.throttle.blocklist.active()]


@router.delete("/auto-block/{address:path}", status_code=204, responses=documented(401, 403, 404, 422))
def remove_block(address: str, caller: Admin, svc: ServicesDep) -> Response:
    svc.login.lift_block(caller.actor, address)
    return Response(status_code=204)


@router.get(
    "/account-pauses",
    response_model=list[PauseOut],
    responses=documented(401, 403),
    summary="Accounts paused after too many failed sign-ins (for everyone, or for one address)",
)
def list_pauses(_: Admin, svc: ServicesDep) -> list[PauseOut]:
    return [PauseOut(**p.__dict__) for p in svc.throttle.pauses()]


@router.delete(
    "/account-pauses/{name}",
    status_code=204,
    responses=documented(401, 403, 404, 422),
    summary="Lift an account's pause and its delays",
)
def lift_pause(name: Annotated[str, Path(max_length=64)], caller: Admin, svc: ServicesDep) -> Response:
    svc.login.lift_pause(caller.actor, name)
    return Response(status_code=204)
