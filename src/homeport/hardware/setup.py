"""Turns the daemon's `--button`, `--buzzer` and `--led` options into hardware objects."""

from __future__ import annotations

import asyncio
from collections import deque
from pathlib import Path

from homeport.hardware.buttons import EvdevButton, GpioButton, VirtualButton
from homeport.hardware.feedback import EvdevBuzzer, GpioBuzzer, Played, SysfsLed, VirtualFeedback
from homeport.hardware.interfaces import ButtonSource, Feedback

HISTORY = 20


class SpecError(ValueError):
    """A hardware option that cannot be understood; the message shows the accepted forms."""


def button_from(spec: str) -> ButtonSource:
    """`virtual`, `evdev:/dev/input/eventN[:KEY]`, or `gpio:CHIP:LINE[:active-high]`."""
    kind, _, rest = spec.partition(":")
    if kind == "virtual" and not rest:
        return VirtualButton()
    if kind == "evdev" and rest:
        path, _, key = rest.partition(":")
        try:
            return EvdevButton(Path(path), key or "KEY_RESTART")
        except ValueError as exc:
            raise SpecError(str(exc)) from exc
    if kind == "gpio":
        parts = rest.split(":")
        if (
            len(parts) in (2, 3)
            and parts[1].isdigit()
            and (len(parts) == 2 or parts[2] in ("active-low", "active-high"))
        ):
            return GpioButton(parts[0], int(parts[1]), active_low=not (len(parts) == 3 and parts[2] == "active-high"))
    raise SpecError(f"'{spec}': use virtual, evdev:/dev/input/eventN[:KEY] or gpio:CHIP:LINE[:active-high]")


class FeedbackPanel:
    """Every feedback device, played together; safe to call from any thread (it hops onto the event loop)."""

    def __init__(self, devices: list[Feedback]) -> None:
        self.devices = devices
        self.history: deque[Played] = deque(maxlen=HISTORY)
        self._loop: asyncio.AbstractEventLoop | None = None

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    def play(self, pattern: str) -> None:
        loop = self._loop
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if loop is not None and running is not loop:
            loop.call_soon_threadsafe(self._play, pattern)
        else:
            self._play(pattern)

    def _play(self, pattern: str) -> None:
        for device in self.devices:
            device.play(pattern)


def feedback_from(buzzer: str, led: str) -> FeedbackPanel:
    """`--buzzer virtual|none|evdev:PATH|gpio:CHIP:LINE` and `--led virtual|none|sysfs:NAME-or-PATH`."""
    panel = FeedbackPanel([])
    history = panel.history
    kind, _, rest = buzzer.partition(":")
    if kind == "virtual":
        panel.devices.append(VirtualFeedback("buzzer", history))
    elif kind == "evdev" and rest:
        panel.devices.append(EvdevBuzzer(Path(rest)))
    elif kind == "gpio" and len(rest.split(":")) == 2 and rest.split(":")[1].isdigit():
        chip, line = rest.split(":")
        panel.devices.append(GpioBuzzer(chip, int(line)))
    elif kind != "none":
        raise SpecError(f"'{buzzer}': use virtual, none, evdev:/dev/input/... or gpio:CHIP:LINE")
    kind, _, rest = led.partition(":")
    if kind == "virtual":
        panel.devices.append(VirtualFeedback("led", history))
    elif kind == "sysfs" and rest:
        panel.devices.append(SysfsLed(Path(rest) if rest.startswith("/") else Path("/sys/class/leds") / rest))
    elif kind != "none":
        raise SpecError(f"'{led}': use virtual, none or sysfs:NAME")
    return panel
