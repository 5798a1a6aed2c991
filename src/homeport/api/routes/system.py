"""The device: identity and state (no sign-in needed), first-run setup; root-only status and store reset."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from homeport.api.deps import Caller, Principal, ServicesDep, principal
from homeport.api.errors import documented
from homeport.api.schemas import (
    DamageOut,
    FeedbackOut,
    FoundBackupOut,
    FoundOut,
    HardwareOut,
    HealthOut,
    SetupOut,
    StatusOut,
    SystemOut,
    TemperatureOut,
    UserOut,
    VolumeOut,
)
from homeport.audit.log import Actor
from homeport.backups.layout import shared_folders
from homeport.core.errors import Conflict, Forbidden
from homeport.http.inputs import RestoreIn, SetupIn
from homeport.http.requests import client_address
from homeport.services import Services
from homeport.system.health import read_health
from homeport.system.volumes import Volume

router = APIRouter(tags=["system"])
local_router = APIRouter(tags=["local"])


def volume_out(volume: Volume) -> VolumeOut:
    return VolumeOut(
        name=volume.name, path=str(volume.path), available=volume.available, total_bytes=volume.total_bytes,
        free_bytes=volume.free_bytes,
    )  # fmt: skip


def system_out(svc: Services) -> SystemOut:
    info = svc.device.info()
    opened = svc.recovery_access.open_window() if info.state == "recovery" else None
    return SystemOut(
        state=info.state,
        name=info.name,
        model=info.model,
        serial=info.serial,
        version=info.version,
        mac=info.mac,
        damage=DamageOut(**info.damage) if info.damage else None,
        recovery_window_closes_at=None if opened is None else opened.closes_at,
    )


@router.get("/system", response_model=SystemOut, summary="The device's identity and state")
def get_system(svc: ServicesDep) -> SystemOut:
    return system_out(svc)


@router.post(
    "/setup",
    status_code=201,
    response_model=SetupOut,
    responses=documented(400, 409, 422, 503),
    summary="First run: name the device and create its first administrator",
)
def post_setup(body: SetupIn, request: Request, svc: ServicesDep) -> SetupOut:
    actor = Actor(body.admin.username, client_address(request))
    user = svc.setup.run(body.name, body.admin.username, body.admin.password, actor)
    return SetupOut(state=svc.device.state(), name=svc.device.name(), admin=UserOut.of(user))


@router.get(
    "/setup/found", response_model=FoundOut, responses=documented(409),
    summary="What the setup wizard found on the volumes: configuration backups and shared folders",
)  # fmt: skip
def get_found(svc: ServicesDep) -> FoundOut:
    if svc.device.state() not in ("not-installed", "migratable"):
        raise Conflict("Only the setup wizard of a fresh device looks for backups.", code="not_setup_state")
    return FoundOut(
        backups=[
            FoundBackupOut(
                id=b.id,
                name=str(b.manifest.get("name", "")),
                created_at=float(b.manifest.get("created_at", 0)),
                version=str(b.manifest.get("version", "")),
            )
            for b in svc.restore.backups()
        ],
        shared_folders=[str(p) for p in shared_folders(svc.volumes.paths)],
    )


@router.post(
    "/setup/restore", status_code=201, response_model=SetupOut, responses=documented(400, 404, 409, 422, 503),
    summary="Set up by restoring a configuration backup; the chosen administrator gets a new password",
)  # fmt: skip
def post_restore(body: RestoreIn, request: Request, svc: ServicesDep) -> SetupOut:
    actor = Actor(body.administrator, client_address(request))
    user = svc.restore.restore(body.backup, body.administrator, body.password, actor)
    return SetupOut(state=svc.device.state(), name=svc.device.name(), admin=UserOut.of(user))


def local_only(request: Request) -> Principal:
    caller = principal(request)
    if not caller.local:
        raise Forbidden("Only root on the machine may do this (homeport CLI).", code="local_only")
    return caller


@local_router.get("/status", response_model=StatusOut, summary="Daemon status for `homeport status`")
def get_status(request: Request, svc: ServicesDep) -> StatusOut:
    local_only(request)
    urls: list[str] = request.app.state.urls()
    return StatusOut(
        system=system_out(svc),
        uptime_seconds=svc.clock.monotonic() - svc.started_at,
        urls=urls,
        ca_certificate=str(svc.tls.ca_cert_path),
        sessions=len(svc.sessions.list()),
        volumes=[volume_out(v) for v in svc.volumes.list()],
        hardware=HardwareOut(
            button=svc.button.source.description,
            feedback=[d.description for d in svc.feedback.devices],
            recent=[FeedbackOut(at=p.at, device=p.device, pattern=p.pattern) for p in svc.feedback.history],
        ),
    )


@local_router.post("/store/start-fresh", status_code=204, responses=documented(409))
def post_start_fresh(request: Request, svc: ServicesDep) -> Response:
    caller = local_only(request)
    svc.setup.start_fresh(caller.actor)
    return Response(status_code=204)


@router.get(
    "/system/health",
    response_model=HealthOut,
    responses=documented(401, 403),
    summary="Uptime, load, memory, temperatures and volume use, read now (send `X-Homeport-Background: 1` from "
    "a refreshing panel: it does not count as activity)",
)
def get_health(_: Caller, svc: ServicesDep) -> HealthOut:
    health = read_health()
    return HealthOut(
        uptime_seconds=health.uptime_seconds,
        load=list(health.load),
        cpus=health.cpus,
        memory_total_bytes=health.memory_total_bytes,
        memory_available_bytes=health.memory_available_bytes,
        temperatures=[TemperatureOut(sensor=t.sensor, celsius=t.celsius) for t in health.temperatures],
        volumes=[volume_out(v) for v in svc.volumes.list()],
    )
