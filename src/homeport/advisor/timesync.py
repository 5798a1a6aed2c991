"""Whether the system clock is kept in sync, asked of the local time service; never a network call of ours.

timedatectl asks systemd-timesyncd (or whatever systemd knows of), chronyc asks the local chronyd, and ntpq the
local ntpd; each answers from this machine. None of them here, or none that answers: we cannot tell.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable

TIMEOUT_SECONDS = 2.0

TimeSync = Callable[[], tuple[bool | None, str]]
"""Returns (synchronised, which tool said so); (None, "") when nothing can tell."""


def _ask(command: list[str]) -> str | None:
    tool = shutil.which(command[0])
    if tool is None:
        return None
    try:
        done = subprocess.run(  # noqa: S603 - a fixed argument list, no shell
            [tool, *command[1:]], capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None


def _timedatectl() -> bool | None:
    answer = _ask(["timedatectl", "show", "--property=NTPSynchronized", "--value"])
    return None if answer is None or answer.strip() not in ("yes", "no") else answer.strip() == "yes"


def _chronyc() -> bool | None:
    answer = _ask(["chronyc", "-n", "tracking"])
    for line in (answer or "").splitlines():
        if line.startswith("Leap status"):
            return "Not synchronised" not in line
    return None


def _ntpq() -> bool | None:
    answer = _ask(["ntpq", "-pn", "127.0.0.1"])
    if answer is None:
        return None
    # The peer the daemon synchronises to is marked `*` (or `o` for a PPS peer).
    return any(line[:1] in ("*", "o") for line in answer.splitlines())


def system_time_sync() -> tuple[bool | None, str]:
    for name, probe in (("timedatectl", _timedatectl), ("chronyc", _chronyc), ("ntpq", _ntpq)):
        found = probe()
        if found is not None:
            return found, name
    return None, ""
