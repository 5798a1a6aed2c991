"""Restarting into another release: the daemon stops cleanly, then either exits with RESTART_EXIT to its
supervisor, or (not supervised yet) re-executes itself as the supervisor, which starts `current` as its child."""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

from homeport.core.atomic import write_atomic
from homeport.updates import supervisor
from homeport.updates.releases import base_python

SUPERVISOR_FILE = "supervisor.py"
CONFIG_FILE = "supervisor.json"


class RestartRequest:
    """Asked for by the update service; carried out by `homeport serve` once every listener has stopped."""

    def __init__(self) -> None:
        self.requested = False
        self._stop: Callable[[], None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def bind(self, loop: asyncio.AbstractEventLoop, stop: Callable[[], None]) -> None:
        self._loop, self._stop = loop, stop

    def request(self, delay: float = 0.5) -> None:
        """Stop the daemon after `delay` (the answer to the request that asked gets out first); thread-safe."""
        self.requested = True
        if self._loop is not None and self._stop is not None:
            stop = self._stop
            self._loop.call_soon_threadsafe(lambda: asyncio.get_running_loop().call_later(delay, stop))


def supervised() -> bool:
    return os.environ.get(supervisor.SUPERVISED_ENV) == "1"


def serve_arguments(argv: list[str]) -> list[str]:
    """What follows `serve` on this daemon's command line."""
    return argv[argv.index("serve") + 1 :] if "serve" in argv else []


def install_supervisor(root: Path, home: Path, serve: list[str], trial_seconds: float) -> Path:
    """The supervisor script and its settings in the releases root (the base command: how this install runs when
    `current` does not exist, an installation that is not a release yet)."""
    root.mkdir(mode=0o755, parents=True, exist_ok=True)
    script = root / SUPERVISOR_FILE
    temporary = root / f".{SUPERVISOR_FILE}.new"
    shutil.copyfile(supervisor.__file__, temporary)
    os.chmod(temporary, 0o644)
    os.replace(temporary, script)
    config = {
        "home": str(home.absolute()),
        "base": [sys.executable, "-m", "homeport"],
        "serve": serve,
        "trial_seconds": trial_seconds,
    }
    import json

    write_atomic(root / CONFIG_FILE, json.dumps(config, indent=2).encode(), 0o600)
    return script


def restart_into_current(root: Path) -> None:
    """Called after the daemon has stopped: hand over to the supervisor (or back to it). Does not return."""
    if supervised():
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(supervisor.RESTART_EXIT)
    python = base_python()
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(python, [python, "-I", str(root / SUPERVISOR_FILE), str(root / CONFIG_FILE)])  # noqa: S606
