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


def timedatectl_says(answer: str) -> bool | None:
    """`timedatectl show --property=NTPSynchronized --value`: yes or no."""
    word = answer.strip()
    return word == "yes" if word in ("yes", "no") else None


def chronyc_says(answer: str) -> bool | None:
    """`chronyc -n tracking`: its "Leap status" line says "Not synchronised" until chronyd has a source."""
    for line in answer.splitlines():
        if line.startswith("Leap status"):
            return "Not synchronised" not in line
    return None


def ntpq_says(answer: str) -> bool | None:
    """`ntpq -pn`: the peer ntpd synchronises to is marked `*` (or `o` for a PPS peer)."""
    peers = [line for line in answer.splitlines()[2:] if line.strip()]  # after the heading and the rule
    return any(line[:1] in ("*", "o") for line in peers) if peers else None


PROBES = (
    ("timedatectl", ["timedatectl", "show", "--property=NTPSynchronized", "--value"], timedatectl_says),
    ("chronyc", ["chronyc", "-n", "tracking"], chronyc_says),
    ("ntpq", ["ntpq", "-pn", "127.0.0.1"], ntpq_says),
)


def system_time_sync() -> tuple[bool | None, str]:
    for name, command, read in PROBES:
        answer = _ask(command)
        found = None if answer is None else read(answer)
        if found is not None:
            return found, name
    return None, ""
