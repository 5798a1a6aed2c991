"""Network settings as a service: apply (validate -> snapshot -> backend), restore, and confirm-or-rollback.

A change that moves the address (or port) the administrator is connected through is applied and then rolled
back automatically unless the browser confirms it from the new address in time: no change can strand the
owner. The snapshot and the pending confirmation are committed before anything is applied, so a crash or
restart in between resumes safely (an unconfirmed change past its deadline is rolled back at start).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import sqlite3
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, replace
from typing import Any, Protocol

import structlog

from homeport.audit.log import SYSTEM, Actor, AuditLog
from homeport.core.clock import Clock
from homeport.core.errors import Conflict, NotFound, OperationFailed, Unauthenticated
from homeport.core.ids import new_token, same_secret, token_digest
from homeport.network import snapshots
from homeport.network.backends import LiveInterface, NetworkBackend
from homeport.network.dhcp import DhcpEvent
from homeport.network.model import NetworkConfig, WebPorts, dhcp_everywhere
from homeport.network.snapshots import Snapshot
from homeport.store.db import Database
from homeport.system.device import DeviceService
from homeport.system.settings import read_value, write_value

_log = structlog.get_logger("homeport.network")

CURRENT_KEY = "network.current"
PENDING_KEY = "network.pending"
DEFAULT_CONFIRM_SECONDS = 120
ANSWER_FIRST_SECONDS = 1.0


@dataclass(frozen=True)
class Via:
    """The local end of the connection a request came through."""

    address: str
    port: int


@dataclass(frozen=True)
class PendingChange:
    snapshot_id: int
    previous_id: int
    deadline: float
    token_digest: str

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PendingChange:
        return cls(
            int(data["snapshot_id"]), int(data["previous_id"]), float(data["deadline"]), str(data["token_digest"])
        )


@dataclass(frozen=True)
class ApplyOutcome:
    snapshot_id: int
    pending: PendingChange | None = None
    token: str | None = None  # shown once, to the browser that must confirm
    confirm_urls: tuple[str, ...] = ()


class WebListeners(Protocol):
    """The daemon's web listeners, as far as network settings may move them."""

    @property
    def fixed(self) -> bool:
        """Ports given on the daemon's command line are deployment settings: the console cannot move them."""
        ...

    @property
    def ports(self) -> WebPorts:
        """The ports the console answers on now."""
        ...

    async def move(self, ports: WebPorts) -> None: ...


def _is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


class NetworkService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        backend: NetworkBackend,
        device: DeviceService,
        audit: AuditLog,
        managed: dict[str, str],
        listeners: WebListeners,
        confirm_seconds: int = DEFAULT_CONFIRM_SECONDS,
        on_addresses_changed: Callable[[], None] = lambda: None,
        answer_first_seconds: float = ANSWER_FIRST_SECONDS,
        before_confirmed_change: Callable[[str], object] = lambda _reason: None,
    ) -> None:
        self._db = db
        self._clock = clock
        self.backend = backend
        self._device = device
        self._audit = audit
        self.managed = managed
        self._listeners = listeners
        self.confirm_seconds = confirm_seconds
        self._on_addresses_changed = on_addresses_changed
        self._answer_first = answer_first_seconds
        self._before_confirmed_change = before_confirmed_change  # a configuration backup (backups/), off the loop
        self._lock = asyncio.Lock()
        self._timer: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._deferred: asyncio.TimerHandle | None = None

    # --- reading ----------------------------------------------------------------------------------------

    def current_id(self) -> int | None:
        with self._db.read() as conn:
            value = read_value(conn, CURRENT_KEY)
        return None if value is None else int(value)

    def current(self) -> NetworkConfig:
        current_id = self.current_id()
        with self._db.read() as conn:
            found = None if current_id is None else snapshots.find(conn, current_id)
        config = found.config if found else dhcp_everywhere(self._device.name(), sorted(self.managed.items()))
        return replace(config, hostname=self._device.name())

    def snapshots(self, limit: int = 50) -> list[Snapshot]:
        with self._db.read() as conn:
            return snapshots.newest(conn, limit)

    def pending(self) -> PendingChange | None:
        with self._db.read() as conn:
            value = read_value(conn, PENDING_KEY)
        return None if not value else PendingChange.from_dict(value)

    def lease_history(self, limit: int = 20) -> list[dict[str, Any]]:
        with self._db.read() as conn:
            return snapshots.lease_history(conn, limit)

    async def live(self) -> list[LiveInterface]:
        return await self.backend.live()

    @property
    def ports_fixed(self) -> bool:
        return self._listeners.fixed

    # --- starting ---------------------------------------------------------------------------------------

    async def start(self) -> None:
        """Apply the current settings (creating DHCP-everywhere on a fresh install); resume a pending change."""
        config = self.current()
        known = {i.name for i in config.interfaces}
        if self.current_id() is None or known != set(self.managed):
            config = self._with_managed_interfaces(config)
            reason = "fresh install: DHCP on every interface" if self.current_id() is None else "interfaces changed"
            self._save(SYSTEM, reason, config, pending=None)
        await self._realise(config)
        pending = self.pending()
        if pending is not None:
            if pending.deadline <= self._clock.now():
                await self.rollback_if_due()
            else:
                self._arm(pending)

    def _with_managed_interfaces(self, config: NetworkConfig) -> NetworkConfig:
        kept = [i for i in config.interfaces if i.name in self.managed]
        added = [
            i
            for i in dhcp_everywhere(config.hostname, sorted(self.managed.items())).interfaces
            if i.name not in {k.name for k in kept}
        ]
        return replace(config, interfaces=tuple(sorted([*kept, *added], key=lambda i: i.name)))

    # --- changing ---------------------------------------------------------------------------------------

    async def apply(self, actor: Actor, config: NetworkConfig, reason: str, via: Via | None) -> ApplyOutcome:
        async with self._lock:
            if self.pending() is not None:
                raise Conflict(
                    "Another network change is waiting for confirmation; confirm it or wait for its rollback.",
                    code="change_pending",
                )
            previous = self.current()
            previous_id = self.current_id() or 0
            if config == previous:
                return ApplyOutcome(snapshot_id=previous_id)
            confirm = await self._strands(previous, config, via)
            if confirm:  # a change that may need undoing by hand is backed up first
                await asyncio.to_thread(self._before_confirmed_change, "network")
            token = new_token() if confirm else None
            pending = None
            if token is not None:
                deadline = self._clock.now() + self.confirm_seconds
                pending = PendingChange(0, previous_id, deadline, token_digest(token))
            snapshot_id = self._save(actor, reason, config, pending)
            if pending is None:
                await self._realise_or_revert(config, previous, snapshot_id)
                return ApplyOutcome(snapshot_id=snapshot_id)
            pending = replace(pending, snapshot_id=snapshot_id)
            self._arm(pending)
            # The change cuts the connection this request came through: answer first (the browser must learn
            # where to go), apply a moment later.
            loop = asyncio.get_running_loop()
            self._deferred = loop.call_later(
                self._answer_first, lambda: self._spawn(self._apply_later(config, previous, snapshot_id))
            )
            assert token is not None
            return ApplyOutcome(snapshot_id, pending, token, self._confirm_urls(config, token))

    async def _realise_or_revert(self, config: NetworkConfig, previous: NetworkConfig, snapshot_id: int) -> None:
        try:
            await self._realise(config, previous)
        except Exception as exc:
            _log.exception("applying network settings failed; reverting")
            with self._db.write() as conn:
                write_value(conn, PENDING_KEY, None)
            self._disarm()
            self._save(SYSTEM, f"reverted: applying #{snapshot_id} failed", previous, None)
            await self._realise(previous, config)
            raise OperationFailed(f"The network settings could not be applied ({exc}); nothing changed.") from exc

    async def _apply_later(self, config: NetworkConfig, previous: NetworkConfig, snapshot_id: int) -> None:
        async with self._lock:
            if self.current_id() != snapshot_id:
                return  # rolled back or replaced meanwhile
            with contextlib.suppress(OperationFailed):
                await self._realise_or_revert(config, previous, snapshot_id)

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def snapshot(self, snapshot_id: int) -> Snapshot:
        with self._db.read() as conn:
            found = snapshots.find(conn, snapshot_id)
        if found is None:
            raise NotFound(f"There is no network snapshot #{snapshot_id}.", code="snapshot_not_found")
        return found

    def restored(self, snapshot_id: int, *, rename: bool = False) -> NetworkConfig:
        """What restoring a snapshot applies: its network settings, under the device's current name unless the
        owner chose to take the snapshot's name back too (`rename`)."""
        config = self._with_managed_interfaces(self.snapshot(snapshot_id).config)
        return config if rename else replace(config, hostname=self.current().hostname)

    async def restore(self, actor: Actor, snapshot_id: int, via: Via | None, *, rename: bool = False) -> ApplyOutcome:
        config = self.restored(snapshot_id, rename=rename)
        return await self.apply(actor, config, f"restore of snapshot #{snapshot_id}", via)

    async def confirm(self, token: str, via: Via) -> None:
        """The browser reached the device through the new settings: keep them."""
        async with self._lock:
            pending = self.pending()
            if pending is None or not same_secret(token_digest(token), pending.token_digest):
                raise Unauthenticated("There is no network change waiting for this confirmation.", code="no_pending")
            if pending.deadline <= self._clock.now():
                raise Conflict("Too late: the change has been rolled back (or is being).", code="confirm_too_late")
            addresses = {a.split("/")[0] for i in await self.backend.live() for a in i.addresses}
            ports = self.current().web
            if via.address not in addresses or (not self._listeners.fixed and via.port != ports.https):
                raise Conflict(
                    "Confirm from the device's new address (the link on the page you were sent to).",
                    code="confirm_from_new_address",
                )
            with self._db.write() as conn:
                write_value(conn, PENDING_KEY, None)
                self._audit.record(
                    conn, "network.confirmed", Actor("browser", via.address), target=f"#{pending.snapshot_id}"
                )
            self._disarm()

    async def rollback_if_due(self) -> bool:
        async with self._lock:
            pending = self.pending()
            if pending is None or pending.deadline > self._clock.now():
                return False
            with self._db.read() as conn:
                previous = snapshots.find(conn, pending.previous_id)
            config = self.current()
            restored = self._with_managed_interfaces(previous.config) if previous else config.with_defaults()
            reason = f"rolled back: #{pending.snapshot_id} not confirmed within {self.confirm_seconds} s"
            self._save(SYSTEM, reason, restored, None)
            self._disarm()
            await self._realise(restored, config)
            _log.warning("network change rolled back", snapshot=pending.snapshot_id)
            return True

    # --- resets (Mode 1, Mode 2) -------------------------------------------------------------------------

    def stage_defaults(self, conn: sqlite3.Connection, reason: str) -> int:
        """Within a reset's transaction: DHCP on every interface, MTU 1500, ports 5000/5001, nothing pending.
        Returns the new snapshot's number; `realise_current()` applies it once the transaction has committed."""
        config = self._with_managed_interfaces(self.current()).with_defaults()
        snapshot_id = snapshots.insert(conn, self._clock.now(), SYSTEM.name, reason, config)
        write_value(conn, CURRENT_KEY, snapshot_id)
        write_value(conn, PENDING_KEY, None)
        self._db.after_commit(self._disarm)
        return snapshot_id

    async def realise_current(self) -> None:
        """Make the host match the current snapshot (idempotent: a resumed reset may run it twice)."""
        async with self._lock:
            await self._realise(self.current())

    async def renew(self, actor: Actor, interface: str) -> None:
        if interface not in self.managed:
            raise NotFound(f"Homeport does not manage an interface named {interface}.", code="interface_not_found")
        await self.backend.renew(interface)
        self._audit.record_now("network.lease_renewal", actor, target=interface)

    def record_lease(self, event: DhcpEvent) -> None:
        with self._db.write() as conn:
            snapshots.record_lease(
                conn, at=event.at, interface=event.interface, event=event.kind, address=event.address,
                router=event.router, dns=event.dns, server=event.server, lease_seconds=event.lease_seconds,
            )  # fmt: skip

    async def close(self) -> None:
        self._disarm()
        if self._deferred is not None:
            self._deferred.cancel()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.backend.close()

    # --- helpers ----------------------------------------------------------------------------------------

    def _save(self, actor: Actor, reason: str, config: NetworkConfig, pending: PendingChange | None) -> int:
        with self._db.write() as conn:
            snapshot_id = snapshots.insert(conn, self._clock.now(), actor.name, reason, config)
            write_value(conn, CURRENT_KEY, snapshot_id)
            if pending is not None:
                pending = replace(pending, snapshot_id=snapshot_id)
            write_value(conn, PENDING_KEY, None if pending is None else pending.__dict__)
            if config.hostname != self._device.name():
                self._device.set_name(conn, config.hostname)
            self._audit.record(conn, "network.applied", actor, target=f"#{snapshot_id}", reason=reason,
                               confirm_by=None if pending is None else pending.deadline)  # fmt: skip
        return snapshot_id

    async def _realise(self, config: NetworkConfig, previous: NetworkConfig | None = None) -> None:
        self._on_addresses_changed()  # listeners may prepare for the configured addresses (a certificate)
        await self.backend.apply(config)
        if not self._listeners.fixed and (previous is None or previous.web != config.web):
            await self._listeners.move(config.web)
        self._on_addresses_changed()

    async def _strands(self, previous: NetworkConfig, new: NetworkConfig, via: Via | None) -> bool:
        """Would `new` cut the connection this request came through (address or port)?"""
        if via is None or _is_loopback(via.address):
            return False  # root on the machine (CLI socket), or a browser on the box itself
        if not self._listeners.fixed and previous.web.https != new.web.https and via.port == previous.web.https:
            return True
        if not self.backend.applies_to_host:
            return False  # the settings are only kept: no address moves
        live = await self.backend.live()
        holder = next((i for i in live if any(a.split("/")[0] == via.address for a in i.addresses)), None)
        if holder is None:
            return False  # connected through an interface Homeport does not manage
        before, after = previous.interface(holder.name), new.interface(holder.name)
        reach = ("mode", "address", "gateway", "mtu")
        return before is None or after is None or any(getattr(before, f) != getattr(after, f) for f in reach)

    def _confirm_urls(self, config: NetworkConfig, token: str) -> tuple[str, ...]:
        port = config.web.https
        hosts = [str(a) for a in sorted(config.static_addresses())] + [f"{config.hostname}.local"]
        return tuple(f"https://{host}:{port}/network/confirm?token={token}" for host in hosts)

    def _arm(self, pending: PendingChange) -> None:
        self._disarm()
        loop = asyncio.get_running_loop()
        delay = max(0.0, pending.deadline - self._clock.now())
        self._timer = loop.call_later(delay, lambda: self._spawn(self._rollback_quietly()))

    async def _rollback_quietly(self) -> None:
        try:
            await self.rollback_if_due()
        except Exception:
            _log.exception("rolling back a network change failed")

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
