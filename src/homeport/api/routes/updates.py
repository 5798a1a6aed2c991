"""Homeport updates: what runs, the releases kept, the last update's outcome; start one from a release on the
device (a wheel or a folder of wheels) or uploaded in chunks (/updates/uploads). Starting needs the current
password (root on the socket needs none)."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from homeport.api.deps import Admin, ServicesDep
from homeport.api.errors import documented
from homeport.core.errors import InvalidInput
from homeport.http.inputs import Strict
from homeport.http.update_inputs import UpdateIn, start_update
from homeport.updates.service import UpdateStatus
from homeport.updates.uploads import CHUNK_SIZE, MAX_SIZE, ReleaseRefused, Upload

OFFSET_HEADER = "X-Upload-Offset"
UPLOAD_NAME_MAX = 200

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


# --- a release uploaded in chunks (every request body is capped at 256 KiB) ------------------------------


class UploadStartIn(Strict):
    name: str = Field(min_length=1, max_length=UPLOAD_NAME_MAX, description="The file's name: *.whl or *.zip.")
    size: int = Field(ge=0, description=f"The file's size in bytes (at most {MAX_SIZE} and what the disk can take).")


class UploadStartOut(BaseModel):
    id: str
    chunk_size: int = Field(description="Send the file in chunks of at most this many bytes.")


class UploadOut(BaseModel):
    id: str
    name: str
    size: int
    received: int = Field(description="Bytes received so far: the offset the next chunk starts at.")
    finished: bool
    wheels: list[str] = Field(description="The wheels the finished upload holds (a .zip's, or the wheel itself).")
    started_at: float


def upload_out(upload: Upload) -> UploadOut:
    return UploadOut(
        id=upload.id, name=upload.name, size=upload.size, received=upload.received, finished=upload.finished,
        wheels=list(upload.wheels), started_at=upload.started_at,
    )  # fmt: skip


@router.get("/uploads", response_model=list[UploadOut], responses=documented(401, 403), summary="The finished upload")
def get_uploads(_: Admin, svc: ServicesDep) -> list[UploadOut]:
    return [upload_out(u) for u in svc.updates.uploads.finished()]


@router.post(
    "/uploads",
    status_code=201,
    response_model=UploadStartOut,
    responses=documented(401, 403, 409, 422),
    summary="Start uploading a release (replaces an upload before it); then PUT its chunks",
)
def post_upload(body: UploadStartIn, caller: Admin, svc: ServicesDep) -> UploadStartOut:
    upload = svc.updates.uploads.start(body.name, body.size)
    svc.audit.record_now("update.upload_started", caller.actor, target=upload.name, size=upload.size)
    return UploadStartOut(id=upload.id, chunk_size=CHUNK_SIZE)


@router.put(
    "/uploads/{upload_id}",
    response_model=UploadOut,
    responses=documented(401, 403, 404, 409, 422),
    summary="Append a chunk (raw bytes) at X-Upload-Offset; 409 with the expected X-Upload-Offset to resume",
    openapi_extra={
        "parameters": [
            {
                "name": OFFSET_HEADER,
                "in": "header",
                "required": True,
                "schema": {"type": "string", "pattern": "^[0-9]+$"},
                "description": "Where the chunk starts in the file: the bytes received so far.",
            },
        ],
        "requestBody": {
            "required": True,
            "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
        },
    },
)
async def put_upload_chunk(upload_id: str, request: Request, caller: Admin, svc: ServicesDep) -> UploadOut:
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/octet-stream":
        raise InvalidInput.field("body", "Send the chunk as raw bytes (Content-Type: application/octet-stream).")
    offset = request.headers.get(OFFSET_HEADER, "")
    if not offset.isdigit() or len(offset) > 12:
        raise InvalidInput.field(OFFSET_HEADER, f"Say where the chunk starts in the {OFFSET_HEADER} header.")
    data = await request.body()
    uploads = svc.updates.uploads
    try:
        upload = await asyncio.to_thread(uploads.append, upload_id, int(offset), data)
    except ReleaseRefused as exc:  # the whole file, when it was finished (and removed)
        svc.audit.record_now(
            "update.upload_refused", caller.actor, target=exc.file_name, outcome="failure", reason=exc.message
        )
        raise
    if upload.finished:
        svc.audit.record_now("update.uploaded", caller.actor, target=upload.name, wheels=len(upload.wheels))
    return upload_out(upload)


@router.delete("/uploads/{upload_id}", status_code=204, responses=documented(401, 403, 404), summary="Remove an upload")
def delete_upload(upload_id: str, caller: Admin, svc: ServicesDep) -> Response:
    upload = svc.updates.uploads.get(upload_id)
    svc.updates.uploads.remove(upload_id)
    svc.audit.record_now("update.upload_removed", caller.actor, target=upload.name)
    return Response(status_code=204)
