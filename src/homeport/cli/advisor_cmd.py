"""`homeport advisor`: the Security Advisor's last run (or a new one with `--run`), worst first, each check
with what to do and the console page where it is fixed."""

from __future__ import annotations

import datetime
from typing import Annotated, Any

import typer

from homeport.cli.client import DaemonClient
from homeport.cli.options import DEFAULT, HomeOption, JsonOption
from homeport.cli.output import CHECK_FAILED, CliExit, emit_json, say, table

WORST_FIRST = ("fail", "warn", "info", "pass")


def _verdict(finding: dict[str, Any]) -> str:
    if not finding["changed"]:
        return str(finding["verdict"])
    before = finding["previous_verdict"]
    return f"{finding['verdict']} (was {before})" if before else f"{finding['verdict']} (new)"


def show_run(run: dict[str, Any]) -> None:
    """A run as people read it: when and why, the counts, then a table of the checks, worst first."""
    at = datetime.datetime.fromtimestamp(run["ran_at"]).strftime("%Y-%m-%d %H:%M:%S")
    counts = ", ".join(f"{run['counts'].get(v, 0)} {v}" for v in WORST_FIRST)
    changed = sum(1 for f in run["findings"] if f["changed"])
    compared = "the first run kept" if run["previous_run"] is None else f"{changed} changed since the run before"
    say(f"Security Advisor run #{run['id']} on {at}, {run['reason']} ({run['actor']}): {counts}; {compared}.")
    findings = sorted(run["findings"], key=lambda f: WORST_FIRST.index(f["verdict"]))
    rows = [[_verdict(f), f"{f['title']}\n{f['explanation']}", f["fix"]] for f in findings]
    table("Checks", ["Verdict", "Check, and what to do", "Where (console)"], rows)


def advisor(
    home: HomeOption = DEFAULT,
    run: Annotated[
        bool, typer.Option("--run", help="Run every check now (the run is kept) instead of showing the last run.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Show the Security Advisor's checks, worst first, and what changed since the run before.

    Exit code 0 when no check fails (warnings included), 8 when at least one check fails, so a script can
    alert on it; the other exit codes are those of every command (4: no run kept yet, use --run).
    """
    with DaemonClient(home, as_json=as_json) as daemon:
        result = daemon.call("POST", "/advisor/run") if run else daemon.call("GET", "/advisor")
    if as_json:
        emit_json(result)
    else:
        show_run(result)
    if any(f["verdict"] == "fail" for f in result["findings"]):
        raise CliExit(CHECK_FAILED)
