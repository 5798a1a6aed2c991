"""Every command and option of the CLI explains itself."""

from __future__ import annotations

from typing import Any

import typer
from typer.core import TyperArgument, TyperOption

from homeport.cli.main import app


def every_command(command: Any, path: str = "homeport") -> list[tuple[str, Any]]:
    found = [(path, command)]
    for name, sub in getattr(command, "commands", {}).items():
        found += every_command(sub, f"{path} {name}")
    return found


def test_every_command_and_option_has_help() -> None:
    commands = every_command(typer.main.get_command(app))
    assert len(commands) > 20  # the walk reached the subcommands
    missing = []
    for path, command in commands:
        if not (command.help or command.short_help):
            missing.append(path)
        for param in command.params:
            shown = isinstance(param, TyperOption | TyperArgument) and not getattr(param, "hidden", False)
            if shown and not param.help:
                missing.append(f"{path} {param.name}")
    assert not missing, missing
