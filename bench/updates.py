"""Updates between real releases: from staged (built and preflighted, the switch begins) to committed, and a failed
trial to rolled back (the old release answering again), beside a plain daemon restart measured in the same run.

The steps' times come from the update journal's own history (each state is written, fsynced, with its time); the
whole `homeport update` (build of the venv with pip, preflight, switch, trial) is shown too.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.support.releases import ReleaseDaemon, Wheelhouse, add_migration, build_base_release, replace_in

ADMIN, PASSWORD = "alice", "correct horse battery staple"
MIGRATES = add_migration(50, 'conn.execute("CREATE TABLE update_bench (id INTEGER)")')
FAILS_TRIAL = replace_in(
    "api/routes/auth.py",
    "    result = svc.login.sign_in(body.username, body.password, origin_of(request))\n",
    "    raise ValueError('every sign-in refused (bench)')\n",
)


def _history(home: Path) -> dict[str, float]:
    journal = json.loads((home / "updates" / "journal.json").read_text())
    return dict(journal["history"])


def _update(device: ReleaseDaemon, source: Path) -> tuple[float, dict[str, float]]:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "homeport", "update", str(source), "--json", "--home", str(device.home)],
        capture_output=True, timeout=900, check=False,
    )  # fmt: skip
    return time.perf_counter() - started, _history(device.home)


def _restart_seconds(device: ReleaseDaemon) -> float:
    device.stop()
    started = time.perf_counter()
    device.start()
    return time.perf_counter() - started


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="hp-bench-upd-", dir="/tmp"))
    device: ReleaseDaemon | None = None
    try:
        wheels = Wheelhouse(work / "wheels")
        base = build_base_release(wheels, work / "base-root")
        releases = work / "opt"
        (releases / "releases").mkdir(parents=True)
        (releases / "releases" / base.name).symlink_to(base)
        (releases / "current").symlink_to(releases / "releases" / base.name)
        (work / "volume1").mkdir()
        device = ReleaseDaemon(work / "home", work / "volume1", releases=releases, trial_seconds=120)
        device.start().set_up(ADMIN, PASSWORD)
        restarts = [_restart_seconds(device) for _ in range(3)]
        failing = wheels.variant("fails", "0.3.0", FAILS_TRIAL)
        whole_failed, failed = _update(device, failing)
        good = wheels.variant("good", "0.2.0", MIGRATES)
        whole_good, committed = _update(device, good)
        to_commit = committed["committed"] - committed["switching"]
        # The last "rolled-back" entry is the old release's report, made once it runs again.
        to_rollback = failed["rolled-back"] - failed["switching"]
        print("updates (real releases, pip-built venvs, trial with a real HTTPS sign-in):")
        print(f"  plain daemon restart (SIGTERM to HTTPS answer), best of 3: {min(restarts):6.2f} s")
        print(f"  staged -> committed (switch, restart, trial, commit):     {to_commit:6.2f} s")
        print(f"  failed trial -> rolled back, old release running again:   {to_rollback:6.2f} s")
        print(f"  whole `homeport update` (venv build, preflight, ...):     {whole_good:6.2f} s committed, ", end="")
        print(f"{whole_failed:.2f} s rolled back")
    finally:
        if device is not None:
            device.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
