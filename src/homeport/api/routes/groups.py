"""Groups: `administrators`, `users` and custom ones."""

from __future__ import annotations

from fastapi import APIRouter, Response

from homeport.accounts.models import GROUP_SORTS, group_text
from homeport.api.deps import Admin, Caller, Paging, ServicesDep, total_count
from homeport.api.errors import documented
from homeport.api.schemas import GroupOut
from homeport.core.paging import page_of
from homeport.http.inputs import GroupCreateIn

router = APIRouter(prefix="/groups", tags=["groups"])


@router.get(
    "",
    response_model=list[GroupOut],
    responses=documented(401, 403, 422),
    summary="Groups, a page at a time (`X-Total-Count` has the total); sort by name or members",
)
def list_groups(_: Caller, svc: ServicesDep, paging: Paging, response: Response) -> list[GroupOut]:
    page = page_of(svc.accounts.list_groups(), paging, text=group_text, keys=GROUP_SORTS, default="name")
    total_count(response, page.total)
    return [GroupOut.of(g) for g in page.items]


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
