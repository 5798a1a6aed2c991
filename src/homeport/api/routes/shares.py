"""Shared folders: administrators create (or attach), change and delete them; each answer says who may use it."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response

from homeport.api.deps import Admin, Paging, ServicesDep, total_count
from homeport.api.errors import documented
from homeport.api.files_schemas import ShareOut
from homeport.core.errors import HomeportError
from homeport.core.paging import page_of
from homeport.files.models import ShareDraft
from homeport.files.repository import memberships
from homeport.files.service import ShareState
from homeport.http.files_inputs import SHARE_NAME_MAX, ShareCreateIn, ShareDeleteIn, SharePatchIn
from homeport.services import Services

router = APIRouter(prefix="/shares", tags=["files"])
ShareName = Annotated[str, Path(max_length=SHARE_NAME_MAX, description="The shared folder's name (any case).")]
# The service names the access lists as a ShareDraft does; the API's body has them under `permissions`.
SENT_AS = {"users": "permissions.users", "groups": "permissions.groups"}
SHARE_SORTS: dict[str, Callable[[ShareState], Any]] = {
    "name": lambda s: s.share.name.casefold(),
    "volume": lambda s: (s.share.volume, s.share.folder.casefold()),
    "available": lambda s: s.available,
}


@contextlib.contextmanager
def fields_as_sent() -> Iterator[None]:
    """A refusal's fields named as in the request body."""
    try:
        yield
    except HomeportError as exc:
        exc.fields = {SENT_AS.get(name, name): problem for name, problem in exc.fields.items()}
        raise


def share_out(svc: Services, state: ShareState) -> ShareOut:
    with svc.db.read() as conn:
        members = memberships(conn)
    return ShareOut.of(state, members)


def share_text(state: ShareState) -> str:
    """What a search of shared folders looks in."""
    share = state.share
    return f"{share.name} {share.description} {share.volume}/{share.folder}"


@router.get(
    "",
    response_model=list[ShareOut],
    responses=documented(401, 403, 422),
    summary="Shared folders, a page at a time (`X-Total-Count` has the total); sort by name, volume or available; "
    "`q` searches names, descriptions and folders",
)
def list_shares(_: Admin, svc: ServicesDep, paging: Paging, response: Response) -> list[ShareOut]:
    page = page_of(svc.shares.list(), paging, text=share_text, keys=SHARE_SORTS, default="name")
    total_count(response, page.total)
    with svc.db.read() as conn:
        members = memberships(conn)
    return [ShareOut.of(s, members) for s in page.items]


@router.post(
    "",
    status_code=201,
    response_model=ShareOut,
    responses=documented(400, 401, 403, 409, 422),
    summary="Create a shared folder on a new, empty folder, or (`attach_existing`) on a folder already on the volume",
)
def create_share(body: ShareCreateIn, caller: Admin, svc: ServicesDep) -> ShareOut:
    draft = ShareDraft(
        name=body.name,
        volume=body.volume,
        folder=body.name if body.folder is None else body.folder,
        description=body.description,
        hidden=body.hidden,
        recycle_bin=body.recycle_bin,
        time_machine=body.time_machine,
        time_machine_limit_gb=body.time_machine_limit_gb,
        users=dict(body.permissions.users),
        groups=dict(body.permissions.groups),
    )
    with fields_as_sent():
        state = svc.shares.create(caller.actor, draft, attach=body.attach_existing)
    return share_out(svc, state)


@router.get("/{name}", response_model=ShareOut, responses=documented(401, 403, 404, 422), summary="One shared folder")
def get_share(name: ShareName, _: Admin, svc: ServicesDep) -> ShareOut:
    return share_out(svc, svc.shares.get(name))


@router.patch(
    "/{name}",
    response_model=ShareOut,
    responses=documented(400, 401, 403, 404, 409, 422),
    summary="Rename a shared folder or change its description, options or who may use it",
)
def patch_share(name: ShareName, body: SharePatchIn, caller: Admin, svc: ServicesDep) -> ShareOut:
    changes: dict[str, Any] = {
        key: value
        for key, value in body.model_dump(exclude={"permissions"}).items()
        if value is not None or (key == "time_machine_limit_gb" and key in body.model_fields_set)
    }
    if body.permissions is not None:
        permissions = body.permissions.model_dump(exclude_none=True)
        if permissions:
            changes["permissions"] = permissions
    with fields_as_sent():
        state = svc.shares.update(caller.actor, name, changes)
    return share_out(svc, state)


@router.delete(
    "/{name}",
    status_code=204,
    responses=documented(400, 401, 403, 404, 422),
    summary="Remove a shared folder; its files stay on the volume unless `delete_files` with the name typed again in "
    "`confirm` (in the body, or as query parameters)",
)
def delete_share(
    name: ShareName,
    caller: Admin,
    svc: ServicesDep,
    body: ShareDeleteIn | None = None,
    delete_files: Annotated[bool, Query(description="Also delete the folder and its files.")] = False,
    confirm: Annotated[str, Query(max_length=SHARE_NAME_MAX, description="The shared folder's name again.")] = "",
) -> Response:
    if body is not None:
        delete_files = delete_files or body.delete_files
        confirm = body.confirm or confirm
    svc.shares.delete(caller.actor, name, delete_files=delete_files, confirm=confirm)
    return Response(status_code=204)
