"""`homeport button hold SECONDS | press | release`: the virtual reset button (root on the machine only)."""

from __future__ import annotations

from typing import Annotated

import typer

from homeport.cli.client import DaemonClient
from homeport.cli.options import DEFAULT, HomeOption
from homeport.cli.output import say

button_app = typer.Typer(help="The virtual reset button (machines without a real one).", no_args_is_help=True)


@button_app.command("hold")
def hold(
    seconds: Annotated[float, typer.Argument(min=0.0, max=120.0, help="How long to hold it down.")],
    home: HomeOption = DEFAULT,
) -> None:
    """Hold the button for SECONDS: under 4 s is a short press (it confirms a waiting recovery sign-in); 4 s or
    more beeps once, and 10 s after the release Mode 1 begins."""
    with DaemonClient(home, timeout=seconds + 30) as daemon:
        daemon.call("POST", "/button", json={"action": "hold", "seconds": seconds})
    say(f"Held for {seconds:g} s and released.")


@button_app.command("press")
def press(home: HomeOption = DEFAULT) -> None:
    """Press the button and keep it down (until `homeport button release`)."""
    with DaemonClient(home) as daemon:
        daemon.call("POST", "/button", json={"action": "press"})
    say("Pressed.")


@button_app.command("release")
def release(home: HomeOption = DEFAULT) -> None:
    """Let the button go."""
    with DaemonClient(home) as daemon:
        daemon.call("POST", "/button", json={"action": "release"})
    say("Released.")
