"""`homeport find`: every Homeport on the LAN, and `--serve`, the web assistant that shows the same live."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from homeport.cli.output import emit_json, say, table


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
    rows = [[s.name, s.state, "\n".join(s.addresses), s.mac, s.model, s.console_url, s.next_step] for s in found]
    table("Homeport devices on this network", ["Name", "State", "Addresses", "MAC", "Model", "Console", "Next"], rows)
