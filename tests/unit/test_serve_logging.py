"""The daemon's log: a traceback never carries the values of local variables (a password in a sign-in frame)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SECRET = "s3cret-typed-at-sign-in"

# Run in a child process: configure_logging sets global logging state for the whole interpreter.
# The password comes from argv, so it is in a local variable of the failing frame but never in the source.
SCRIPT = """
import sys

import structlog

from homeport.serve import configure_logging

configure_logging()
_log = structlog.get_logger("homeport.auth")


def sign_in(username, password):
    try:
        raise ValueError("hash check blew up")
    except ValueError:
        _log.exception("sign-in failed", username=username)


sign_in("alice", sys.argv[1])
"""


def test_a_logged_exception_has_its_traceback_but_not_the_locals(tmp_path: Path) -> None:
    script = tmp_path / "sign_in_bug.py"
    script.write_text(SCRIPT)
    done = subprocess.run(
        [sys.executable, str(script), SECRET], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "sign-in failed" in done.stderr
    assert "Traceback (most recent call last)" in done.stderr
    assert "ValueError: hash check blew up" in done.stderr
    assert "in sign_in" in done.stderr
    assert SECRET not in done.stderr and SECRET not in done.stdout
