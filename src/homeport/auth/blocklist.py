"""The auto block list: client addresses refused after too many failed sign-ins, kept across restarts."""

from __future__ import annotations

import ipaddress
import threading
from collections.abc import Callable
from dataclasses import dataclass

from homeport.core.addresses import parse_client
from homeport.core.clock import Clock
from homeport.core.errors import InvalidInput
from homeport.store.db import Database


@dataclass(frozen=True)
class Block:
    address: str
    blocked_at: float
    until: float
    reason: str


GLOBAL_UNICAST = ipaddress.ip_network("2000::/3")


def throttle_key(address: str, attached: bool = False) -> str:
    """What failures are counted against: the client's own address, except a routed global IPv6 address,
    counted per /64 (a remote host may own the whole prefix). On the device's own LAN, and for link-local
    and unique-local addresses, every household device shares the /64: each is counted on its own."""
    ip = parse_client(address)
    if ip is None:
        return address
    if ip.version == 6 and not attached and ip in GLOBAL_UNICAST:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


class BlockList:
    """Cached in memory (checked on every sign-in before anything else), persisted in the store."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock
        self._lock = threading.Lock()
        with db.read() as conn:
            rows = conn.execute("SELECT address, blocked_at, until, reason FROM blocked_addresses").fetchall()
        self._blocks = {str(r[0]): Block(str(r[0]), float(r[1]), float(r[2]), str(r[3])) for r in rows}

    def blocked_until(self, key: str) -> float | None:
        block = self._blocks.get(key)
        if block is None or block.until <= self._clock.now():
            return None
        return block.until

    def add(self, key: str, seconds: float, reason: str) -> Block:
        now = self._clock.now()
        block = Block(key, now, now + seconds, reason)
        with self._db.write() as conn:
            conn.execute(
                "INSERT INTO blocked_addresses (address, blocked_at, until, reason) VALUES (?, ?, ?, ?)"
                " ON CONFLICT(address) DO UPDATE SET blocked_at = excluded.blocked_at, until = excluded.until,"
                " reason = excluded.reason",
                (key, block.blocked_at, block.until, reason),
            )
        with self._lock:
            self._blocks[key] = block
        return block

    def remove(self, key: str) -> bool:
        with self._db.write() as conn:
            removed = conn.execute("DELETE FROM blocked_addresses WHERE address = ?", (key,)).rowcount > 0
        with self._lock:
            self._blocks.pop(key, None)
        return removed

    def active(self) -> list[Block]:
        now = self._clock.now()
        return sorted((b for b in self._blocks.values() if b.until > now), key=lambda b: b.blocked_at)

    def purge_expired(self) -> None:
        now = self._clock.now()
        with self._db.write() as conn:
            conn.execute("DELETE FROM blocked_addresses WHERE until <= ?", (now,))
        with self._lock:
            self._blocks = {k: b for k, b in self._blocks.items() if b.until > now}


def parse_block_key(text: str, key_of: Callable[[str], str] = throttle_key) -> str:
    """The block list entry an administrator means: an address (counted as sign-ins count it) or a network."""
    if parse_client(text.strip()) is not None:
        return key_of(text.strip())
    try:
        return str(ipaddress.ip_network(text.strip(), strict=False))
    except ValueError:
        raise InvalidInput.field("address", "Enter an address such as 192.168.1.20.") from None
