"""The update supervisor and the update journal: standard library only, so it still works when a new release
cannot even import.

Copied into the releases root at every switch and run there with the system Python (`python3 -I supervisor.py
ROOT/supervisor.json`). It starts `ROOT/current/venv/bin/homeport serve ...` as its child (or the base command of
an installation that is not a release yet) and decides, before every start, from the journal:

| journal state  | what the supervisor does before starting a child                                        |
|----------------|-----------------------------------------------------------------------------------------|
| switching      | link already on the new release: begin the trial; else nothing changed: mark rolled-back |
| trial          | first start of the new release: count the attempt, set the deadline; a second: roll back |
| rolling-back   | roll back (again: every step is idempotent)                                             |
| anything else  | start `current`                                                                         |

While the child runs in `trial` it watches the deadline; a child that exits during the trial, or is still in
trial at the deadline, is rolled back: the store comes back from the backup first, then the link, and only then
is the old release started, so an old release never opens a store a newer one migrated.
The child exits with RESTART_EXIT to be started again (after a switch, or to have a failed trial rolled back).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

RESTART_EXIT = 75  # EX_TEMPFAIL: "start me again", from a daemon that switched releases or failed its trial
SUPERVISED_ENV = "HOMEPORT_SUPERVISED"
JOURNAL_NAME = "journal.json"
POLL_SECONDS = 0.2
STOP_GRACE_SECONDS = 20.0
START_GRACE_SECONDS = 60.0  # beyond the trial: the new release's own start (migrations, certificates)
ACTIVE_STATES = ("switching", "trial", "rolling-back")


# --- durable small files ----------------------------------------------------------------------------------


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Temp file in the same folder, fsync, rename, fsync the folder: the file is the old one or the new one."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    try:
        os.write(fd, json.dumps(data, indent=2, sort_keys=True).encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(temporary, path)
    _fsync_directory(path.parent)


def read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text())
    except (FileNotFoundError, ValueError):
        return None
    return data if isinstance(data, dict) else None


# --- the journal ------------------------------------------------------------------------------------------


def journal_path(home: Path) -> Path:
    return home / "updates" / JOURNAL_NAME


def set_state(home: Path, journal: dict[str, Any], state: str, **changes: Any) -> dict[str, Any]:
    """Move the journal to `state` (with `changes`), durably, and keep the step in its history."""
    journal = {**journal, **changes, "state": state}
    journal["history"] = [*journal.get("history", []), [state, time.time()]]
    write_json(journal_path(home), journal)
    return journal


# --- the `current` link -----------------------------------------------------------------------------------


def current_release(root: Path) -> Path | None:
    link = root / "current"
    return Path(os.path.realpath(link)) if os.path.islink(link) else None


def switch_link(root: Path, target: Path | None) -> None:
    """Point `current` at `target` atomically (a new link renamed over the old one); None removes it."""
    link = root / "current"
    if target is None:
        with contextlib.suppress(FileNotFoundError):
            link.unlink()
    else:
        temporary = root / f".current.{os.getpid()}"
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
        os.symlink(target, temporary)
        os.replace(temporary, link)
    _fsync_directory(root)


# --- rolling back -----------------------------------------------------------------------------------------


def restore_store(backup: Path, db_path: Path) -> None:
    """The store as it was before the switch: copied beside, fsynced, the WAL dropped, renamed into place."""
    temporary = db_path.with_name(f".{db_path.name}.rollback")
    with backup.open("rb") as source, temporary.open("wb") as target:
        while chunk := source.read(1 << 20):
            target.write(chunk)
        target.flush()
        os.fsync(target.fileno())
    os.chmod(temporary, 0o600)
    for suffix in ("-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            db_path.with_name(db_path.name + suffix).unlink()
    os.replace(temporary, db_path)
    _fsync_directory(db_path.parent)


def roll_back(root: Path, home: Path, journal: dict[str, Any], reason: str) -> dict[str, Any]:
    """Store first, then the link: the old release must never open a store the new one migrated."""
    if journal.get("state") != "rolling-back":
        journal = set_state(home, journal, "rolling-back", reason=reason)
    backup = journal.get("backup")
    if backup and Path(backup).exists():
        restore_store(Path(backup), home / "config.sqlite")
    previous = journal.get("from_release")
    switch_link(root, Path(previous) if previous else None)
    failed = journal.get("to_release")
    if failed and Path(failed).is_dir():
        with contextlib.suppress(OSError):
            (Path(failed) / "FAILED").write_text(journal.get("reason", reason) + "\n")
    return set_state(home, journal, "rolled-back", reported=False)


def prepare_start(
    root: Path, home: Path, trial_seconds: float, start_grace: float = START_GRACE_SECONDS
) -> dict[str, Any] | None:
    """Settle the journal before a child starts (see the table above); returns it."""
    journal = read_json(journal_path(home))
    if journal is None:
        return None
    state = journal.get("state")
    target = journal.get("to_release")
    on_target = target is not None and current_release(root) == Path(os.path.realpath(target))
    if state == "switching":
        if not on_target:
            return set_state(home, journal, "rolled-back", reason="interrupted before the switch", reported=False)
        journal = set_state(home, journal, "trial", attempts=0)
        state = "trial"
    if state == "trial":
        if int(journal.get("attempts", 0)) >= 1:
            why = journal.get("reason") or "the new release stopped during its trial"
            return roll_back(root, home, journal, why)
        deadline = time.time() + float(journal.get("trial_seconds", trial_seconds)) + start_grace
        return set_state(home, journal, "trial", attempts=1, deadline=deadline)
    if state == "rolling-back":
        return roll_back(root, home, journal, journal.get("reason") or "the trial failed")
    return journal


# --- the supervisor ---------------------------------------------------------------------------------------


class Supervisor:
    def __init__(self, config_path: Path) -> None:
        config = read_json(config_path)
        if config is None:
            raise SystemExit(f"supervisor: cannot read {config_path}")
        self.root = config_path.parent
        self.home = Path(config["home"])
        self.base: list[str] = list(config["base"])
        self.serve: list[str] = list(config["serve"])
        self.trial_seconds = float(config.get("trial_seconds", 120))
        self.start_grace = float(config.get("start_grace_seconds", START_GRACE_SECONDS))
        self.child: subprocess.Popen[bytes] | None = None
        self.stopping = False

    def command(self) -> list[str]:
        current = current_release(self.root)
        program = [str(current / "venv" / "bin" / "homeport")] if current is not None else self.base
        return [*program, "serve", *self.serve]

    def run(self) -> int:
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, self._forward)
        while True:
            journal = prepare_start(self.root, self.home, self.trial_seconds, self.start_grace)
            env = {**os.environ, SUPERVISED_ENV: "1"}
            if current_release(self.root) is not None:
                env.pop("PYTHONPATH", None)  # a release runs its own venv's code, never a development checkout's
            self.child = subprocess.Popen(self.command(), env=env)  # noqa: S603 (our own daemon, an argument list)
            code = self._watch()
            if self.stopping:
                return 0
            journal = read_json(journal_path(self.home)) or journal
            state = journal.get("state") if journal else None
            if journal is not None and state in ("trial", "rolling-back"):
                why = journal.get("reason") or f"the new release stopped during its trial (exit status {code})"
                roll_back(self.root, self.home, journal, why)
                continue
            if code != RESTART_EXIT:
                return code

    def _watch(self) -> int:
        assert self.child is not None
        while True:
            code = self.child.poll()
            if code is not None:
                return code
            journal = read_json(journal_path(self.home))
            if journal and journal.get("state") == "trial" and time.time() > float(journal.get("deadline") or 1e18):
                set_state(self.home, journal, "trial", reason="the new release did not pass its trial in time")
                return self._stop_child()
            time.sleep(POLL_SECONDS)

    def _stop_child(self) -> int:
        assert self.child is not None
        self.child.terminate()
        try:
            return self.child.wait(STOP_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            self.child.kill()
            return self.child.wait()

    def _forward(self, signum: int, _frame: object) -> None:
        self.stopping = True
        if self.child is not None and self.child.poll() is None:
            self.child.send_signal(signum)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python3 -I supervisor.py ROOT/supervisor.json", file=sys.stderr)
        return 2
    return Supervisor(Path(argv[1])).run()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
