"""The `homeport` command line."""

from __future__ import annotations

import sys

import typer

from homeport.cli import (
    accounts_cmd,
    advisor_cmd,
    approve_cmd,
    button_cmd,
    files_cmd,
    find_cmd,
    log_cmd,
    network_cmd,
    recover_cmd,
    serve_cmd,
    status_cmd,
)
from homeport.cli.output import CliExit

app = typer.Typer(
    help="Homeport: the control plane of your NAS.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
app.command("serve")(serve_cmd.serve)
app.command("status")(status_cmd.status)
app.command("log")(log_cmd.log)
app.command("find")(find_cmd.find)
app.command("advisor")(advisor_cmd.advisor)
app.command("approve")(approve_cmd.approve)
app.add_typer(accounts_cmd.user_app, name="user")
app.add_typer(accounts_cmd.group_app, name="group")
app.add_typer(status_cmd.store_app, name="store")
app.add_typer(network_cmd.network_app, name="network")
app.add_typer(button_cmd.button_app, name="button")
app.add_typer(recover_cmd.recover_app, name="recover")
app.add_typer(files_cmd.share_app, name="share")
app.add_typer(files_cmd.smb_app, name="smb")


def run() -> None:
    try:
        app()
    except CliExit as exc:
        sys.exit(exc.code)
    except KeyboardInterrupt:
        sys.exit(130)
