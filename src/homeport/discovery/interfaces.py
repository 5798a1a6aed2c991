"""What the daemon tells the LAN about itself: never a secret, never a way to change anything."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Announcement:
    name: str
    state: str
    model: str
    serial: str
    mac: str
    version: str
    https_port: int
    http_port: int
    addresses: tuple[str, ...]
    smb_port: int | None = None  # when the SMB service answers
    time_machine_shares: tuple[str, ...] = ()  # shares Macs may back up to (announced as `_adisk._tcp`)


class Announcer(Protocol):
    async def announce(self, announcement: Announcement) -> None:
        """Publish (or re-publish, after a goodbye for the old records) what the LAN should see."""
        ...

    async def withdraw(self) -> None:
        """Say goodbye for every record (RFC 6762 section 10.1)."""
        ...
