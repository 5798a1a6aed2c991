"""The recovery window of Mode 1: while it is open, an administrator may sign in with an empty password, from
a directly attached subnet only, into a session that can only set that account's new password."""

from __future__ import annotations

import ipaddress
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass

from homeport.system.settings import read_value, write_value

WINDOW_KEY = "recovery.window"


@dataclass(frozen=True)
class Window:
    reset_id: int
    opens_at: float
    closes_at: float

    def open_at(self, now: float) -> bool:
        return self.opens_at <= now < self.closes_at


def current(conn: sqlite3.Connection) -> Window | None:
    value = read_value(conn, WINDOW_KEY)
    if not value:
        return None
    return Window(int(value["reset_id"]), float(value["opens_at"]), float(value["closes_at"]))


def open_window(conn: sqlite3.Connection, reset_id: int, now: float, minutes: int) -> Window:
    window = Window(reset_id, now, now + minutes * 60)
    write_value(conn, WINDOW_KEY, window.__dict__)
    return window


def close(conn: sqlite3.Connection) -> None:
    write_value(conn, WINDOW_KEY, None)


IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def directly_attached(client: str, networks: Iterable[IpNetwork]) -> bool:
    """Loopback, or an address on one of the device's own subnets (not through a gateway)."""
    try:
        address = ipaddress.ip_address(client)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.is_loopback:
        return True
    return any(address.version == net.version and address in net for net in networks if net.prefixlen > 0)
