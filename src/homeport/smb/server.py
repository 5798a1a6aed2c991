"""Homeport's own smbd (`--smb embedded`), kept running by smb/process.py (restarted with back-off, gone with the
daemon even if it is killed).

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

from homeport.smb.confine import confined_command, helpers_to_hide
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
        self._passdb_file: tuple[int, int] | None = None  # passdb's (device, inode) as this smbd found it
        self._lock = threading.Lock()
        layout = tools.layout
        self.hidden = helpers_to_hide()
        self._process = Supervised(
            "smbd",
            lambda: confined_command(
                [tools.binary("smbd"), "--foreground", "--no-process-group", "-s", str(layout.conf)], self.hidden
            ),
            tools.environment,
            before_start=self._before_start,
            why_stopped=self._why_it_ended,
        )

    @property
    def host(self) -> str:
        """The address it listens on that clients on this machine reach (loopback unless bound elsewhere)."""
        return self._host

    def _before_start(self) -> None:
        stop_stale(self._tools.layout.folder("pid"), self._tools.layout.conf)
        with self._lock:
            self._passdb_file = _file_id(self._tools.layout.passdb)

    def start(self) -> None:
        self._stopping.clear()
        self._process.start()

    def state(self) -> ServerState:
        pid = self._process.pid
        return ServerState(pid is not None, pid, self._process.restarts, self._process.last_exit)

    def running(self) -> bool:
        """This smbd is alive and accepts connections (not merely something else listening on its port)."""
        return self.state().running and self.answers()

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
        stop_stale(self._tools.layout.folder("pid"), self._tools.layout.conf)  # samba-dcerpcd outlives smbd

    def restart(self, why: str) -> None:
        """Stop the running smbd; the supervisor starts it again at once (clients reconnect)."""
        self._process.restart(why)

    def holds_old_passdb(self) -> bool:
        """Whether passdb.tdb is another file than the one smbd opened: Samba's tools write a new file over a
        damaged or old-format one, and a running smbd keeps reading the file it opened (the old one)."""
        now = _file_id(self._tools.layout.passdb)
        with self._lock:
            if self._process.pid is None:
                return False
            if self._passdb_file is None:  # smbd started before there was one: it opens the first one made
                self._passdb_file = now
            return now is not None and now != self._passdb_file

    def _why_it_ended(self, code: int) -> str:
        if self.answers():  # ours is gone, yet something answers on its port
            return f"smbd could not listen on port {self.port}: another program is using that port."
        return f"smbd exited with status {code}" + _log_tail(self._tools.layout.log_file)


def _file_id(path: Path) -> tuple[int, int] | None:
    try:
        found = path.stat()
    except OSError:
        return None
    return found.st_dev, found.st_ino


SAMBA_DAEMONS = (b"/smbd", b"/samba-dcerpcd")


def pid_in(pid_file: Path) -> int | None:
    """The pid a Samba daemon wrote, or None when there is no readable one."""
    try:
        return int(pid_file.read_text().strip())
    except (OSError, ValueError):
        return None


def stop_stale(pid_folder: Path, conf: Path) -> None:
    """This home's Samba daemons left running, stopped with their process groups: an smbd of a daemon that was
    killed, and samba-dcerpcd, which smbd starts on demand in a session of its own and which outlives it."""
    for pid_file in pid_folder.glob("*.pid"):
        pid = pid_in(pid_file)
        if pid is None:
            continue
        with contextlib.suppress(OSError, ValueError):
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            if cmdline[0].endswith(SAMBA_DAEMONS) and any(str(conf).encode() in part for part in cmdline):
                try:
                    os.killpg(pid, signal.SIGKILL)
                except ProcessLookupError:  # not a group leader
                    os.kill(pid, signal.SIGKILL)
                for _ in range(50):
                    if not Path(f"/proc/{pid}").exists():
                        break
                    time.sleep(0.05)


# A panic's banner, backtrace and core note say nothing an owner can act on.
_LOG_NOISE = ("#", "=", "BACKTRACE", "If you are running", "dumping core", "smbd version", "Copyright")


def _log_tail(log_file: Path, lines: int = 3) -> str:
    try:
        text = log_file.read_text(errors="replace").strip().splitlines()
    except OSError:
        return ""
    wanted = [line.strip() for line in text[-40:] if line.strip() and not line.startswith("[")
              and not line.strip().startswith(_LOG_NOISE)]  # fmt: skip
    return (": " + " / ".join(wanted[-lines:])) if wanted else ""
