"""`homeport backup list|create|verify|restore`: configuration backups on the data volumes, through the daemon.
With the daemon stopped, a backup is restored by `homeport recover restore-backup` (keys too, with the
passphrase)."""

from __future__ import annotations

import re
import sys
import time
from typing import Annotated, Any

import typer

from homeport.cli.client import DaemonClient
from homeport.cli.options import DEFAULT, HomeOption, JsonOption
from homeport.cli.output import CHECK_FAILED, INVALID, UNREACHABLE, CliExit, emit_json, fail, say, table
from homeport.cli.secrets import read_secret
from homeport.home import Home

backup_app = typer.Typer(
    help="Configuration backups on the data volumes: list, create, verify, restore.", no_args_is_help=True
)
BACKUP_ID = re.compile(r"[^/\x00]{1,255}/\d{8}T\d{6}-\d{6}")


def _backup_id(value: str) -> str:
    if not BACKUP_ID.fullmatch(value):
        raise typer.BadParameter(
            f"'{value[:80]}' is not a backup's id (VOLUME/STAMP, as `homeport backup list` shows)."
        )
    return value


BackupArg = Annotated[
    str, typer.Argument(help="The backup (VOLUME/STAMP, from `homeport backup list`).", callback=_backup_id)
]


def _when(at: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(at))


def _size(size: int) -> str:
    return f"{size / 1_048_576:.1f} MiB" if size >= 1_048_576 else f"{max(1, size // 1024)} KiB"


def _holds(backup: dict[str, Any]) -> str:
    counts = backup["counts"]
    held = f"{counts.get('accounts', '?')} accounts, {counts.get('shares', '?')} shares" if counts else "store, log"
    return held + (", keys" if backup["keys_included"] else "")


def _verified(backup: dict[str, Any]) -> str:
    if backup["verified_ok"] is None:
        return "-"
    return ("ok " if backup["verified_ok"] else "FAILED ") + _when(backup["verified_at"])


@backup_app.command("list")
def backup_list(home: HomeOption = DEFAULT, as_json: JsonOption = False) -> None:
    """List the backups on every volume (newest first), the schedule and whether keys are protected."""
    with DaemonClient(home, as_json=as_json) as daemon:
        found = daemon.call("GET", "/backups")
    if as_json:
        emit_json(found)
        return
    settings = found["settings"]
    say(
        f"Daily at {settings['daily_at']}; keeping {settings['keep_daily']} daily, {settings['keep_weekly']} weekly, "
        f"{settings['keep_monthly']} monthly and {settings['keep_events']} others per volume."
    )
    say({"set": "Keys: included, protected by the recovery passphrase.",
         "left_out": "Keys: left out (sealed secrets do not come back with a restore).",
         "not_set": "Keys: not included until a recovery passphrase is set (console: System > Backups)."}[
        found["passphrase"]])  # fmt: skip
    if not found["backups"]:
        say("No backup yet: homeport backup create")
        return
    rows = [
        [b["id"], _when(b["created_at"]), b["reason"], _size(b["size"]), _holds(b), _verified(b)]
        for b in found["backups"]
    ]
    table("Configuration backups", ["Backup", "Made", "Why", "Size", "Holds", "Verified"], rows, whole=("Backup",))


@backup_app.command("create")
def backup_create(home: HomeOption = DEFAULT, as_json: JsonOption = False) -> None:
    """Make a backup now on every data volume."""
    with DaemonClient(home, as_json=as_json, timeout=300) as daemon:
        made = daemon.call("POST", "/backups")
    if as_json:
        emit_json(made)
        return
    for backup in made:
        say(f"Made {backup['id']} ({_size(backup['size'])}, {_holds(backup)}).")


@backup_app.command("verify")
def backup_verify(
    backup: BackupArg,
    home: HomeOption = DEFAULT,
    with_passphrase: Annotated[
        bool,
        typer.Option("--with-passphrase", help="Also check the keys open (passphrase from the terminal or stdin)."),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Check a backup: manifest, checksums, opens, schema, sign-in, keys. Exit 8 if a check fails."""
    passphrase = read_secret("Recovery passphrase", as_json=as_json) if with_passphrase else ""
    with DaemonClient(home, as_json=as_json, timeout=300) as daemon:
        report = daemon.call("POST", f"/backups/{backup}/verify", json={"passphrase": passphrase})
    if as_json:
        emit_json(report)
    else:
        for check in report["checks"]:
            say(f"  {check['outcome'].upper():8} {check['name']:10} {check['detail']}")
        say(f"{backup}: {'usable' if report['ok'] else 'NOT usable'}.")
    if not report["ok"]:
        raise CliExit(CHECK_FAILED)


def _say_preview(preview: dict[str, Any]) -> None:
    def line(what: str, changes: dict[str, list[str]]) -> None:
        parts = [f"{label} {', '.join(changes[key])}" for key, label in
                 (("added", "back:"), ("removed", "gone:"), ("changed", "changed:")) if changes[key]]  # fmt: skip
        say(f"  {what}: {'; '.join(parts) if parts else 'no change'}")

    say(f"Restoring {preview['backup']} would change:")
    line("Accounts", preview["accounts"])
    say(f"  Administrators: {', '.join(preview['administrators_after']) or 'none'}")
    line("Shared folders", preview["shares"])
    line("Settings", preview["settings"])
    if preview["name_after"] and preview["name_after"] != preview["name_before"]:
        say(f"  Device name: {preview['name_before']} -> {preview['name_after']}")
    say(f"  Network: {'the backup settings (confirm-or-rollback)' if preview['network_changes'] else 'no change'}")
    if not preview["second_factors_kept"]:
        say("  Second factors and SMB passwords: not restored (another key sealed them); each account sets them again")


@backup_app.command("restore")
def backup_restore(
    backup: BackupArg,
    home: HomeOption = DEFAULT,
    yes: Annotated[bool, typer.Option("--yes", help="Restore without asking (scripts).")] = False,
    as_json: JsonOption = False,
) -> None:
    """Show what restoring a backup changes, then restore it (a backup of the current configuration first)."""
    socket = Home(home).socket_path
    if not socket.exists():
        fail(
            f"Homeport is not running with the home {home} (no socket at {socket}). With the daemon stopped, restore "
            "the backup's folder with: homeport recover restore-backup VOLUME_PATH/@homeport/config/STAMP "
            "[--with-keys]",
            UNREACHABLE,
            as_json=as_json,
        )
    with DaemonClient(home, as_json=as_json, timeout=300) as daemon:
        preview = daemon.call("GET", f"/backups/{backup}/preview")
        if not as_json:
            _say_preview(preview)
        if not yes:
            if as_json or not sys.stdin.isatty():
                fail("Add --yes to restore (nothing was changed).", INVALID, as_json=as_json)
            if not typer.confirm("Restore it now? Everyone signs in again afterwards"):
                fail("Nothing was changed.", INVALID, as_json=as_json)
        outcome = daemon.call("POST", f"/backups/{backup}/restore", json={"confirm": True})
    if as_json:
        emit_json({"preview": preview, "restore": outcome})
        return
    say(f"Restored {backup}; the configuration before it is kept as {', '.join(outcome['before_restore']) or '-'}.")
    network = outcome["network"]
    if network and network["confirm_token"]:
        say(
            "The network settings must be confirmed from the new address, or they roll back: "
            + network["confirm_urls"][0]
        )
