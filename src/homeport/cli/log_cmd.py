"""`homeport log [--follow]`."""

from __future__ import annotations

import datetime
import json
import time
from typing import Annotated, Any

import typer

from homeport.cli.client import DaemonClient
from homeport.cli.options import DEFAULT, HomeOption, JsonOption
from homeport.cli.output import emit_json, out

FOLLOW_INTERVAL = 1.0


def _line(record: dict[str, Any]) -> str:
    at = datetime.datetime.fromtimestamp(record["at"]).strftime("%Y-%m-%d %H:%M:%S")
    who = record["actor"] or "-"
    where = f" from {record['client']}" if record["client"] else ""
    target = f" {record['target']}" if record["target"] else ""
    detail = f" {json.dumps(record['detail'], sort_keys=True)}" if record["detail"] else ""
    return f"{at}  {record['action']:<24} {record['outcome']:<8} {who}{where}{target}{detail}"


def log(
    home: HomeOption = DEFAULT,
    follow: Annotated[bool, typer.Option("--follow", "-f", help="Keep printing new entries.")] = False,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=1000)] = 50,
    max_seconds: Annotated[
        float, typer.Option("--max-seconds", hidden=True, help="Stop following after this long (for tests).")
    ] = 0.0,
    as_json: JsonOption = False,
) -> None:
    """Show the audit log, oldest of the last LIMIT entries first."""
    with DaemonClient(home, as_json=as_json) as daemon:
        records = list(reversed(daemon.call("GET", "/log", params={"limit": limit})))
        for record in records:
            print(json.dumps(record, sort_keys=True)) if as_json else out.print(_line(record), markup=False)
        if not follow:
            if as_json and not records:
                emit_json([])
            return
        last = records[-1]["id"] if records else 0
        started = time.monotonic()
        while not max_seconds or time.monotonic() - started < max_seconds:
            time.sleep(FOLLOW_INTERVAL)
            for record in daemon.call("GET", "/log", params={"after": last, "limit": 1000}):
                print(json.dumps(record, sort_keys=True), flush=True) if as_json else out.print(
                    _line(record), markup=False
                )
                last = record["id"]
