"""Homeport's own smbd (`--smb embedded`), kept running by smb/process.py.

smbd makes itself a session leader unless told not to; it runs in a new session of its own with
`--no-process-group`, so stopping it can never signal the daemon's process group.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from homeport.smb.process import Supervised
from homeport.smb.tools import SambaTools


@dataclass(frozen=True)
class ServerState:
    running: bool
    pid: int | None
    restarts: int
    last_exit: str  # why the last run ended, "" if none did


class EmbeddedSmbd:
    def __init__(self, tools: SambaTools, port: int, host: str = "127.0.0.1") -> None:
        self._tools = tools
        self.port = port
        self._host = host
        self._stopping = threading.Event()
        layout = tools.layout
        self._process = Supervised(
            "smbd",
            lambda: [tools.binary("smbd"), "--foreground", "--no-process-group", "-s", str(layout.conf)],
            tools.environment,
            before_start=lambda: stop_stale(layout.folder("pid"), layout.conf),
            why_stopped=lambda _code: _log_tail(layout.log_file),
        )

    def start(self) -> None:
        self._stopping.clear()
        self._process.start()

    def state(self) -> ServerState:
        pid = self._process.pid
        return ServerState(pid is not None, pid, self._process.restarts, self._process.last_exit)

    def answers(self, timeout: float = 0.5) -> bool:
        """Whether smbd accepts connections on its port now."""
        try:
            with socket.create_connection((self._host, self.port), timeout=timeout):
                return True
        except OSError:
            return False

    def wait_until_answering(self, seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.answers():
                return True
            if self._stopping.wait(0.05):
                return False
        return False

    def stop(self) -> None:
        self._stopping.set()
        self._process.stop()


def stop_stale(pid_folder: Path, conf: Path) -> None:
    """An smbd of this home left from a daemon that was killed: stopped before a new one starts."""
    for pid_file in pid_folder.glob("*.pid"):
        with contextlib.suppress(OSError, ValueError):
            pid = int(pid_file.read_text().strip())
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            if str(conf).encode() in cmdline and any(part.endswith(b"smbd") for part in cmdline):
                os.killpg(pid, signal.SIGKILL)
                for _ in range(50):
                    if not Path(f"/proc/{pid}").exists():
                        break
                    time.sleep(0.05)


def _log_tail(log_file: Path, lines: int = 3) -> str:
    try:
        text = log_file.read_text(errors="replace").strip().splitlines()
    except OSError:
        return ""
    wanted = [line.strip() for line in text[-12:] if line.strip() and not line.startswith("[")]
    return (": " + " / ".join(wanted[-lines:])) if wanted else ""
