"""Groups: `administrators`, `users` and custom ones."""

from __future__ import annotations

from fastapi import APIRouter, Response

from homeport.api.deps import Admin, Caller, ServicesDep
from homeport.api.errors import documented
from homeport.api.schemas import GroupOut
from homeport.http.inputs import GroupCreateIn

router = APIRouter(prefix="/groups", tags=["groups"])


@router.get("", response_model=list[GroupOut], responses=documented(401, 403), summary="All groups")
def list_groups(_: Caller, svc: ServicesDep) -> list[GroupOut]:
    return [GroupOut.of(g) for g in svc.accounts.list_groups()]


@router.post(
    "",
    status_code=201,
    response_model=GroupOut,
    responses=documented(400, 401, 403, 409, 422),
    summary="Create a custom group",
)
def create_group(body: GroupCreateIn, caller: Admin, svc: ServicesDep) -> GroupOut:
    return GroupOut.of(svc.accounts.create_group(caller.actor, body.name, body.description))


@router.delete("/{name}", status_code=204, responses=documented(401, 403, 404, 409), summary="Delete a custom group")
def delete_group(name: str, caller: Admin, svc: ServicesDep) -> Response:
    svc.accounts.delete_group(caller.actor, name)
    return Response(status_code=204)
