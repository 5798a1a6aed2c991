"""The running release's half of the preflight: a copy of the store (`VACUUM INTO`) and canary credentials in the
update's private folder, handed to the new release's own `homeport update-check`; nothing live is touched."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from homeport.accounts.passwords import Argon2Parameters
from homeport.auth.sealing import KEY_FILE, Sealer
from homeport.store.backup import backup_to, remove_sidecars
from homeport.store.db import Database
from homeport.updates.canaries import make_canaries, write_canaries

CHECK_TIMEOUT_SECONDS = 300


@dataclass(frozen=True)
class PreflightResult:
    ok: bool
    problems: tuple[tuple[str, str], ...]  # (check, why)
    schema: int | None

    def summary(self) -> str:
        return "; ".join(f"{check}: {why.rstrip('.')}" for check, why in self.problems)


def run_preflight(
    db: Database, home: Path, sealer: Sealer, configured: Argon2Parameters, venv: Path, folder: Path
) -> PreflightResult:
    """Run the new release's check on a copy of the store and on fresh canaries; the copy and canaries go after."""
    copy = folder / "preflight-store.sqlite"
    canaries_file = folder / "canaries.json"
    with contextlib.suppress(FileNotFoundError):
        copy.unlink()
    try:
        with db.read() as conn:
            backup_to(conn, copy)
            canaries = make_canaries(conn, sealer, configured)
        write_canaries(canaries_file, canaries)
        return _ask(venv, copy, canaries_file, home / KEY_FILE)
    finally:
        for leftover in (canaries_file, copy):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()
        remove_sidecars(copy)


def _ask(venv: Path, copy: Path, canaries: Path, key: Path) -> PreflightResult:
    command = [
        str(venv / "bin" / "python"), "-I", "-m", "homeport", "update-check",
        "--store", str(copy), "--canaries", str(canaries), "--key", str(key),
    ]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    try:
        done = subprocess.run(  # noqa: S603 (the new release's own entry point, an argument list)
            command, capture_output=True, text=True, timeout=CHECK_TIMEOUT_SECONDS, env=env, check=False
        )
    except subprocess.TimeoutExpired:
        return _failed("preflight", f"the new release's check did not finish within {CHECK_TIMEOUT_SECONDS} s")
    try:
        answer = json.loads(done.stdout.strip().splitlines()[-1])
        problems = tuple((str(p["check"]), str(p["detail"])) for p in answer["problems"])
        return PreflightResult(ok=bool(answer["ok"]) and not problems, problems=problems, schema=answer.get("schema"))
    except (ValueError, KeyError, IndexError, TypeError):
        last = next((line for line in reversed(done.stderr.splitlines()) if line.strip()), "no output")
        return _failed("preflight", f"the new release's check did not run ({last.strip()[:300]})")


def _failed(check: str, why: str) -> PreflightResult:
    return PreflightResult(ok=False, problems=((check, why),), schema=None)
