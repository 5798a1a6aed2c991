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
from homeport.core.cache import Cached
from homeport.core.errors import InvalidInput
from homeport.core.events import DeviceRenamed, DeviceStateChanged, EventBus
from homeport.core.text import DIRECTION_CONTROLS_PROBLEM, has_direction_controls
from homeport.store.db import Database
from homeport.system.settings import read_value, write_value

DeviceState = Literal["not-installed", "ready", "recovery", "migratable", "damaged"]
SIGNED_IN_STATES: frozenset[DeviceState] = frozenset({"ready", "recovery"})

_STATE_KEY = "system.state"
_NAME_KEY = "system.name"
_DAMAGE_KEY = "system.damage"
DEVICE_NAME_PATTERN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")


def check_device_name(name: str, field: str = "name") -> str:
    """A DNS label (RFC 1123), because the name becomes `<name>.local` on the LAN."""
    if has_direction_controls(name):  # invisible, so the general message below would not tell what to remove
        raise InvalidInput.field(field, DIRECTION_CONTROLS_PROBLEM)
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
        self._state = Cached(self._load_state)
        self._name = Cached(self._load_name)

    def default_name(self) -> str:
        return f"homeport-{self.identity.serial[-4:].lower()}"

    def _load_state(self) -> DeviceState:
        with self._db.read() as conn:
            return self.state_in(conn)

    def _load_name(self) -> str:
        with self._db.read() as conn:
            return str(read_value(conn, _NAME_KEY) or self.default_name())

    def invalidate(self) -> None:
        """Forget cached values (after a change made to the store directly, such as a factory reset)."""
        self._state.invalidate()
        self._name.invalidate()

    def state(self) -> DeviceState:
        return self._state.get()

    def state_in(self, conn: sqlite3.Connection) -> DeviceState:
        """The state as the caller's transaction sees it (the cache may lag a concurrent commit)."""
        return cast(DeviceState, read_value(conn, _STATE_KEY) or "not-installed")

    def name(self) -> str:
        return self._name.get()

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
        previous = self.state_in(conn)
        write_value(conn, _STATE_KEY, new)
        if new != "damaged":
            conn.execute("DELETE FROM settings WHERE key = ?", (_DAMAGE_KEY,))
        self._state.invalidate()
        self._db.after_transaction(self._state.invalidate)
        if previous != new:
            self._db.after_commit(lambda: self._bus.publish(DeviceStateChanged(previous=previous, current=new)))

    def set_name(self, conn: sqlite3.Connection, new: str) -> None:
        previous = str(read_value(conn, _NAME_KEY) or self.default_name())
        write_value(conn, _NAME_KEY, check_device_name(new))
        self._name.invalidate()
        self._db.after_transaction(self._name.invalidate)
        if previous != new:
            self._db.after_commit(lambda: self._bus.publish(DeviceRenamed(previous=previous, current=new)))

    def mark_damaged(self, conn: sqlite3.Connection, damage: dict[str, Any]) -> None:
        self.set_state(conn, "damaged")
        write_value(conn, _DAMAGE_KEY, damage)
