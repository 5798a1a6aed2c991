"""The reset button as a pure state machine (recovery.md, "The reset button"). Time comes with each input.

    held < 4 s                               a short press: confirms a waiting recovery sign-in (else nothing)
    held >= 4 s                              one beep at the 4 s mark; on release a 10 s window opens
    window ends with no second long press    Mode 1
    second hold >= 4 s, begun in the window  three beeps at its 4 s mark: Mode 2

Edges closer together than BOUNCE_SECONDS are contact bounce: a release followed that quickly by a press is
one continuous hold. A second press begun in the window but released before 4 s gives Mode 1 when the window
has ended by then (or at the window's end).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

HOLD_SECONDS = 4.0
WINDOW_SECONDS = 10.0
BOUNCE_SECONDS = 0.05


@dataclass(frozen=True)
class ButtonTimings:
    """The gesture's timings: the real button's by default; tests scale them down instead of waiting."""

    hold: float = HOLD_SECONDS
    window: float = WINDOW_SECONDS
    bounce: float = BOUNCE_SECONDS

    def scaled(self, factor: float) -> ButtonTimings:
        return ButtonTimings(self.hold * factor, self.window * factor, self.bounce * factor)


class Decision(Enum):
    MODE_1 = "mode1"
    MODE_2 = "mode2"


@dataclass(frozen=True)
class Beep:
    count: int


@dataclass(frozen=True)
class Decided:
    decision: Decision


@dataclass(frozen=True)
class ShortPress:
    """Pressed and let go within 4 s, outside a reset gesture: the owner says "I am here"."""


Output = Beep | Decided | ShortPress


class _Phase(Enum):
    IDLE = "idle"
    FIRST_HOLD = "first-hold"
    WINDOW = "window"
    SECOND_HOLD = "second-hold"


@dataclass
class ButtonMachine:
    """Feed it `press(t)`, `release(t)` and `tick(t)` (t: monotonic seconds, never decreasing); each returns
    what to do now. Call `next_deadline()` to know when a tick is due."""

    phase: _Phase = _Phase.IDLE
    pressed_at: float = 0.0
    beeped: bool = False
    window_ends: float = 0.0
    pending_release: float | None = None
    outputs: list[Output] = field(default_factory=list)
    timings: ButtonTimings = field(default_factory=ButtonTimings)

    def press(self, now: float) -> list[Output]:
        self._advance(now)
        if self.pending_release is not None:
            self.pending_release = None  # bounce: the hold goes on
            return self._take()
        if self.phase is _Phase.IDLE:
            self._start_hold(_Phase.FIRST_HOLD, now)
        elif self.phase is _Phase.WINDOW:
            self._start_hold(_Phase.SECOND_HOLD, now)
        return self._take()

    def release(self, now: float) -> list[Output]:
        self._advance(now)
        if self.phase in (_Phase.FIRST_HOLD, _Phase.SECOND_HOLD) and self.pending_release is None:
            self.pending_release = now
        return self._take()

    def tick(self, now: float) -> list[Output]:
        self._advance(now)
        return self._take()

    def next_deadline(self) -> float | None:
        """The next moment something can happen without an edge."""
        candidates = []
        if self.pending_release is not None:
            candidates.append(self.pending_release + self.timings.bounce)  # not held meanwhile: no beep is due
        elif self.phase in (_Phase.FIRST_HOLD, _Phase.SECOND_HOLD) and not self.beeped:
            candidates.append(self.pressed_at + self.timings.hold)
        if self.phase in (_Phase.WINDOW, _Phase.SECOND_HOLD):
            candidates.append(self.window_ends)
        return min(candidates) if candidates else None

    # --- internals ----------------------------------------------------------------------------------------

    def _start_hold(self, phase: _Phase, now: float) -> None:
        self.phase, self.pressed_at, self.beeped = phase, now, False

    def _take(self) -> list[Output]:
        taken, self.outputs = self.outputs, []
        return taken

    def _advance(self, now: float) -> None:
        """Let everything due by `now` happen, in time order."""
        while True:
            deadline = self.next_deadline()
            if deadline is None or deadline > now:
                return
            self._at(deadline)

    def _at(self, moment: float) -> None:
        if self.pending_release is not None and moment >= self.pending_release + self.timings.bounce:
            released, self.pending_release = self.pending_release, None
            self._released(released)
            return
        holding = self.phase in (_Phase.FIRST_HOLD, _Phase.SECOND_HOLD) and self.pending_release is None
        if holding and not self.beeped and moment >= self.pressed_at + self.timings.hold:
            self.beeped = True
            if self.phase is _Phase.FIRST_HOLD:
                self.outputs.append(Beep(1))
            else:
                self.outputs += [Beep(3), Decided(Decision.MODE_2)]
                self.phase = _Phase.IDLE
            return
        if self.phase is _Phase.WINDOW and moment >= self.window_ends:
            self._decide_mode_1()
        elif self.phase is _Phase.SECOND_HOLD and moment >= self.window_ends:
            self.window_ends = float("inf")  # the hold under way decides: Mode 2 at 4 s, Mode 1 on release

    def _released(self, at: float) -> None:
        if self.phase is _Phase.FIRST_HOLD:
            if self.beeped:
                self.phase, self.window_ends = _Phase.WINDOW, at + self.timings.window
            else:
                self.phase = _Phase.IDLE  # held < 4 s: no reset
                self.outputs.append(ShortPress())
        elif self.phase is _Phase.SECOND_HOLD:
            if self.window_ends == float("inf") or at >= self.window_ends:
                self._decide_mode_1()
            else:
                self.phase = _Phase.WINDOW  # a short second press inside the window changes nothing

    def _decide_mode_1(self) -> None:
        self.outputs.append(Decided(Decision.MODE_1))
        self.phase = _Phase.IDLE
