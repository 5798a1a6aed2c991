"""Button sources: Linux input events (evdev), a GPIO line (libgpiod v2), and the virtual button."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import structlog

from homeport.hardware.input_events import EV_KEY, KEY_PRESSED, KEY_RELEASED, RecordSplitter, key_code
from homeport.hardware.interfaces import ButtonEdge, ButtonEvent

_log = structlog.get_logger("homeport.hardware")


class EvdevButton:
    """Reads `struct input_event` records from a device node (or a FIFO) and reports one key's edges.

    Edge times come from the events' own timestamps, mapped onto the monotonic clock at the first event, so
    the timing is the kernel's, not when the daemon got round to reading.
    """

    def __init__(self, path: Path, key: str = "KEY_RESTART") -> None:
        self.path = path
        self.code = key_code(key)
        self.description = f"evdev:{path}:{key}"

    async def events(self) -> AsyncIterator[ButtonEvent]:
        loop = asyncio.get_running_loop()
        fd = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK)
        readable = asyncio.Event()
        loop.add_reader(fd, readable.set)
        splitter = RecordSplitter()
        offset: float | None = None
        try:
            while True:
                await readable.wait()
                readable.clear()
                try:
                    chunk = os.read(fd, 4096)
                except BlockingIOError:
                    continue
                if not chunk:  # a FIFO whose writer closed: wait for the next writer
                    await asyncio.sleep(0.05)
                    continue
                for event in splitter.feed(chunk):
                    if (
                        event.type != EV_KEY
                        or event.code != self.code
                        or event.value not in (KEY_PRESSED, KEY_RELEASED)
                    ):
                        continue  # other keys, sync reports, autorepeat
                    if offset is None:
                        offset = time.monotonic() - event.seconds
                    edge = ButtonEdge.PRESSED if event.value == KEY_PRESSED else ButtonEdge.RELEASED
                    yield ButtonEvent(edge, event.seconds + offset)
        finally:
            loop.remove_reader(fd)
            os.close(fd)


class GpioButton:
    """A button on a GPIO line, through libgpiod v2 (`gpiod`): edge events with kernel timestamps."""

    def __init__(self, chip: str, line: int, active_low: bool = True) -> None:
        self.chip = chip if chip.startswith("/") else f"/dev/{chip}"
        self.line = line
        self.active_low = active_low
        self.description = f"gpio:{chip}:{line}{':active-low' if active_low else ''}"

    def _request(self) -> Any:
        import gpiod
        from gpiod.line import Bias, Direction, Edge

        settings = gpiod.LineSettings(
            direction=Direction.INPUT, edge_detection=Edge.BOTH,
            bias=Bias.PULL_UP if self.active_low else Bias.PULL_DOWN,
            active_low=self.active_low,
        )  # fmt: skip
        return gpiod.request_lines(self.chip, consumer="homeport-reset", config={self.line: settings})

    async def events(self) -> AsyncIterator[ButtonEvent]:
        import gpiod

        loop = asyncio.get_running_loop()
        request = await asyncio.to_thread(self._request)
        readable = asyncio.Event()
        loop.add_reader(request.fd, readable.set)
        offset: float | None = None
        try:
            while True:
                await readable.wait()
                readable.clear()
                for event in await asyncio.to_thread(request.read_edge_events):
                    seconds = event.timestamp_ns / 1e9  # CLOCK_MONOTONIC by default in the kernel's uAPI
                    if offset is None:
                        offset = time.monotonic() - seconds
                    rising = event.event_type == gpiod.EdgeEvent.Type.RISING_EDGE
                    yield ButtonEvent(ButtonEdge.PRESSED if rising else ButtonEdge.RELEASED, seconds + offset)
        finally:
            loop.remove_reader(request.fd)
            with contextlib.suppress(Exception):
                request.release()


class VirtualButton:
    """For machines without a button: `homeport button hold SECONDS` / `press` through the root-only socket."""

    description = "virtual"

    def __init__(self) -> None:
        self._queue: asyncio.Queue[ButtonEvent] = asyncio.Queue()
        self.held_since: float | None = None

    def push(self, edge: ButtonEdge) -> None:
        now = time.monotonic()
        self.held_since = now if edge is ButtonEdge.PRESSED else None
        self._queue.put_nowait(ButtonEvent(edge, now))

    async def hold(self, seconds: float) -> None:
        """Press, keep it down for `seconds`, release (real time: the same timings as a real button)."""
        self.push(ButtonEdge.PRESSED)
        try:
            await asyncio.sleep(seconds)
        finally:
            self.push(ButtonEdge.RELEASED)

    async def events(self) -> AsyncIterator[ButtonEvent]:
        while True:
            yield await self._queue.get()
