"""`homeport serve`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from homeport.cli.options import DEFAULT, HomeOption
from homeport.cli.output import FAILED, fail
from homeport.daemon import BuildOptions
from homeport.serve import DEFAULT_HTTP_PORT, DEFAULT_HTTPS_PORT, ServeOptions, StartupFailed, run


def serve(
    home: HomeOption = DEFAULT,
    bind: Annotated[
        list[str] | None,
        typer.Option("--bind", envvar="HOMEPORT_BIND", help="Address to listen on (repeatable); default all."),
    ] = None,
    http_port: Annotated[
        int,
        typer.Option("--http-port", envvar="HOMEPORT_HTTP_PORT", min=1, max=65535, help="Plain HTTP port."),
    ] = DEFAULT_HTTP_PORT,
    https_port: Annotated[
        int, typer.Option("--https-port", envvar="HOMEPORT_HTTPS_PORT", min=1, max=65535, help="HTTPS port.")
    ] = DEFAULT_HTTPS_PORT,
    volume: Annotated[
        list[Path] | None,
        typer.Option("--volume", envvar="HOMEPORT_VOLUMES", help="A data volume's mount point (repeatable)."),
    ] = None,
) -> None:
    """Run the Homeport daemon in the foreground (stop it with Ctrl+C or SIGTERM)."""
    if http_port == https_port:
        fail("The HTTP and HTTPS ports must differ.", 2)
    options = ServeOptions(
        home=home,
        binds=tuple(bind or ()),
        http_port=http_port,
        https_port=https_port,
        build=BuildOptions(volumes=tuple(p.absolute() for p in volume or ())),
    )
    try:
        run(options)
    except StartupFailed as exc:
        fail(f"Homeport did not start. {exc}", FAILED)
