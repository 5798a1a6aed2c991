"""`homeport recover`: first aid on the machine itself, with the daemon stopped. Root only."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from homeport.cli.options import DEFAULT, HomeOption
from homeport.cli.output import EXIT_OF_STATUS, FAILED, NOT_ALLOWED, OK, fail, say
from homeport.cli.secrets import read_new_password, read_secret
from homeport.core.errors import Conflict, HomeportError, InvalidInput, NotFound
from homeport.recovery.console import (
    ClearAutoBlock,
    FirstAid,
    NetworkToDhcp,
    ResetPassword,
    ResetSecondFactors,
    RestoreBackup,
    stopped_daemon_store,
)

recover_app = typer.Typer(
    help="First aid with the daemon stopped: reset a password or an account's second factors, network to DHCP, "
    "clear the auto block, restore a backup. Each shows what it will change; --dry-run stops there.",
    no_args_is_help=True,
)
DryRun = Annotated[bool, typer.Option("--dry-run", help="Only show what would change.")]
STATUS = {InvalidInput: 422, NotFound: 404, Conflict: 409}


def _run(home: Path, aid: FirstAid, dry_run: bool) -> None:
    if os.geteuid() != 0 and home.exists() and home.stat().st_uid != os.geteuid():
        fail("First aid is for root (or the daemon's user) on the machine itself.", NOT_ALLOWED)
    try:
        with stopped_daemon_store(home) as store:
            plan = aid.plan(store)
            say(f"{aid.name}: {aid.summary}")
            for line in plan:
                say(f"  - {line}")
            if dry_run:
                say("Dry run: nothing was changed.")
                return
            done = aid.apply(store)
    except HomeportError as exc:
        code = next((EXIT_OF_STATUS[s] for t, s in STATUS.items() if isinstance(exc, t)), FAILED)
        fail(exc.message, code, exc.fields or None)
    say(f"Done ({len(done)} change{'s' if len(done) != 1 else ''}). Start the daemon again: homeport serve")
    raise typer.Exit(OK)


@recover_app.command("reset-password")
def reset_password(
    user: Annotated[str, typer.Argument(help="An administrator's name (the built-in admin included).")],
    home: HomeOption = DEFAULT,
    dry_run: DryRun = False,
) -> None:
    """Set an administrator's password (read from the terminal or stdin) and enable the account."""
    password = "" if dry_run else read_new_password()
    _run(home, ResetPassword(user, password), dry_run)


@recover_app.command("reset-2fa")
def reset_second_factors(
    user: Annotated[str, typer.Argument(help="The account's name.")],
    home: HomeOption = DEFAULT,
    dry_run: DryRun = False,
) -> None:
    """Remove every second factor of an account (app, passkeys, recovery codes, remembered browsers)."""
    _run(home, ResetSecondFactors(user), dry_run)


@recover_app.command("network-dhcp")
def network_dhcp(home: HomeOption = DEFAULT, dry_run: DryRun = False) -> None:
    """Every interface back to DHCP, MTU 1500, ports 5000/5001 (applied when the daemon starts)."""
    _run(home, NetworkToDhcp(), dry_run)


@recover_app.command("clear-auto-block")
def clear_auto_block(home: HomeOption = DEFAULT, dry_run: DryRun = False) -> None:
    """Unblock every address the auto block holds."""
    _run(home, ClearAutoBlock(), dry_run)


@recover_app.command("restore-backup")
def restore_backup(
    source: Annotated[Path, typer.Argument(help="A backup folder (…/@homeport/config/<stamp>) or a config.sqlite.")],
    home: HomeOption = DEFAULT,
    with_keys: Annotated[
        bool,
        typer.Option(
            "--with-keys", help="Restore the backup's keys too (recovery passphrase from the terminal or stdin)."
        ),
    ] = False,
    dry_run: DryRun = False,
) -> None:
    """Replace the configuration with a backup; the current one is kept in the home's backups."""
    passphrase = read_secret("Recovery passphrase") if with_keys else None
    _run(home, RestoreBackup(source, passphrase), dry_run)
