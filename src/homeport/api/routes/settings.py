"""Security settings (password length, session timeouts, brute-force limits) and the auto block list."""

from __future__ import annotations

from fastapi import APIRouter, Response

from homeport.api.deps import Admin, ServicesDep
from homeport.api.errors import documented
from homeport.api.schemas import BlockOut, SecuritySettingsIn, SecuritySettingsOut
from homeport.auth.blocklist import parse_block_key
from homeport.core.errors import NotFound

router = APIRouter(tags=["settings"])


@router.get("/settings/security", response_model=SecuritySettingsOut, responses=documented(401, 403))
def get_security(_: Admin, svc: ServicesDep) -> SecuritySettingsOut:
    return SecuritySettingsOut(**svc.settings.security().as_dict())


@router.patch("/settings/security", response_model=SecuritySettingsOut, responses=documented(400, 401, 403, 422))
def patch_security(body: SecuritySettingsIn, caller: Admin, svc: ServicesDep) -> SecuritySettingsOut:
    updated = svc.settings.change_security(caller.actor, body.model_dump(exclude_none=True))
    return SecuritySettingsOut(**updated.as_dict())


@router.get("/auto-block", response_model=list[BlockOut], responses=documented(401, 403))
def list_blocks(_: Admin, svc: ServicesDep) -> list[BlockOut]:
    return [BlockOut.of(b) for b in svc.throttle.blocklist.active()]


@router.delete("/auto-block/{address:path}", status_code=204, responses=documented(401, 403, 404, 422))
def remove_block(address: str, caller: Admin, svc: ServicesDep) -> Response:
    key = parse_block_key(address)
    if not svc.throttle.blocklist.remove(key):
        raise NotFound(f"{address} is not blocked.", code="not_blocked")
    svc.audit.record_now("auth.address_unblocked", caller.actor, target=key)
    return Response(status_code=204)
