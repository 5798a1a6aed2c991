"""Network settings: view (live state too), apply with confirm-or-rollback, snapshots, lease renewal."""

from __future__ import annotations

from typing import Annotated, TypeAlias

from fastapi import APIRouter, Path, Request, Response

from homeport.api.deps import Admin, ServicesDep
from homeport.api.errors import documented
from homeport.api.network_schemas import (
    ApplyOut,
    ConfigOut,
    ConfirmIn,
    LeftBehindPasskeyOut,
    LiveOut,
    NeighbourOut,
    NetworkOut,
    PendingOut,
    RestorePreviewOut,
    SnapshotOut,
)
from homeport.core.errors import Conflict
from homeport.http.inputs import SnapshotRestoreIn
from homeport.http.network_inputs import NetworkIn
from homeport.http.relying_party import passkey_host
from homeport.http.requests import via
from homeport.network.describe import differences
from homeport.network.validate import parse_config
from homeport.services import Services

router = APIRouter(prefix="/network", tags=["network"])
SnapshotId: TypeAlias = Annotated[int, Path(ge=1, le=2**62, description="A snapshot number.")]
confirm_router = APIRouter(prefix="/network", tags=["network"])


async def network_out(svc: Services) -> NetworkOut:
    pending = svc.network.pending()
    return NetworkOut(
        backend=svc.network.backend.kind,
        applies_to_host=svc.network.backend.applies_to_host,
        ports_fixed=svc.network.ports_fixed,
        current_snapshot=svc.network.current_id(),
        config=ConfigOut.of(svc.network.current()),
        live=[LiveOut.of(i) for i in await svc.network.live()],
        pending=None if pending is None else PendingOut.of(pending),
    )


@router.get("", response_model=NetworkOut, responses=documented(401, 403), summary="Settings and live state")
async def get_network(_: Admin, svc: ServicesDep) -> NetworkOut:
    return await network_out(svc)


@router.put(
    "",
    response_model=ApplyOut,
    responses=documented(400, 401, 403, 409, 422),
    summary="Apply settings; a change that cuts this connection must be confirmed from the new address",
)
async def put_network(body: NetworkIn, request: Request, caller: Admin, svc: ServicesDep) -> ApplyOut:
    config = parse_config(body.model_dump(), svc.network.managed)
    before = svc.device.name(), passkey_host(svc)
    outcome = await svc.network.apply(caller.actor, config, "changed by an administrator", via(request))
    return _with_passkeys(svc, ApplyOut.of(outcome), before)


def _with_passkeys(svc: Services, applied: ApplyOut, before: tuple[str, str]) -> ApplyOut:
    """A rename's warning: the passkeys of the old `.local` name no longer sign in."""
    name, host = before
    if svc.device.name() != name:
        applied.passkeys_left_behind = [
            LeftBehindPasskeyOut(account=p.account, name=p.name, rp_id=p.rp_id)
            for p in svc.passkeys.registered_on(host)
        ]
    return applied


@router.get(
    "/neighbours",
    response_model=list[NeighbourOut],
    responses=documented(401, 403),
    summary="Other Homeport devices this one sees on the LAN (mDNS)",
)
def list_neighbours(_: Admin, svc: ServicesDep) -> list[NeighbourOut]:
    return [NeighbourOut.model_validate(n.as_dict()) for n in svc.other_homeports()]


@router.get("/snapshots", response_model=list[SnapshotOut], responses=documented(401, 403), summary="Snapshots")
def list_snapshots(_: Admin, svc: ServicesDep) -> list[SnapshotOut]:
    current = svc.network.current_id()
    return [SnapshotOut.of(s, current=s.id == current) for s in svc.network.snapshots()]


@router.get(
    "/snapshots/{snapshot_id}/restore",
    response_model=RestorePreviewOut,
    responses=documented(401, 403, 404, 422),
    summary="What restoring a snapshot would change (nothing is changed)",
)
def preview_restore(snapshot_id: SnapshotId, _: Admin, svc: ServicesDep, rename: bool = False) -> RestorePreviewOut:
    snapshot = svc.network.snapshot(snapshot_id)
    after = svc.network.restored(snapshot_id, rename=rename)
    return RestorePreviewOut(
        snapshot=SnapshotOut.of(snapshot, current=svc.network.current_id() == snapshot.id),
        changes=differences(svc.network.current(), after),
    )


@router.post(
    "/snapshots/{snapshot_id}/restore",
    response_model=ApplyOut,
    responses=documented(401, 403, 404, 409, 422),
    summary="Apply an earlier snapshot's network settings again (confirm-or-rollback applies); the device keeps "
    "its current name unless `rename` is true",
)
async def restore_snapshot(
    snapshot_id: SnapshotId, request: Request, caller: Admin, svc: ServicesDep, body: SnapshotRestoreIn | None = None
) -> ApplyOut:
    rename = body.rename if body is not None else False
    before = svc.device.name(), passkey_host(svc)
    applied = ApplyOut.of(await svc.network.restore(caller.actor, snapshot_id, via(request), rename=rename))
    return _with_passkeys(svc, applied, before)


@router.post(
    "/interfaces/{name}/renew", status_code=204, responses=documented(401, 403, 404, 409), summary="Renew a DHCP lease"
)
async def renew_lease(name: str, caller: Admin, svc: ServicesDep) -> Response:
    await svc.network.renew(caller.actor, name)
    return Response(status_code=204)


@confirm_router.post(
    "/confirm",
    status_code=204,
    responses=documented(400, 401, 409, 422),
    summary="Keep a pending change: sent by the browser from the new address, with the token apply returned",
)
async def confirm(body: ConfirmIn, request: Request, svc: ServicesDep) -> Response:
    target = via(request)
    if target is None:
        raise Conflict(
            "A change is confirmed by the browser at the new address, not here.", code="confirm_from_new_address"
        )
    await svc.network.confirm(body.token, target)
    return Response(status_code=204)
