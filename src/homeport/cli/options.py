"""Options shared by every command."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from homeport.cli.client import DEFAULT_HOME

HomeOption = Annotated[
    Path,
    typer.Option(
        "--home", envvar="HOMEPORT_HOME", readable=False, help="The daemon's home folder (state, store, socket)."
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts instead of tables.")]
DEFAULT = DEFAULT_HOME
