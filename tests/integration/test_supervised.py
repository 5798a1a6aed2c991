"""Helper programs (smbd, wsdd) kept running: restarted with back-off, and gone with the daemon even when it is
killed outright."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from homeport.smb import process as supervised
from homeport.smb.process import Supervised
from homeport.smb.wsdd import windows_discovery

pytestmark = pytest.mark.integration


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def test_a_program_that_stops_is_started_again_with_back_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(supervised, "FIRST_BACKOFF", 0.05)
    program = Supervised("quitter", lambda: ["sh", "-c", "exit 3"], lambda: dict(os.environ))
    program.start()
    try:
        deadline = time.monotonic() + 5
        while program.restarts < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        program.stop()
    assert program.restarts >= 3  # 0.05 + 0.1 + 0.2 s apart: growing, not a busy loop
    assert program.last_exit == "quitter exited with status 3"


def test_a_restart_asked_for_comes_at_once_and_says_why(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(supervised, "FIRST_BACKOFF", 30.0)  # a stop on its own would wait that long
    program = Supervised("sleeper", lambda: ["sleep", "300"], lambda: dict(os.environ))
    program.start()
    try:
        deadline = time.monotonic() + 5
        while program.pid is None and time.monotonic() < deadline:
            time.sleep(0.02)
        first = program.pid
        program.restart("its database was replaced")
        while program.pid in (None, first) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert program.pid not in (None, first)
        assert program.last_exit == "sleeper was restarted: its database was replaced"
    finally:
        program.stop()


def test_stop_ends_it_and_its_children(tmp_path: Path) -> None:
    marker = tmp_path / "child.pid"
    script = f"sleep 300 & echo $! > {marker}; wait"
    program = Supervised("parent", lambda: ["sh", "-c", script], lambda: dict(os.environ))
    program.start()
    try:
        deadline = time.monotonic() + 5
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        child = int(marker.read_text())
        assert alive(child)
    finally:
        program.stop()
    time.sleep(0.2)
    assert not alive(child) and program.pid is None


def test_the_program_dies_with_a_killed_daemon(tmp_path: Path) -> None:
    marker = tmp_path / "program.pid"
    daemon_code = textwrap.dedent(f"""
        import os, time
        from homeport.smb.process import Supervised
        command = ["sh", "-c", "echo $$ > {marker}; exec sleep 300"]
        program = Supervised("sleeper", lambda: command, lambda: dict(os.environ))
        program.start()
        time.sleep(300)
    """)  # fmt: skip
    daemon = subprocess.Popen([sys.executable, "-c", daemon_code], env={**os.environ})
    try:
        deadline = time.monotonic() + 10
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        program = int(marker.read_text())
        assert alive(program)
        daemon.send_signal(signal.SIGKILL)
        daemon.wait(5)
        deadline = time.monotonic() + 5
        while alive(program) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not alive(program)
    finally:
        if daemon.poll() is None:
            daemon.kill()
            daemon.wait(5)
        if marker.exists() and alive(int(marker.read_text())):
            os.kill(int(marker.read_text()), signal.SIGKILL)


def test_windows_discovery_runs_on_the_managed_interfaces_only() -> None:
    found = windows_discovery(("eth0", "eth1"), lambda: "NAS", lambda: "HOME")
    assert found is not None  # Debian's wsdd is installed by make test
    command = found._command()
    assert command[1:] == ["--interface", "eth0", "--interface", "eth1", "--hostname", "NAS", "--workgroup", "HOME",
                           "--shortlog"]  # fmt: skip
    assert windows_discovery((), lambda: "NAS", lambda: "HOME") is None  # no managed interface: nothing announced
