"""Bodies of the network API (the settings body is in http/network_inputs.py: the console shows its bounds)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from homeport.network.backends import LiveInterface
from homeport.network.describe import describe
from homeport.network.model import NetworkConfig
from homeport.network.service import ApplyOutcome, PendingChange
from homeport.network.snapshots import Snapshot


class InterfaceOut(BaseModel):
    name: str
    mac: str
    mode: str
    address: str | None
    gateway: str | None
    dns: list[str]
    mtu: int


class PortsOut(BaseModel):
    http: int
    https: int


class ConfigOut(BaseModel):
    hostname: str
    interfaces: list[InterfaceOut]
    web: PortsOut

    @classmethod
    def of(cls, config: NetworkConfig) -> ConfigOut:
        data: dict[str, Any] = config.as_dict()
        return cls(**data)


class LeaseOut(BaseModel):
    address: str
    router: str
    dns: list[str]
    server: str
    lease_seconds: int
    obtained_at: float


class LiveOut(BaseModel):
    name: str
    mac: str
    up: bool
    mtu: int
    addresses: list[str]
    lease: LeaseOut | None

    @classmethod
    def of(cls, live: LiveInterface) -> LiveOut:
        lease = live.lease
        return cls(
            name=live.name,
            mac=live.mac,
            up=live.up,
            mtu=live.mtu,
            addresses=list(live.addresses),
            lease=None
            if lease is None
            else LeaseOut(
                address=lease.address,
                router=lease.router,
                dns=list(lease.dns),
                server=lease.server,
                lease_seconds=lease.lease_seconds,
                obtained_at=lease.obtained_at,
            ),
        )


class PendingOut(BaseModel):
    snapshot: int
    previous: int
    deadline: float

    @classmethod
    def of(cls, pending: PendingChange) -> PendingOut:
        return cls(snapshot=pending.snapshot_id, previous=pending.previous_id, deadline=pending.deadline)


class NetworkOut(BaseModel):
    backend: str
    applies_to_host: bool
    ports_fixed: bool
    current_snapshot: int | None
    config: ConfigOut
    live: list[LiveOut]
    pending: PendingOut | None


class SnapshotOut(BaseModel):
    id: int
    at: float
    actor: str
    reason: str
    config: ConfigOut
    summary: str = Field(description="The settings in words, e.g. `eth0: DHCP, MTU 1500; ports 5000/5001`.")
    current: bool = Field(description="These are the settings in use now.")

    @classmethod
    def of(cls, snapshot: Snapshot, *, current: bool) -> SnapshotOut:
        return cls(
            id=snapshot.id, at=snapshot.at, actor=snapshot.actor, reason=snapshot.reason,
            config=ConfigOut.of(snapshot.config), summary=describe(snapshot.config), current=current,
        )  # fmt: skip


class RestorePreviewOut(BaseModel):
    snapshot: SnapshotOut
    changes: list[str] = Field(description="What restoring would change, one sentence each; empty: nothing.")


class LeftBehindPasskeyOut(BaseModel):
    account: str
    name: str
    rp_id: str


class ApplyOut(BaseModel):
    snapshot: int
    pending: PendingOut | None
    confirm_token: str | None = Field(description="Send it to POST /network/confirm from the new address.")
    confirm_urls: list[str]
    passkeys_left_behind: list[LeftBehindPasskeyOut] = Field(
        default_factory=list,
        description="The device was renamed: these passkeys belong to the old name and no longer sign in (their "
        "owners sign in with a password, or another factor, and add new ones).",
    )

    @classmethod
    def of(cls, outcome: ApplyOutcome) -> ApplyOut:
        return cls(
            snapshot=outcome.snapshot_id,
            pending=None if outcome.pending is None else PendingOut.of(outcome.pending),
            confirm_token=outcome.token,
            confirm_urls=list(outcome.confirm_urls),
        )


class NeighbourOut(BaseModel):
    name: str
    state: str
    addresses: list[str]
    https_port: int
    model: str
    serial: str
    mac: str
    version: str
    console_url: str
    next_step: str


class ConfirmIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    token: str = Field(max_length=128)
