"""`homeport log`: the audit log in the console's order (newest first) and words; `--follow` prints as it
grows, oldest first, like `tail -f`."""

from __future__ import annotations

import datetime
import json
import time
from typing import Annotated, Any

import typer

from homeport.cli import output
from homeport.cli.client import DaemonClient
from homeport.cli.options import DEFAULT, HomeOption, JsonOption
from homeport.cli.output import INVALID, emit_json, fail

FOLLOW_INTERVAL = 1.0


def _line(record: dict[str, Any]) -> str:
    at = datetime.datetime.fromtimestamp(record["at"]).strftime("%Y-%m-%d %H:%M:%S")
    outcome = "" if record["outcome"] == "success" else f" [{record['outcome']}]"
    return f"{at}  {record['sentence']}{outcome}  ({record['action']})"


def _show(record: dict[str, Any], as_jsonl: bool) -> None:
    if as_jsonl:
        print(json.dumps(record, sort_keys=True), flush=True)
    else:
        output.out.print(_line(record), markup=False)


def log(
    home: HomeOption = DEFAULT,
    follow: Annotated[bool, typer.Option("--follow", "-f", help="Keep printing new entries, oldest first.")] = False,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=1000, help="How many entries (1-1000).")] = 50,
    kind: Annotated[
        str,
        typer.Option(
            "--kind",
            metavar="KIND",
            help="Only this family: auth, user, group, session, settings, network, system, recovery.",
        ),
    ] = "",
    user: Annotated[str, typer.Option("--user", metavar="NAME", help="Only what this account did.")] = "",
    search: Annotated[str, typer.Option("--search", "-s", metavar="TEXT", help="Only entries with this text.")] = "",
    max_seconds: Annotated[
        float, typer.Option("--max-seconds", hidden=True, help="Stop following after this long (for tests).")
    ] = 0.0,
    as_json: JsonOption = False,
    as_jsonl: Annotated[bool, typer.Option("--jsonl", help="One JSON object per line (works with --follow).")] = False,
) -> None:
    """Show the audit log: the last LIMIT entries, newest first (as in the console)."""
    if follow and as_json:
        fail("--json prints one document; use --jsonl to follow the log.", INVALID, as_json=True)
    params: dict[str, Any] = {"limit": limit, "user": user, "q": search}
    if kind:
        params["kind"] = kind
    with DaemonClient(home, as_json=as_json or as_jsonl) as daemon:
        records = daemon.call("GET", "/log", params=params)
        if as_json:
            emit_json(records)
            return
        for record in reversed(records) if follow else records:
            _show(record, as_jsonl)
        if not follow:
            return
        last = records[0]["id"] if records else 0
        started = time.monotonic()
        while not max_seconds or time.monotonic() - started < max_seconds:
            time.sleep(FOLLOW_INTERVAL)
            for record in daemon.call("GET", "/log", params={**params, "after": last, "limit": 1000}):
                _show(record, as_jsonl)
                last = record["id"]
