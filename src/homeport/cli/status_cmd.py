"""`homeport status` and `homeport store start-fresh`."""

from __future__ import annotations

import datetime

import typer

from homeport.cli.client import DaemonClient
from homeport.cli.options import DEFAULT, HomeOption, JsonOption
from homeport.cli.output import emit_json, say

store_app = typer.Typer(help="The configuration store.", no_args_is_help=True)


def _size(value: int) -> str:
    return f"{value / 2**30:.1f} GiB"


def status(home: HomeOption = DEFAULT, as_json: JsonOption = False) -> None:
    """Show the daemon's state, addresses and volumes."""
    with DaemonClient(home, as_json=as_json) as daemon:
        data = daemon.call("GET", "/status")
    if as_json:
        emit_json(data)
        return
    system = data["system"]
    say(f"{system['name']}  ({system['model']}, serial {system['serial']}, Homeport {system['version']})")
    say(f"State:          {system['state']}")
    if system.get("damage"):
        say(f"Damaged store:  {system['damage']['quarantined_to']} ({system['damage']['reason']})")
    say(f"Console:        {', '.join(data['urls'])}")
    say(f"CA certificate: {data['ca_certificate']}")
    say(f"MAC:            {system['mac']}")
    say(f"Sessions:       {data['sessions']}")
    say(f"Up for:         {int(data['uptime_seconds'])} s")
    if system.get("recovery_window_closes_at"):
        closes = datetime.datetime.fromtimestamp(system["recovery_window_closes_at"]).strftime("%H:%M:%S")
        say(f"Recovery:       window open until {closes}: sign in as an administrator with an empty password")
    hardware = data["hardware"]
    say(f"Reset button:   {hardware['button']}")
    say(f"Feedback:       {', '.join(hardware['feedback']) or 'none'}")
    for played in hardware["recent"][-3:]:
        when = datetime.datetime.fromtimestamp(played["at"]).strftime("%H:%M:%S")
        say(f"                {when} {played['device']}: {played['pattern']}")
    for volume in data["volumes"]:
        free = (
            f"{_size(volume['free_bytes'])} free of {_size(volume['total_bytes'])}"
            if volume["available"]
            else "MISSING"
        )
        say(f"Volume:         {volume['name']} at {volume['path']}: {free}")


@store_app.command("start-fresh")
def start_fresh(
    home: HomeOption = DEFAULT,
    yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation."),
    as_json: JsonOption = False,
) -> None:
    """After a damaged store: begin again with the setup wizard (the damaged file stays in quarantine)."""
    if not yes and not typer.confirm("Start with a fresh configuration (setup wizard)?", default=False):
        raise typer.Exit(2)
    with DaemonClient(home, as_json=as_json) as daemon:
        daemon.call("POST", "/store/start-fresh")
    emit_json({"state": "not-installed"}) if as_json else say("Done: open the console to run the setup wizard.")
