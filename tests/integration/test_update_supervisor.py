"""The update supervisor as a process, with stand-ins for releases (scripts at `venv/bin/homeport`): a trial that
never commits is stopped at its deadline and rolled back, and the old release is started. Real releases and real
daemons are in test_updates.py; this checks the deadline, which a real release passes too quickly to see."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from homeport.updates import supervisor

pytestmark = pytest.mark.integration

RELEASE = """#!{python}
import os, pathlib, sys, time
pathlib.Path({marker!r}).write_text(" ".join(sys.argv[1:]))
time.sleep(120)
"""


def stand_in(root: Path, name: str) -> Path:
    """A release whose `homeport` records that it was started (with its arguments), then just runs."""
    release = root / "releases" / name
    program = release / "venv" / "bin" / "homeport"
    program.parent.mkdir(parents=True)
    program.write_text(RELEASE.format(python=sys.executable, marker=str(root / f"started-{name}")))
    program.chmod(0o755)
    return release


def wait_for(check: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return False


def test_a_trial_that_does_not_commit_in_time_is_rolled_back_and_the_old_release_started(tmp_path: Path) -> None:
    root, home = tmp_path / "opt", tmp_path / "home"
    old, new = stand_in(root, "0.1.0-a"), stand_in(root, "0.2.0-b")
    home.mkdir()
    (home / "config.sqlite").write_bytes(b"migrated by 0.2.0")
    backup = home / "updates" / "u1" / "store-before-update.sqlite"
    backup.parent.mkdir(parents=True)
    backup.write_bytes(b"as 0.1.0 left it")
    (root / "current").symlink_to(new)
    journal = {
        "id": "u1", "from_release": str(old), "to_release": str(new), "from_version": "0.1.0", "to_version": "0.2.0",
        "backup": str(backup), "trial_seconds": 1, "attempts": 0, "reason": "",
    }  # fmt: skip
    supervisor.set_state(home, journal, "switching")
    config = {"home": str(home), "base": ["false"], "serve": ["--home", str(home)], "start_grace_seconds": 0.5}
    (root / "supervisor.json").write_text(json.dumps(config))
    command = [sys.executable, "-I", supervisor.__file__, str(root / "supervisor.json")]
    process = subprocess.Popen(command, start_new_session=True)
    try:
        assert wait_for((root / "started-0.2.0-b").exists, 10)
        assert (root / "started-0.2.0-b").read_text() == f"serve --home {home}"
        assert wait_for((root / "started-0.1.0-a").exists, 30)  # deadline 1.5 s, then a 20 s grace at most
        settled = supervisor.read_json(supervisor.journal_path(home))
        assert settled is not None
        assert settled["state"] == "rolled-back"
        assert settled["reason"] == "the new release did not pass its trial in time"
        assert (home / "config.sqlite").read_bytes() == b"as 0.1.0 left it"
        assert os.path.realpath(root / "current") == str(old)
        assert (new / "FAILED").exists()
        os.kill(process.pid, signal.SIGTERM)  # forwarded to the release; the supervisor then ends
        assert process.wait(30) == 0
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)
