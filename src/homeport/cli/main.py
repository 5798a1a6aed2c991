"""The `homeport` command line."""

from __future__ import annotations

import sys

import typer

from homeport.cli import (
    accounts_cmd,
    advisor_cmd,
    approve_cmd,
    backup_cmd,
    button_cmd,
    files_cmd,
    find_cmd,
    log_cmd,
    network_cmd,
    notify_cmd,
    recover_cmd,
    selftest_cmd,
    serve_cmd,
    status_cmd,
    update_cmd,
)
from homeport.cli.output import OK, CliExit, json_error

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
app.command("selftest")(selftest_cmd.selftest)
app.command("keep-packages", hidden=True)(selftest_cmd.keep_packages)
app.command("update")(update_cmd.update)
app.command("update-check", hidden=True)(update_cmd.update_check)
app.command("install-supervisor", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})(
    update_cmd.install_supervisor
)
app.add_typer(accounts_cmd.user_app, name="user")
app.add_typer(accounts_cmd.group_app, name="group")
app.add_typer(status_cmd.store_app, name="store")
app.add_typer(network_cmd.network_app, name="network")
app.add_typer(button_cmd.button_app, name="button")
app.add_typer(recover_cmd.recover_app, name="recover")
app.add_typer(files_cmd.share_app, name="share")
app.add_typer(files_cmd.smb_app, name="smb")
app.add_typer(selftest_cmd.apt_hook_app, name="apt-hook")
app.add_typer(notify_cmd.notify_app, name="notify")
app.add_typer(backup_cmd.backup_app, name="backup")


def run(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    try:
        if "--json" not in args:
            app(args=args)
            return
        # Not standalone: a usage problem (a wrong option value) comes back here, to be told as JSON too.
        code = app(args=args, standalone_mode=False)
    except CliExit as exc:
        sys.exit(exc.code)
    except typer.TyperException as exc:
        json_error(exc.format_message(), exc.exit_code)
        sys.exit(exc.exit_code)
    except typer.Abort:
        print("Aborted!", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else OK)
