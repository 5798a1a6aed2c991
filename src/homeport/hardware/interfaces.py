"""What the recovery logic needs from hardware, as small interfaces that adapters (evdev, gpiod, virtual)
implement. The button state machine consumes `ButtonEvent`s with times from a monotonic clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from enum import Enum
from typing import Protocol


class ButtonEdge(Enum):
    PRESSED = "pressed"
    RELEASED = "released"


@dataclass(frozen=True)
class ButtonEvent:
    edge: ButtonEdge
    at: float  # monotonic seconds, as the source observed it


class ButtonSource(Protocol):
    description: str

    def events(self) -> AsyncIterator[ButtonEvent]:
        """Edges of the reset button, in order, until the source is closed."""
        ...


class Feedback(Protocol):
    """A buzzer or an LED: plays a named pattern ("one-beep", "three-beeps", "applying", ...)."""

    description: str

    def play(self, pattern: str) -> None: ...
