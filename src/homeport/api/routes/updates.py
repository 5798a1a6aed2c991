"""Homeport updates: what runs, the releases kept, the last update's outcome; start one from a release on the
device (a wheel or a folder of wheels). Starting needs the current password (root on the socket needs none)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from homeport.api.deps import Admin, ServicesDep
from homeport.api.errors import documented
from homeport.http.update_inputs import UpdateIn, start_update
from homeport.updates.service import UpdateStatus

router = APIRouter(prefix="/updates", tags=["updates"])


class ReleaseOut(BaseModel):
    name: str
    version: str
    built_at: float
    current: bool
    failed: str = Field(description="Why an update to it was rolled back; empty if it was not.")


class LastUpdateOut(BaseModel):
    id: str = ""
    state: str = Field(description="switching, trial, committed, rolling-back, rolled-back or failed")
    from_version: str = ""
    to_version: str = ""
    reason: str = ""
    trial_seconds: float = 0
    log: list[str] = []
    history: list[tuple[str, float]] = []


class UpdatesOut(BaseModel):
    enabled: bool = Field(description="False: the daemon runs without a releases folder (`--releases`).")
    version: str
    release: str | None = Field(description="The release folder this daemon runs from (None: not a release).")
    supervised: bool
    releases: list[ReleaseOut]
    last: LastUpdateOut | None


def updates_out(status: UpdateStatus) -> UpdatesOut:
    last: dict[str, Any] | None = status.last
    return UpdatesOut(
        enabled=status.enabled,
        version=status.version,
        release=status.release,
        supervised=status.supervised,
        releases=[
            ReleaseOut(
                name=r.name, version=r.version, built_at=r.built_at, current=r.name == status.release, failed=r.failed
            )
            for r in status.releases
        ],
        last=None if last is None else last_out(last),
    )


def last_out(last: dict[str, Any]) -> LastUpdateOut:
    """The journal as the API shows it (it holds no secret: versions, steps, reasons, the build's log)."""
    return LastUpdateOut(
        id=str(last.get("id", "")),
        state=str(last.get("state", "")),
        from_version=str(last.get("from_version", "")),
        to_version=str(last.get("to_version", "")),
        reason=str(last.get("reason", "")),
        trial_seconds=float(last.get("trial_seconds") or 0),
        log=[str(line) for line in last.get("log", [])],
        history=[(str(s), float(t)) for s, t in last.get("history", [])],
    )


@router.get(
    "", response_model=UpdatesOut, responses=documented(401, 403), summary="Versions, releases kept, last update"
)
def get_updates(_: Admin, svc: ServicesDep) -> UpdatesOut:
    return updates_out(svc.updates.status())


@router.post(
    "",
    status_code=202,
    response_model=LastUpdateOut,
    responses=documented(400, 401, 403, 409, 422, 429, 503),
    summary="Build the release, check it on a copy of the store with canary credentials, back up, switch and "
    "restart into its trial (202: the daemon restarts now; GET /updates tells the outcome)",
)
def post_update(body: UpdateIn, caller: Admin, svc: ServicesDep) -> LastUpdateOut:
    return last_out(start_update(svc, caller.user, caller.session, caller.actor, body))
