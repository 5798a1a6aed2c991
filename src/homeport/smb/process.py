"""A helper program kept running: started in a session of its own, restarted with back-off when it stops, and
gone with the daemon (it gets SIGKILL when the thread that started it ends, even if the daemon is killed)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable

import structlog

_log = structlog.get_logger("homeport.smb")

FIRST_BACKOFF = 1.0
MAX_BACKOFF = 60.0
STABLE_SECONDS = 60.0  # a run this long resets the back-off
STOP_GRACE = 5.0


class Supervised:
    def __init__(
        self, name: str, command: Callable[[], list[str]], env: Callable[[], dict[str, str]],
        before_start: Callable[[], None] = lambda: None, why_stopped: Callable[[int], str] | None = None,
    ) -> None:  # fmt: skip
        self.name = name
        self._command = command
        self._env = env
        self._before_start = before_start
        self._why_stopped = why_stopped or (lambda code: f"{name} exited with status {code}")
        self._restart_why = ""  # set by restart(): the next start comes at once
        self._stopping = threading.Event()
        self._process: subprocess.Popen[bytes] | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.restarts = 0
        self.last_exit = ""

    def start(self) -> None:
        self._stopping.clear()
        self._thread = threading.Thread(target=self._supervise, name=f"homeport-{self.name}", daemon=True)
        self._thread.start()

    @property
    def pid(self) -> int | None:
        with self._lock:
            process = self._process
        return process.pid if process is not None and process.poll() is None else None

    def restart(self, why: str) -> None:
        """Stop the running program; the supervisor starts it again at once."""
        with self._lock:
            process = self._process
            if process is None or process.poll() is not None:
                return
            self._restart_why = why
        _log.warning("restarting a helper program", program=self.name, reason=why)
        stop_process(process)

    def stop(self) -> None:
        self._stopping.set()
        with self._lock:
            process = self._process
        if process is not None:
            stop_process(process)
        if self._thread is not None:
            self._thread.join(STOP_GRACE + 2)

    def _supervise(self) -> None:
        backoff = FIRST_BACKOFF
        while not self._stopping.is_set():
            started = time.monotonic()
            try:
                self._before_start()
                process = self._spawn()
            except Exception as exc:  # a missing program, a bad environment: said, and tried again later
                self.last_exit = f"{self.name} could not start: {exc}"
                _log.error("a helper program could not start", program=self.name, reason=str(exc))
            else:
                with self._lock:
                    self._process = process
                code = process.wait()
                if self._stopping.is_set():
                    break
                with self._lock:
                    why, self._restart_why = self._restart_why, ""
                if why:
                    self.last_exit = f"{self.name} was restarted: {why}"
                    continue
                self.last_exit = self._why_stopped(code)
                _log.warning("a helper program stopped; restarting", program=self.name, status=code,
                             after_seconds=round(backoff, 1))  # fmt: skip
            if time.monotonic() - started > STABLE_SECONDS:
                backoff = FIRST_BACKOFF
            if self._stopping.wait(backoff):
                break
            backoff = min(backoff * 2, MAX_BACKOFF)
            self.restarts += 1

    def _spawn(self) -> subprocess.Popen[bytes]:
        command = ["setpriv", "--pdeathsig", "KILL", "--", *self._command()]
        return subprocess.Popen(  # noqa: S603 - fixed binaries
            command, env=self._env(), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip


def stop_process(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to its whole process group, SIGKILL after the grace period."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(STOP_GRACE)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(STOP_GRACE)
