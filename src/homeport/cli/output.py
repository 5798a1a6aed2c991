"""Printing for people (rich) or scripts (`--json`), and the exit codes the CLI promises.

Exit codes: 0 done; 1 failed inside Homeport; 2 invalid input or usage; 3 the daemon is not reachable;
4 not found; 5 refused in the current state (a guardrail); 6 not allowed; 7 throttled or busy, retry later;
8 a check failed (a Security Advisor check, `homeport advisor`; Samba's accounts differ, `homeport smb check`).
"""

from __future__ import annotations

import json
import sys
from functools import cache
from typing import TYPE_CHECKING, Any, NoReturn

from homeport.core.text import neutralise_direction_controls

if TYPE_CHECKING:
    from rich.console import Console, RenderableType

OK, FAILED, INVALID, UNREACHABLE, NOT_FOUND, REFUSED, NOT_ALLOWED, RETRY_LATER, CHECK_FAILED = range(9)
EXIT_OF_STATUS = {
    400: INVALID,
    401: NOT_ALLOWED,
    403: NOT_ALLOWED,
    404: NOT_FOUND,
    409: REFUSED,
    413: INVALID,
    422: INVALID,
    429: RETRY_LATER,
    503: RETRY_LATER,
}


@cache
def _consoles() -> tuple[Console, Console]:
    # Made when first used: `homeport serve` imports every command and never prints a table (0.5 MB saved).
    from rich.console import Console

    return Console(highlight=False, soft_wrap=True), Console(stderr=True, highlight=False, soft_wrap=True)


def _console(name: str) -> Console:
    """`out` or `err`: made on first use, and kept as the module's attribute (a test may put its own there)."""
    if name not in globals():
        globals()[name] = _consoles()[name == "err"]
    console: Console = globals()[name]
    return console


def __getattr__(name: str) -> Console:
    """`output.out` and `output.err`, the consoles for standard output and standard error."""
    if name in ("out", "err"):
        return _console(name)
    raise AttributeError(name)


class CliExit(Exception):
    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


def json_error(message: str, code: int, fields: dict[str, str] | None = None) -> None:
    """An error as the JSON document a command given `--json` promises, on standard error."""
    body: dict[str, Any] = {"error": {"message": message, "exit_code": code}}
    if fields:
        body["error"]["fields"] = fields
    print(json.dumps(body), file=sys.stderr)


def fail(message: str, code: int, fields: dict[str, str] | None = None, *, as_json: bool = False) -> NoReturn:
    if as_json:
        json_error(message, code, fields)
    else:
        if fields:  # a terminal has no form: the problems are listed below the message
            message = message.replace("see the fields", "see below")
        err = _console("err")
        err.print(f"[bold red]Error:[/] {message}", markup=True)
        for name, problem in (fields or {}).items():
            if problem != message:
                err.print(f"  {field_words(name)}: {problem}", markup=False)
    raise CliExit(code)


def field_words(path: str) -> str:
    """A field as a person knows it: `admin.username` is "username", `interfaces.0.address` is "address"."""
    parts = [part for part in path.split(".") if not part.isdigit() and part not in ("body", "admin", "web")]
    return (parts[-1] if parts else path).replace("_", " ")


def emit_json(data: Any) -> None:
    print(json.dumps(data, indent=2, sort_keys=True))


def table(title: str, columns: list[str], rows: list[list[str]], whole: tuple[str, ...] = ()) -> None:
    """`whole` names the columns (ids to copy) that never wrap: the others give up their width instead."""
    from rich.table import Table
    from rich.text import Text

    grid = Table(title=title, title_justify="left", header_style="bold")
    for index, column in enumerate(columns):
        if column in whole:
            widest = max([len(column), *(len(row[index]) for row in rows)])
            grid.add_column(column, no_wrap=True, overflow="ignore", min_width=widest)
        else:
            grid.add_column(column, overflow="fold")  # a long address wraps; it is never cut short
    for row in rows:
        # Cells hold data from the daemon or the LAN (names, mDNS answers): shown as plain text, with direction
        # controls replaced, never obeyed as rich markup or as reordering of the terminal line.
        grid.add_row(*(Text(neutralise_direction_controls(cell)) for cell in row))
    _console("out").print(grid)


def show(renderable: RenderableType) -> None:
    """A rich layout of the caller's own (its cells already plain `Text`)."""
    _console("out").print(renderable)


def say(message: str) -> None:
    _console("out").print(neutralise_direction_controls(message), markup=False)
