"""`homeport approve`: root at the machine answers sign-ins waiting for approval, like a signed-in session would.

Without an ID it lists them; with one, `--number N` approves (a wrong number denies, as anywhere else),
`--deny` denies (`--report`: this wasn't the owner: approvals for the account pause for an hour), and with
neither, on a terminal, it asks which of the three numbers the signing-in browser shows.
"""

from __future__ import annotations

import datetime
import sys
from typing import Annotated, Any

import typer

from homeport.cli.client import DaemonClient
from homeport.cli.options import DEFAULT, HomeOption, JsonOption
from homeport.cli.output import INVALID, NOT_FOUND, emit_json, fail, say


def _when(timestamp: float) -> str:
    return datetime.datetime.fromtimestamp(timestamp).strftime("%H:%M:%S")


def _pick(request: dict[str, Any]) -> int:
    """Ask on the terminal which number the waiting browser shows (1-3 picks by position, or the number)."""
    choices = [int(n) for n in request["choices"]]
    say(
        f"{request['account']} is signing in from {request['client']} ({request['browser']}) since "
        f"{_when(request['requested_at'])}; {request['expires_in']} s left."
    )
    say("Which number does that browser show? " + "   ".join(f"[{i}] {n}" for i, n in enumerate(choices, 1)))
    answer = typer.prompt("Number (or its position)").strip()
    if answer.isdigit() and int(answer) in choices:
        return int(answer)
    if answer not in {"1", "2", "3"}:
        fail(f"'{answer}' is none of {', '.join(map(str, choices))}; nothing was answered.", INVALID)
    return choices[int(answer) - 1]


def approve(
    request_id: Annotated[str, typer.Argument(help="The request's ID (omit it to list them).", metavar="ID")] = "",
    home: HomeOption = DEFAULT,
    number: Annotated[
        int | None, typer.Option("--number", "-n", min=10, max=99, help="The number the signing-in browser shows.")
    ] = None,
    deny: Annotated[bool, typer.Option("--deny", help="Deny the sign-in instead.")] = False,
    report: Annotated[
        bool, typer.Option("--report", help="With --deny: it was not the owner (pauses approvals for an hour).")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """List sign-ins waiting for approval, or approve (or deny) one."""
    if report and not deny:
        fail("--report goes with --deny.", INVALID, as_json=as_json)
    if deny and number is not None:
        fail("Choose --number (approve) or --deny, not both.", INVALID, as_json=as_json)
    with DaemonClient(home, as_json=as_json) as daemon:
        pending = daemon.call("GET", "/approvals")
        if not request_id:
            _list(pending, as_json)
            return
        found = next((r for r in pending if r["id"] == request_id), None)
        if found is None:
            fail(f"No sign-in waits for approval with the ID {request_id}; `homeport approve` lists them.",
                 NOT_FOUND, as_json=as_json)  # fmt: skip
        if deny:
            decided = daemon.call("POST", f"/approvals/{request_id}/deny", json={"report": report})
        else:
            if number is None:
                if as_json or not sys.stdin.isatty():
                    fail("Pass --number N (the number the signing-in browser shows), or --deny.", INVALID,
                         as_json=as_json)  # fmt: skip
                number = _pick(found)
            decided = daemon.call("POST", f"/approvals/{request_id}", json={"number": number})
    if as_json:
        emit_json(decided)
    else:
        outcomes = {
            "approved": "its browser signs in now",
            "denied": "its browser is told so",
        }  # the request's own message speaks to the waiting browser, not to root
        outcome = outcomes.get(str(decided["state"]), str(decided["message"]))
        state = str(decided["state"]).capitalize()
        say(f"{state}: the sign-in of {found['account']} from {found['client']}; {outcome}.")


def _list(pending: list[dict[str, Any]], as_json: bool) -> None:
    if as_json:
        emit_json(pending)
        return
    if not pending:
        say("No sign-in is waiting for approval.")
        return
    say("Sign-ins waiting for approval:")
    for r in pending:  # one line each: the ID stays whole, to copy
        choices = " ".join(str(n) for n in r["choices"])
        say(
            f"  {r['id']}  {r['account']} from {r['client']} ({r['browser']}) since {_when(r['requested_at'])}, "
            f"{r['expires_in']} s left; choices {choices}"
        )
    say("Approve with `homeport approve ID --number N` (the number that browser shows), or deny with --deny.")
