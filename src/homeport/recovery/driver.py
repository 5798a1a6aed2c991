"""Runs the button: edges from the source go through the state machine; beeps go to the feedback devices,
decisions to the executor and short presses to the recovery window's presence check (each in its own task,
so the button keeps being watched while a reset runs)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable

import structlog

from homeport.hardware.interfaces import ButtonEdge, ButtonEvent, ButtonSource
from homeport.recovery.button import Beep, ButtonMachine, ButtonTimings, Decided, Output, ShortPress
from homeport.recovery.executor import RecoveryExecutor

_log = structlog.get_logger("homeport.recovery")

BEEP_PATTERNS = {1: "one-beep", 3: "three-beeps"}


class ButtonDriver:
    def __init__(
        self,
        source: ButtonSource,
        executor: RecoveryExecutor,
        feedback: Callable[[str], None],
        short_press: Callable[[], object],
        timings: ButtonTimings | None = None,
    ) -> None:
        self.source = source
        self._executor = executor
        self._feedback = feedback
        self._short_press = short_press
        self._machine = ButtonMachine(timings=timings or ButtonTimings())
        self._queue: asyncio.Queue[ButtonEvent] = asyncio.Queue()
        self._tasks: set[asyncio.Task[object]] = set()
        self.decisions: list[str] = []

    def start(self) -> None:
        self._spawn(self._pump())
        self._spawn(self._run())

    def _spawn(self, work: object) -> None:
        task: asyncio.Task[object] = asyncio.get_running_loop().create_task(work)  # type: ignore[arg-type]
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _pump(self) -> None:
        """Source events into a queue: the machine's wait may time out without disturbing the source."""
        try:
            async for event in self.source.events():
                await self._queue.put(event)
        except Exception:
            _log.exception("the button source failed; the reset button is not watched")

    async def _run(self) -> None:
        while True:
            deadline = self._machine.next_deadline()
            timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                event = await asyncio.wait_for(self._queue.get(), timeout)
            except TimeoutError:
                self._handle(self._machine.tick(time.monotonic()))
                continue
            if event.edge is ButtonEdge.PRESSED:
                self._handle(self._machine.press(event.at))
            else:
                self._handle(self._machine.release(event.at))

    def _handle(self, outputs: list[Output]) -> None:
        for output in outputs:
            if isinstance(output, Beep):
                self._feedback(BEEP_PATTERNS.get(output.count, "one-beep"))
            elif isinstance(output, Decided):
                _log.warning("reset decided by the button", decision=output.decision.value)
                self.decisions.append(output.decision.value)
                self._spawn(self._executor.run(output.decision))
            elif isinstance(output, ShortPress):
                self._spawn(asyncio.to_thread(self._short_press))

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        with contextlib.suppress(Exception):
            await asyncio.gather(*self._tasks, return_exceptions=True)
