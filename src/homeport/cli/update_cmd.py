"""`homeport update PATH` (through the daemon, root only) and the hidden `homeport update-check`, the half of
the preflight a new release runs with its own code."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from homeport.cli.client import DaemonClient
from homeport.cli.options import DEFAULT, HomeOption, JsonOption
from homeport.cli.output import CHECK_FAILED, FAILED, REFUSED, CliExit, emit_json, fail, say

BUILD_TIMEOUT_SECONDS = 900.0  # building a venv and the preflight, on a slow device
POLL_SECONDS = 0.5
PROGRESS_SECONDS = 1.0
SETTLED = ("committed", "rolled-back", "failed")
OUTCOME_WORDS = {"rolled-back": "rolled back", "failed": "refused"}


def update(
    source: Annotated[Path, typer.Argument(help="A homeport wheel, or a folder of wheels (offline: with its deps).")],
    home: HomeOption = DEFAULT,
    as_json: JsonOption = False,
    wait: Annotated[
        bool, typer.Option("--wait/--no-wait", help="Wait for the trial's outcome (committed or rolled back).")
    ] = True,
) -> None:
    """Update Homeport: build the release beside this one, check it, switch, and keep it only if its trial passes."""
    if not as_json:
        say(f"Building and checking {source} (this takes a minute; nothing changes unless every check passes)...")
    with DaemonClient(home, as_json=as_json, timeout=BUILD_TIMEOUT_SECONDS) as daemon:
        started = _post_showing_progress(daemon, home, source, as_json)
        if not as_json:
            say(f"Preflight passed: switching from {started['from_version']} to {started['to_version']}.")
            say("The daemon restarts into the new release's trial...")
        if not wait:
            if as_json:
                emit_json(started)
            return
        trial_seconds = float(started.get("trial_seconds") or 120)
    outcome = _wait_for_outcome(home, started["id"], trial_seconds + 120, as_json)
    state = outcome.get("state")
    if state == "committed":
        if as_json:
            emit_json(outcome)
        else:
            say(f"Committed: Homeport {outcome['to_version']} passed its trial and runs now.")
        return
    fail(  # with --json, this error is the one document (the journal is not printed beside it)
        f"The update to {outcome.get('to_version')} was {OUTCOME_WORDS.get(str(state), state)}: "
        f"{outcome.get('reason') or 'see homeport log'}. "
        f"Homeport {outcome.get('from_version')} runs again with the configuration from before.",
        REFUSED if state == "rolled-back" else FAILED,
        as_json=as_json,
    )


def _post_showing_progress(daemon: DaemonClient, home: Path, source: Path, as_json: bool) -> dict[str, Any]:
    """POST the update (it answers once the release is built and checked) while printing the journal's new lines."""
    outcome: dict[str, Any] = {}

    def post() -> None:
        try:
            outcome["answer"] = daemon.call("POST", "/updates", json={"source": str(source.absolute())})
        except CliExit as exc:  # already printed; raised again in the main thread
            outcome["exit"] = exc

    worker = threading.Thread(target=post, name="update-post", daemon=True)
    worker.start()
    shown = 0
    while worker.is_alive():
        worker.join(PROGRESS_SECONDS)
        if not as_json:
            shown = _show_progress(home, shown)
    if "exit" in outcome:
        raise outcome["exit"]
    answer: dict[str, Any] = outcome["answer"]
    return answer


def _show_progress(home: Path, shown: int) -> int:
    """Print the lines of the update being prepared that were not printed yet; returns how many are printed."""
    answer = _quiet_get(home)
    last = (answer or {}).get("last") or {}
    if last.get("state") != "preparing":
        return shown
    lines = list(last.get("log") or [])
    for line in lines[shown:]:
        say(f"  {line}")
    return max(shown, len(lines))


def _wait_for_outcome(home: Path, update_id: str, seconds: float, as_json: bool) -> dict[str, Any]:
    """Poll the daemon (it restarts, perhaps twice) until the update settles; bounded in time."""
    deadline = time.monotonic() + seconds
    last: dict[str, Any] = {}
    while time.monotonic() < deadline:
        answer = _quiet_get(home)
        if answer is None:  # the daemon is restarting: its socket is gone for a moment
            time.sleep(POLL_SECONDS)
            continue
        last = answer.get("last") or {}
        if last.get("id") == update_id and last.get("state") in SETTLED:
            return dict(last)
        time.sleep(POLL_SECONDS)
    fail(
        f"The update had not settled after {seconds:.0f} s (last step: {last.get('state', 'unknown')}); "
        "see `homeport log` and the Updates page.",
        FAILED,
        as_json=as_json,
    )
    return last  # unreachable: fail() raises


def _quiet_get(home: Path) -> dict[str, Any] | None:
    """GET /updates, or None while the daemon is not answering (no error printed: a restart is expected)."""
    import httpx2 as httpx

    from homeport.home import Home

    transport = httpx.HTTPTransport(uds=str(Home(home).socket_path))
    try:
        with httpx.Client(transport=transport, base_url="http://homeport/api/v1", timeout=10) as client:
            response = client.get("/updates")
    except httpx.HTTPError:
        return None
    if response.status_code != 200:
        return None
    answer: dict[str, Any] = response.json()
    return answer


def update_check(
    store: Annotated[Path, typer.Option("--store", help="A copy of the store to migrate.")],
    canaries: Annotated[Path, typer.Option("--canaries", help="The running release's canary credentials.")],
    key: Annotated[Path, typer.Option("--key", help="The device's secrets key (read only).")],
) -> None:
    """Run by the running release with this release's Python: migrate a store copy, verify canaries, answer JSON."""
    from homeport.updates.check import check_release

    answer = check_release(store, canaries, key)
    print(json.dumps(answer))
    if not answer["ok"]:
        raise typer.Exit(CHECK_FAILED)


def install_supervisor(
    ctx: typer.Context,
    releases: Annotated[Path, typer.Option("--releases", help="The releases root (with `current`).")] = Path(
        "/opt/homeport"
    ),
) -> None:
    """Put the update supervisor in the releases root for the systemd unit; arguments after `--` go to serve."""
    from homeport.updates.restart import install_supervisor as install
    from homeport.updates.service import DEFAULT_TRIAL_SECONDS

    serve = list(ctx.args)
    if "--home" not in serve:
        serve += ["--home", str(DEFAULT)]
    if "--releases" not in serve:
        serve += ["--releases", str(releases.absolute())]
    home = Path(serve[serve.index("--home") + 1])
    if not (releases / "current").is_symlink():
        fail(f"{releases}/current does not exist: build the first release there and link it first.", REFUSED)
    script = install(releases.absolute(), home, serve, DEFAULT_TRIAL_SECONDS)
    say(f"Installed {script}; start it with: python3 -I {script} {releases.absolute() / 'supervisor.json'}")
