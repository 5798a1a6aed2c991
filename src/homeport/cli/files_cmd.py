"""`homeport share list|add|edit|delete` (shared folders) and `homeport smb status|check` (the SMB file service)."""

from __future__ import annotations

import datetime
import sys
from typing import Annotated, Any
from urllib.parse import quote

import typer

from homeport.cli.client import DaemonClient
from homeport.cli.options import DEFAULT, HomeOption, JsonOption
from homeport.cli.output import CHECK_FAILED, FAILED, INVALID, CliExit, emit_json, fail, say, table
from homeport.files.models import ACCESS_LEVELS, SHARE_NAME

share_app = typer.Typer(help="Shared folders: list, add, edit, delete.", no_args_is_help=True)
smb_app = typer.Typer(help="The SMB file service: status and drift check.", no_args_is_help=True)

MAX_STDIN = 1024


def _share_name(name: str) -> str:
    """An existing shared folder's name has the form every share name has; anything else cannot be one."""
    if not SHARE_NAME.fullmatch(name):
        rule = "letters A-Z, digits, spaces, '.', '_', '-'"
        raise typer.BadParameter(f"'{name}' is not a shared folder's name ({rule}).")
    return name


def _entries(values: list[str] | None, kind: str) -> dict[str, str]:
    """`NAME=rw|ro|none` options as a map (a later one for the same name wins)."""
    found: dict[str, str] = {}
    for value in values or []:
        name, sep, access = value.partition("=")
        if not sep or not name.strip() or access not in ACCESS_LEVELS:
            raise typer.BadParameter(
                f"'{value}': give {kind}=ACCESS, where ACCESS is rw (read-write), ro (read-only) or none (no access).",
                param_hint=f"--{kind}",
            )
        found[name.strip()] = access
    return found


ShareArg = Annotated[
    str, typer.Argument(help="The shared folder's name (any case).", metavar="NAME", callback=_share_name)
]
NewShareArg = Annotated[
    str, typer.Argument(help="The new shared folder's name, as SMB clients will see it.", metavar="NAME")
]
DescriptionOption = Annotated[str | None, typer.Option("--description", metavar="TEXT", help="What it holds.")]
UserOption = Annotated[
    list[str] | None,
    typer.Option("--user", metavar="NAME=ACCESS", help="An account's access: rw, ro or none (repeatable)."),
]
GroupOption = Annotated[
    list[str] | None,
    typer.Option("--group", metavar="NAME=ACCESS", help="A group's access: rw, ro or none (repeatable)."),
]
LimitOption = Annotated[
    int | None,
    typer.Option("--time-machine-limit-gb", min=1, metavar="GIB", help="The most Time Machine may use, in GiB."),
]


# --- shared folders -----------------------------------------------------------------------------------------


def _access_text(share: dict[str, Any]) -> str:
    permissions = share["permissions"]
    said = [f"{name} {access}" for name, access in permissions["users"].items()]
    said += [f"@{name} {access}" for name, access in permissions["groups"].items()]
    return ", ".join(said) or "nobody"


def _options_text(share: dict[str, Any]) -> str:
    said = []
    if share["hidden"]:
        said.append("hidden")
    if share["recycle_bin"]:
        said.append("recycle bin")
    if share["time_machine"]:
        limit = share["time_machine_limit_gb"]
        said.append(f"Time Machine ({limit} GiB)" if limit else "Time Machine")
    return ", ".join(said) or "-"


def _summary(share: dict[str, Any]) -> list[str]:
    """What an answer about one shared folder says, line by line."""
    lines = [f"  Folder:  {share['path'] or share['volume'] + '/' + share['folder']}"]
    if not share["available"]:
        lines[0] += "  (UNAVAILABLE: its volume or folder is missing)"
    lines.append(f"  Access:  {_access_text(share)}")
    users = [name for name, access in share["effective"].items() if access != "none"]
    if users:
        lines.append("  Who may use it: " + ", ".join(f"{n} ({share['effective'][n]})" for n in users))
    else:
        lines.append(f"  Nobody may use it yet: homeport share edit '{share['name']}' --user NAME=rw")
    lines.append(f"  Options: {_options_text(share)}")
    return lines


def _show(message: str, share: dict[str, Any]) -> None:
    say(message)
    for line in _summary(share):
        say(line)


@share_app.command("list")
def share_list(home: HomeOption = DEFAULT, as_json: JsonOption = False) -> None:
    """List the shared folders, where they are, who may use them and their options."""
    with DaemonClient(home, as_json=as_json) as daemon:
        shares = daemon.every("/shares")
    if as_json:
        emit_json(shares)
        return
    if not shares:
        say("No shared folder yet: homeport share add NAME --volume VOLUME")
        return
    rows = [
        [s["name"], f"{s['volume']}/{s['folder']}", _access_text(s), _options_text(s),
         "available" if s["available"] else "UNAVAILABLE"]
        for s in shares
    ]  # fmt: skip
    table("Shared folders", ["Name", "Folder", "Access", "Options", "State"], rows)


@share_app.command("add")
def share_add(
    name: NewShareArg,
    volume: Annotated[str, typer.Option("--volume", metavar="VOLUME", help="The volume it is on.")],
    home: HomeOption = DEFAULT,
    folder: Annotated[
        str | None, typer.Option("--folder", metavar="PATH", help="Its folder on the volume (default: NAME).")
    ] = None,
    description: DescriptionOption = None,
    hidden: Annotated[bool, typer.Option("--hidden", help="Not listed when browsing the device.")] = False,
    recycle_bin: Annotated[bool, typer.Option("--recycle-bin", help="Files deleted over SMB go to #recycle.")] = False,
    time_machine: Annotated[bool, typer.Option("--time-machine", help="Offer it to Macs for Time Machine.")] = False,
    time_machine_limit_gb: LimitOption = None,
    user: UserOption = None,
    group: GroupOption = None,
    attach_existing: Annotated[
        bool, typer.Option("--attach-existing", help="Share a folder already on the volume (else a new one is made).")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Create a shared folder on a new, empty folder (or, with --attach-existing, on one already there)."""
    if time_machine_limit_gb is not None and not time_machine:
        fail("--time-machine-limit-gb goes with --time-machine.", INVALID, as_json=as_json)
    body: dict[str, Any] = {
        "name": name,
        "volume": volume,
        "description": description or "",
        "hidden": hidden,
        "recycle_bin": recycle_bin,
        "time_machine": time_machine,
        "time_machine_limit_gb": time_machine_limit_gb,
        "permissions": {"users": _entries(user, "user"), "groups": _entries(group, "group")},
        "attach_existing": attach_existing,
    }
    if folder is not None:
        body["folder"] = folder
    with DaemonClient(home, as_json=as_json) as daemon:
        share = daemon.call("POST", "/shares", json=body)
    if as_json:
        emit_json(share)
        return
    what = "Shared the existing folder" if attach_existing else "Created the shared folder"
    _show(f"{what} {share['name']}.", share)


@share_app.command("edit")
def share_edit(
    name: ShareArg,
    home: HomeOption = DEFAULT,
    rename: Annotated[str | None, typer.Option("--rename", metavar="NEW", help="A new name.")] = None,
    description: DescriptionOption = None,
    hidden: Annotated[bool | None, typer.Option("--hidden/--no-hidden", help="Listed when browsing or not.")] = None,
    recycle_bin: Annotated[
        bool | None, typer.Option("--recycle-bin/--no-recycle-bin", help="Keep files deleted over SMB in #recycle.")
    ] = None,
    time_machine: Annotated[
        bool | None, typer.Option("--time-machine/--no-time-machine", help="Offer it to Macs for Time Machine.")
    ] = None,
    time_machine_limit_gb: LimitOption = None,
    no_limit: Annotated[
        bool, typer.Option("--no-time-machine-limit", help="Let Time Machine use the whole volume.")
    ] = False,
    user: UserOption = None,
    group: GroupOption = None,
    remove_user: Annotated[
        list[str] | None, typer.Option("--remove-user", metavar="NAME", help="Drop an account's entry (repeatable).")
    ] = None,
    remove_group: Annotated[
        list[str] | None, typer.Option("--remove-group", metavar="NAME", help="Drop a group's entry (repeatable).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Change a shared folder; what is not given stays as it is. Access entries are added to (or replace, or with
    --remove-user/--remove-group drop) the ones it has."""
    if no_limit and time_machine_limit_gb is not None:
        fail("Choose --time-machine-limit-gb or --no-time-machine-limit, not both.", INVALID, as_json=as_json)
    changes: dict[str, Any] = {
        key: value
        for key, value in (("name", rename), ("description", description), ("hidden", hidden),
                           ("recycle_bin", recycle_bin), ("time_machine", time_machine),
                           ("time_machine_limit_gb", time_machine_limit_gb))
        if value is not None
    }  # fmt: skip
    if no_limit:
        changes["time_machine_limit_gb"] = None
    users, groups = _entries(user, "user"), _entries(group, "group")
    if not changes and not (users or groups or remove_user or remove_group):
        fail("Nothing to change: give at least one option (see --help).", INVALID, as_json=as_json)
    path = f"/shares/{quote(name, safe='')}"
    with DaemonClient(home, as_json=as_json) as daemon:
        if users or groups or remove_user or remove_group:
            current = daemon.call("GET", path)["permissions"]
            permissions = {}
            for kind, added, removed in (("users", users, remove_user), ("groups", groups, remove_group)):
                if added or removed:
                    merged = {**current[kind], **added}
                    permissions[kind] = {n: a for n, a in merged.items() if n not in (removed or [])}
            changes["permissions"] = permissions
        share = daemon.call("PATCH", path, json=changes)
    emit_json(share) if as_json else _show(f"Changed the shared folder {share['name']}.", share)


def _typed_name(share: str, as_json: bool) -> str:
    """The share's name typed again: at the terminal, or one line of standard input."""
    question = f"This deletes {share} and every file in it. Type its name ({share}) to confirm"
    if sys.stdin.isatty():
        typed: str = typer.prompt(question, default="", show_default=False)
        return typed
    lines = sys.stdin.read(MAX_STDIN).splitlines()
    if len(lines) != 1:
        fail(
            f"To delete the files, type the shared folder's name ({share}) again: give --confirm '{share}', or the "
            "name as one line of standard input. Nothing was deleted.",
            INVALID,
            as_json=as_json,
        )
    return lines[0]


@share_app.command("delete")
def share_delete(
    name: ShareArg,
    home: HomeOption = DEFAULT,
    delete_files: Annotated[
        bool, typer.Option("--delete-files", help="Also delete the folder and every file in it (asks for the name).")
    ] = False,
    confirm: Annotated[
        str | None,
        typer.Option("--confirm", metavar="NAME", help="With --delete-files: the name again, without being asked."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Remove a shared folder; its files stay on the volume unless --delete-files."""
    path = f"/shares/{quote(name, safe='')}"
    with DaemonClient(home, as_json=as_json) as daemon:
        share = daemon.call("GET", path)  # a name that is no share: said now, not after the question
        if delete_files and confirm is None:
            confirm = _typed_name(share["name"], as_json)
        body = {"delete_files": delete_files, "confirm": confirm or ""}
        daemon.call("DELETE", path, json=body)
    if as_json:
        emit_json({"name": share["name"], "deleted": True, "files_deleted": delete_files})
    elif delete_files:
        say(f"Removed the shared folder {share['name']} and deleted its files.")
    else:
        say(f"Removed the shared folder {share['name']}; its files stay in {share['path'] or share['folder']}.")


# --- the SMB file service ------------------------------------------------------------------------------------


def _when(timestamp: float | None) -> str:
    if timestamp is None:
        return "never"
    return datetime.datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M:%S")


def _settings_text(settings: dict[str, Any]) -> str:
    state = "enabled" if settings["enabled"] else "DISABLED"
    return (
        f"{state}; {settings['min_protocol']} or newer; signing {settings['signing']}; "
        f"encryption {settings['encryption']}; workgroup {settings['workgroup']}"
    )


def _drift_lines(drift: dict[str, Any]) -> list[str]:
    said = []
    for key, what in (
        ("missing", "missing from Samba"),
        ("unexpected", "in Samba but not in Homeport"),
        ("wrong_hash", "with another password in Samba"),
        ("wrong_flags", "enabled or disabled differently in Samba"),
    ):
        if drift.get(key):
            said.append(f"  {', '.join(drift[key])}: {what}")
    return said


SMB_COPY_MISSING = "Need a password for SMB (their next console sign-in or password change gives one): "


@smb_app.command("status")
def smb_status(home: HomeOption = DEFAULT, as_json: JsonOption = False) -> None:
    """How the SMB file service is doing: running, settings, problems, connected clients."""
    with DaemonClient(home, as_json=as_json) as daemon:
        status = daemon.call("GET", "/services/smb")
    if as_json:
        emit_json(status)
        return
    if status["mode"] == "off":
        say("SMB service:    off (the daemon runs with --smb off)")
    else:
        state = "running" if status["running"] else "NOT RUNNING"
        version = f" (Samba {status['version']})" if status["version"] else ""
        say(f"SMB service:    {status['mode']}, {state} on port {status['port']}{version}")
    say(f"Settings:       {_settings_text(status['settings'])}")
    say(f"Last check:     {_when(status['last_check_at'])}")
    drift = status["last_drift"]
    if drift:
        say(f"Last drift:     {_when(drift['at'])}, set back:")
        for line in _drift_lines(drift):
            say(line)
    for problem in status["problems"]:
        say(f"Problem:        {problem}")
    if status["pending"]:
        say(f"Not yet in Samba: {', '.join(status['pending'])}")
    if status["needs_password"]:
        say(SMB_COPY_MISSING + ", ".join(status["needs_password"]))
    if status["sessions"]:
        rows = [
            [s["user"], s["client"], s["protocol"], "yes" if s["signed"] else "no",
             "yes" if s["encrypted"] else "no", ", ".join(s["shares"]) or "-"]
            for s in status["sessions"]
        ]  # fmt: skip
        table("Connected clients", ["User", "Client", "Protocol", "Signed", "Encrypted", "Shares"], rows)
    elif status["mode"] != "off":
        say("No client is connected.")


@smb_app.command("check")
def smb_check(
    home: HomeOption = DEFAULT,
    repair: Annotated[bool, typer.Option("--repair", help="Make Samba's accounts equal to Homeport's.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Compare Samba's accounts with Homeport's; with --repair, set them back.

    Exit code 0 when they match (or were repaired), 8 when they differ and --repair was not given, 1 when the
    check could not be done, 5 while the SMB service is off.
    """
    with DaemonClient(home, as_json=as_json) as daemon:
        result = daemon.call("POST", "/services/smb/check", json={"repair": repair})
    if as_json:
        emit_json(result)
    elif not result["error"]:
        _say_check(result, repair)
    if result["error"]:
        fail(f"The check could not be done: {result['error']}", FAILED, as_json=as_json)
    if result["drift"] and not repair:
        raise CliExit(CHECK_FAILED)


def _say_check(result: dict[str, Any], repair: bool) -> None:
    if repair:
        if result["drift"]:
            say("Samba's accounts had been changed outside Homeport; they were set back:")
            for line in _drift_lines(result):
                say(line)
        else:
            say("Samba's accounts match Homeport's" + (" now." if result["repaired"] else "."))
    elif result["drift"]:
        say("Samba's accounts differ from Homeport's:")
        for line in _drift_lines(result):
            say(line)
        say("Set them back with: homeport smb check --repair")
    else:
        say("Samba's accounts match Homeport's.")
    if result["needs_password"]:
        say(SMB_COPY_MISSING + ", ".join(result["needs_password"]))
