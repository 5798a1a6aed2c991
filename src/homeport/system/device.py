"""The device's identity and state, as `GET /api/v1/system` and (later) mDNS report them.

States (recovery.md): `not-installed` -> setup -> `ready` -> Mode 1 -> `recovery` -> `ready`; `migratable`
when a foreign configuration is found. `damaged` is Homeport's own addition: the store was unreadable and was
moved aside; setup is refused until root on the machine decides (`homeport store start-fresh`), so a damaged
disk never hands the box to whoever reaches the setup wizard first.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from typing import Any, Literal, cast

from homeport import __version__
from homeport.core.errors import InvalidInput
from homeport.core.events import DeviceRenamed, DeviceStateChanged, EventBus
from homeport.store.db import Database
from homeport.system.settings import read_value, write_value

DeviceState = Literal["not-installed", "ready", "recovery", "migratable", "damaged"]
DEVICE_STATES: tuple[DeviceState, ...] = ("not-installed", "ready", "recovery", "migratable", "damaged")
SIGNED_IN_STATES: frozenset[DeviceState] = frozenset({"ready", "recovery"})

_STATE_KEY = "system.state"
_NAME_KEY = "system.name"
_DAMAGE_KEY = "system.damage"
DEVICE_NAME_PATTERN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")


def check_device_name(name: str, field: str = "name") -> str:
    """A DNS label (RFC 1123), because the name becomes `<name>.local` on the LAN."""
    if not DEVICE_NAME_PATTERN.fullmatch(name) or name.isdigit():
        raise InvalidInput.field(
            field,
            "Use 1-63 letters, digits or '-', not starting or ending with '-' (e.g. 'nas' or 'office-nas').",
        )
    return name


@dataclass(frozen=True)
class DeviceIdentity:
    """What does not change with the configuration: it comes from the hardware and the home."""

    model: str
    serial: str
    mac: str


@dataclass(frozen=True)
class DeviceInfo:
    state: DeviceState
    name: str
    model: str
    serial: str
    version: str
    mac: str
    damage: dict[str, Any] | None


class DeviceService:
    def __init__(self, db: Database, bus: EventBus, identity: DeviceIdentity) -> None:
        self._db = db
        self._bus = bus
        self.identity = identity
        self._state: DeviceState | None = None
        self._name: str | None = None

    def default_name(self) -> str:
        return f"homeport-{self.identity.serial[-4:].lower()}"

    def state(self) -> DeviceState:
        if self._state is None:
            with self._db.read() as conn:
                self._state = cast(DeviceState, read_value(conn, _STATE_KEY) or "not-installed")
        return self._state

    def name(self) -> str:
        if self._name is None:
            with self._db.read() as conn:
                self._name = str(read_value(conn, _NAME_KEY) or self.default_name())
        return self._name

    def info(self) -> DeviceInfo:
        with self._db.read() as conn:
            damage = read_value(conn, _DAMAGE_KEY)
        return DeviceInfo(
            state=self.state(),
            name=self.name(),
            model=self.identity.model,
            serial=self.identity.serial,
            version=__version__,
            mac=self.identity.mac,
            damage=damage,
        )

    def set_state(self, conn: sqlite3.Connection, new: DeviceState) -> None:
        """Within the caller's transaction; listeners hear of it once the transaction has committed."""
        previous = cast(DeviceState, read_value(conn, _STATE_KEY) or "not-installed")
        write_value(conn, _STATE_KEY, new)
        if new != "damaged":
            conn.execute("DELETE FROM settings WHERE key = ?", (_DAMAGE_KEY,))

        def committed() -> None:
            self._state = new
            if previous != new:
                self._bus.publish(DeviceStateChanged(previous=previous, current=new))

        self._db.after_commit(committed)

    def set_name(self, conn: sqlite3.Connection, new: str) -> None:
        previous = str(read_value(conn, _NAME_KEY) or self.default_name())
        write_value(conn, _NAME_KEY, check_device_name(new))

        def committed() -> None:
            self._name = new
            if previous != new:
                self._bus.publish(DeviceRenamed(previous=previous, current=new))

        self._db.after_commit(committed)

    def mark_damaged(self, conn: sqlite3.Connection, damage: dict[str, Any]) -> None:
        self.set_state(conn, "damaged")
        write_value(conn, _DAMAGE_KEY, damage)
