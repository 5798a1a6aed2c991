"""`homeport find`: every Homeport on the LAN, and `--serve`, the web assistant that shows the same live."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Annotated

import typer

from homeport.cli.output import emit_json, say, show
from homeport.core.text import neutralise_direction_controls

if TYPE_CHECKING:
    from rich.console import Group

    from homeport.discovery.records import Sighting


def find(
    timeout: Annotated[float, typer.Option("--timeout", min=0.5, max=60, help="How long to listen, in seconds.")] = 3.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
    serve: Annotated[bool, typer.Option("--serve", help="Serve the web assistant instead of printing once.")] = False,
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="The web assistant's port.")] = 5080,
    bind: Annotated[str, typer.Option("--bind", help="The web assistant's address.")] = "127.0.0.1",
) -> None:
    """List every Homeport on the LAN: name, state, addresses, MAC, model, console URL and what to do next."""
    if serve:
        from homeport.web.assistant import serve_assistant

        say(f"Homeport web assistant: http://{bind}:{port}/ (Ctrl+C to stop)")
        serve_assistant(bind, port)
        return
    from homeport.discovery.finder import find as browse

    found = asyncio.run(browse(timeout))
    if as_json:
        emit_json([s.as_dict() for s in found])
        return
    if not found:
        say(f"No Homeport answered within {timeout:g} s. Is this computer on the same network (LAN) as the device?")
        return
    from rich.console import Group
    from rich.text import Text

    show(Group(Text("Homeport devices on this network", style="bold"), *(_device(s) for s in found)))


def _device(seen: Sighting) -> Group:
    """One device, a detail a line: an address, a MAC or a URL is copied or typed as it is, so it is never broken
    inside (a seven-column table did that at 80 columns); a long name or sentence wraps between words."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    details = Table.grid(padding=(0, 2))
    details.add_column(no_wrap=True, style="dim")
    details.add_column(overflow="fold")  # a word breaks only when a whole line cannot hold it
    for label, value, style in (
        ("Name", seen.name, "bold"),
        ("State", seen.state, ""),
        ("Model", seen.model, ""),
        ("Addresses", "\n".join(seen.addresses) or "-", ""),
        ("MAC", seen.mac, ""),
        ("Console", seen.console_url, ""),
        ("Next", seen.next_step, ""),
    ):
        # What the LAN announced is plain text with direction controls replaced, never rich markup.
        details.add_row(label, Text(neutralise_direction_controls(value), style=style))
    return Group(Text(""), details)
