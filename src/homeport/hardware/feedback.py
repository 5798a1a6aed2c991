"""Feedback to the person at the box: a buzzer (PC speaker tones through input events, or a GPIO line), a
status LED (sysfs LED class), or virtual stand-ins that show in `homeport status`, the log and the console.

Patterns: `one-beep` (4 s mark), `three-beeps` (Mode 2), `applying` (a reset is being applied), `recovery`
(the recovery window is open), `confirm` (a recovery sign-in waits for a short press of the button),
`ready`, `off`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import structlog

from homeport.hardware.input_events import EV_SND, EV_SYN, SND_TONE, SYN_REPORT, InputEvent

_log = structlog.get_logger("homeport.hardware")

TONE_HZ = 2000
# (on seconds, off seconds) steps for the buzzer
BEEPS: dict[str, list[tuple[float, float]]] = {
    "one-beep": [(0.3, 0.0)],
    "three-beeps": [(0.15, 0.1), (0.15, 0.1), (0.15, 0.0)],
    "applying": [(0.05, 0.15)] * 5,
    "confirm": [(0.08, 0.08), (0.08, 0.0)],
}
# (trigger, delay_on ms, delay_off ms, brightness) for an LED
LED: dict[str, tuple[str, int, int, int]] = {
    "ready": ("none", 0, 0, 1),
    "off": ("none", 0, 0, 0),
    "recovery": ("timer", 1000, 1000, 1),
    "applying": ("timer", 100, 100, 1),
    "confirm": ("timer", 150, 850, 1),
    "one-beep": ("timer", 300, 300, 1),
    "three-beeps": ("timer", 150, 100, 1),
}


@dataclass(frozen=True)
class Played:
    at: float
    device: str
    pattern: str


class VirtualFeedback:
    """Remembers what it would have shown; the daemon lists it in status, log and console."""

    def __init__(self, name: str, history: deque[Played]) -> None:
        self.description = f"virtual {name}"
        self._name = name
        self._history = history

    def play(self, pattern: str) -> None:
        self._history.append(Played(time.time(), self._name, pattern))
        _log.info("feedback", device=self.description, pattern=pattern)


class EvdevBuzzer:
    """PC speaker through its input device (e.g. /dev/input/by-path/platform-pcspkr-event-spkr)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.description = f"evdev buzzer {path}"
        self._task: asyncio.Task[None] | None = None

    def _write(self, hertz: int) -> None:
        now = time.time()
        records = InputEvent(now, EV_SND, SND_TONE, hertz).pack() + InputEvent(now, EV_SYN, SYN_REPORT, 0).pack()
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_NONBLOCK)  # append: meaningless for a device
        try:
            os.write(fd, records)
        finally:
            os.close(fd)

    def play(self, pattern: str) -> None:
        steps = BEEPS.get(pattern)
        if not steps:
            return
        if self._task is not None:
            self._task.cancel()
        self._task = asyncio.get_running_loop().create_task(self._beep(steps))

    async def _beep(self, steps: list[tuple[float, float]]) -> None:
        try:
            for on, off in steps:
                await asyncio.to_thread(self._write, TONE_HZ)
                await asyncio.sleep(on)
                await asyncio.to_thread(self._write, 0)
                await asyncio.sleep(off)
        except OSError as exc:
            _log.warning("buzzer failed", device=str(self.path), error=str(exc))
        finally:
            with contextlib.suppress(OSError):
                self._write(0)


class GpioBuzzer:
    """An active buzzer on a GPIO line (libgpiod v2)."""

    def __init__(self, chip: str, line: int) -> None:
        self.chip = chip if chip.startswith("/") else f"/dev/{chip}"
        self.line = line
        self.description = f"gpio buzzer {chip}:{line}"
        self._request: Any = None

    def _set(self, on: bool) -> None:
        import gpiod
        from gpiod.line import Direction, Value

        if self._request is None:
            settings = gpiod.LineSettings(direction=Direction.OUTPUT, output_value=Value.INACTIVE)
            self._request = gpiod.request_lines(self.chip, consumer="homeport-buzzer", config={self.line: settings})
        self._request.set_value(self.line, Value.ACTIVE if on else Value.INACTIVE)

    def play(self, pattern: str) -> None:
        steps = BEEPS.get(pattern)
        if steps:
            asyncio.get_running_loop().create_task(self._beep(steps))

    async def _beep(self, steps: list[tuple[float, float]]) -> None:
        try:
            for on, off in steps:
                await asyncio.to_thread(self._set, True)
                await asyncio.sleep(on)
                await asyncio.to_thread(self._set, False)
                await asyncio.sleep(off)
        except OSError as exc:
            _log.warning("buzzer failed", device=self.description, error=str(exc))


class SysfsLed:
    """A status LED of the sysfs LED class (/sys/class/leds/NAME): timer trigger for blinking."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.description = f"LED {directory}"

    def play(self, pattern: str) -> None:
        setting = LED.get(pattern)
        if setting is None:
            return
        trigger, delay_on, delay_off, brightness = setting
        try:
            (self.directory / "trigger").write_text(trigger)
            if trigger == "timer":
                (self.directory / "delay_on").write_text(str(delay_on))
                (self.directory / "delay_off").write_text(str(delay_off))
            else:
                maximum = (self.directory / "max_brightness").read_text().strip() if brightness else "0"
                (self.directory / "brightness").write_text(maximum or "1")
        except OSError as exc:
            _log.warning("LED failed", device=str(self.directory), error=str(exc))
