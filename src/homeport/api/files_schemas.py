"""Answers of the volumes, shared folders and SMB routes, as published in the OpenAPI document."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal, cast

from pydantic import BaseModel, Field

from homeport.files.access import effective_access
from homeport.files.service import ShareState
from homeport.smb.service import CheckResult, SmbStatus
from homeport.smb.settings import SmbSettings
from homeport.system.volumes import Volume

AccessOut = Literal["rw", "ro", "none"]
VolumeState = Literal["ok", "read-only", "missing"]

# --- volumes ----------------------------------------------------------------------------------------------


class VolumeShareOut(BaseModel):
    name: str
    folder: str
    available: bool


class VolumeDetailOut(BaseModel):
    name: str
    path: str
    available: bool
    mount_point: str = Field(description="The mount holding the volume (empty while it is missing).")
    filesystem: str = Field(description="e.g. `ext4`, `btrfs` (empty while it is missing).")
    total_bytes: int
    free_bytes: int
    read_only: bool
    state: VolumeState
    shares: list[VolumeShareOut] = Field(description="The shared folders on this volume.")

    @classmethod
    def of(cls, volume: Volume, shares: Iterable[ShareState]) -> VolumeDetailOut:
        return cls(
            name=volume.name, path=str(volume.path), available=volume.available, mount_point=volume.mount_point,
            filesystem=volume.filesystem, total_bytes=volume.total_bytes, free_bytes=volume.free_bytes,
            read_only=volume.read_only, state=cast(VolumeState, volume.state),
            shares=[
                VolumeShareOut(name=s.share.name, folder=s.share.folder, available=s.available)
                for s in shares if s.share.volume == volume.name
            ],
        )  # fmt: skip


# --- shared folders ----------------------------------------------------------------------------------------


class PermissionsOut(BaseModel):
    users: dict[str, AccessOut]
    groups: dict[str, AccessOut]


class ShareOut(BaseModel):
    name: str
    volume: str
    folder: str = Field(description="Relative to the volume, '/'-separated.")
    path: str = Field(description="Where it is on the device (empty while its volume is missing).")
    available: bool = Field(description="Its volume is there and the folder exists.")
    description: str
    hidden: bool
    recycle_bin: bool
    time_machine: bool
    time_machine_limit_gb: int | None
    permissions: PermissionsOut = Field(description="The entries as given.")
    effective: dict[str, AccessOut] = Field(
        description="Every account's resolved access: `none` wins over any grant, else the widest grant counts."
    )

    @classmethod
    def of(cls, state: ShareState, memberships: Mapping[str, Iterable[str]]) -> ShareOut:
        share = state.share
        return cls(
            name=share.name, volume=share.volume, folder=share.folder, path=state.path, available=state.available,
            description=share.description, hidden=share.hidden, recycle_bin=share.recycle_bin,
            time_machine=share.time_machine, time_machine_limit_gb=share.time_machine_limit_gb,
            permissions=PermissionsOut(users=dict(share.users), groups=dict(share.groups)),
            effective=dict(sorted(effective_access(share.users, share.groups, memberships).items())),
        )  # fmt: skip


# --- the SMB file service ------------------------------------------------------------------------------------


class SmbSettingsOut(BaseModel):
    enabled: bool
    min_protocol: Literal["SMB2", "SMB3"]
    signing: Literal["default", "required"]
    encryption: Literal["desired", "required"]
    workgroup: str

    @classmethod
    def of(cls, settings: SmbSettings) -> SmbSettingsOut:
        return cls.model_validate(settings.as_dict())


class SmbSessionOut(BaseModel):
    user: str
    client: str
    protocol: str = Field(description="The SMB dialect, e.g. `SMB3_11`.")
    encrypted: bool
    signed: bool
    shares: list[str]


class SmbDriftOut(BaseModel):
    missing: list[str] = Field(description="Accounts Samba should know and does not.")
    unexpected: list[str] = Field(description="Accounts in Samba that Homeport does not have.")
    wrong_hash: list[str] = Field(description="Accounts with another password in Samba.")
    wrong_flags: list[str] = Field(description="Accounts enabled or disabled differently in Samba.")


class SmbLastDriftOut(SmbDriftOut):
    at: float = Field(description="When changes made outside Homeport were found and set back.")


class SmbStatusOut(BaseModel):
    mode: Literal["embedded", "system", "off"] = Field(
        description="`embedded`: Homeport's own smbd; `system`: the host's Samba; `off` (homeport serve --smb off)."
    )
    running: bool
    port: int
    version: str = Field(description="Samba's version (empty when unknown).")
    restarts: int = Field(description="How often the embedded smbd was restarted after it stopped.")
    last_exit: str
    sessions: list[SmbSessionOut] = Field(description="Connected clients.")
    problems: list[str] = Field(description="What is wrong now, in words; empty when all is well.")
    pending: list[str] = Field(description="Accounts whose password Samba does not hold yet.")
    needs_password: list[str] = Field(
        description="Accounts that must sign in to the console (or get a new password) before SMB works for them."
    )
    last_sync_at: float | None
    last_check_at: float | None = Field(description="The last drift check (every few minutes while running).")
    last_drift: SmbLastDriftOut | None = Field(description="The last changes made outside Homeport, set back.")
    settings: SmbSettingsOut

    @classmethod
    def of(cls, status: SmbStatus, sessions: list[dict[str, Any]], needs_password: list[str]) -> SmbStatusOut:
        drift = status.last_drift
        return cls(
            mode=status.mode, running=status.running, port=status.port, version=status.version,
            restarts=status.restarts, last_exit=status.last_exit,
            sessions=[SmbSessionOut.model_validate(s) for s in sessions], problems=list(status.problems),
            pending=list(status.pending), needs_password=needs_password, last_sync_at=status.last_sync_at,
            last_check_at=status.last_check_at,
            last_drift=SmbLastDriftOut.model_validate(drift) if drift else None,
            settings=SmbSettingsOut.of(status.settings),
        )  # fmt: skip


class SmbCheckOut(SmbDriftOut):
    drift: bool = Field(
        description="Some account differs: without `repair`, what a repair would change; with it, the changes made "
        "outside Homeport that were set back."
    )
    repaired: bool = Field(description="Samba's accounts were written (with `repair`).")
    needs_password: list[str] = Field(description="Accounts left out until their next sign-in or password change.")
    error: str = Field(description="Why the check could not be done (Samba not reachable); empty when it was.")

    @classmethod
    def of(cls, result: CheckResult) -> SmbCheckOut:
        return cls(
            **result.drift.as_dict(), drift=result.drift.any, repaired=result.repaired,
            needs_password=list(result.needs_password), error=result.error,
        )  # fmt: skip
