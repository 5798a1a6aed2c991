"""Volumes: the data volumes the daemon was given, their space and state, and the shared folders on each."""

from __future__ import annotations

from fastapi import APIRouter

from homeport.api.deps import Admin, ServicesDep
from homeport.api.errors import documented
from homeport.api.files_schemas import VolumeDetailOut

router = APIRouter(tags=["files"])


@router.get(
    "/volumes",
    response_model=list[VolumeDetailOut],
    responses=documented(401, 403),
    summary="The data volumes: mount point, file system, size, free space, state (ok, read-only or missing) and "
    "the shared folders on each",
)
def list_volumes(_: Admin, svc: ServicesDep) -> list[VolumeDetailOut]:
    shares = svc.shares.list()
    return [VolumeDetailOut.of(v, shares) for v in svc.volumes.list()]
