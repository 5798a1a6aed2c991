"""A small typed in-process publish/subscribe, so domains announce changes without knowing who listens.

The device's state and name are published here; the TLS certificate manager listens today, and the mDNS
advertiser will listen the same way (RFC 6762 sections 8.3 and 10.1: re-announce when records change).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

import structlog

_log = structlog.get_logger("homeport.events")

EventT = TypeVar("EventT")


@dataclass(frozen=True)
class DeviceStateChanged:
    previous: str
    current: str


@dataclass(frozen=True)
class DeviceRenamed:
    previous: str
    current: str


@dataclass(frozen=True)
class HostClaimed:
    """The LAN host name the device announces (`<label>.local`): its name, or `<name>-N` if that was taken."""

    label: str


@dataclass(frozen=True)
class AddressesChanged:
    """An interface gained or lost an address, or the web ports moved (published on the event loop)."""


@dataclass(frozen=True)
class NoticeRaised:
    """Something the administrators must hear of (an update rolled back, a backup failed...).

    Any domain publishes it; the notice service keeps it on the overview and sends it by email and webhook.
    `title` and `body` are plain sentences for a person and never hold a secret (they leave the device).
    """

    kind: str  # a stable machine name, e.g. "update.rolled_back"
    title: str
    body: str
    severity: Literal["info", "warning", "critical"] = "info"


class EventBus:
    """Synchronous delivery in subscription order; a failing subscriber is logged and does not stop the others."""

    def __init__(self) -> None:
        self._subscribers: dict[type[Any], list[Callable[[Any], None]]] = {}

    def subscribe(self, event_type: type[EventT], handler: Callable[[EventT], None]) -> None:
        self._subscribers.setdefault(event_type, []).append(handler)

    def publish(self, event: object) -> None:
        for handler in self._subscribers.get(type(event), []):
            try:
                handler(event)
            except Exception:
                _log.exception("event subscriber failed", event_type=type(event).__name__)
