"""`homeport user ...` (accounts, and the pauses that too many failed sign-ins cause) and `homeport group list`."""

from __future__ import annotations

import datetime
from typing import Annotated, Any

import typer

from homeport.accounts.names import NAME_PATTERN, check_account_name
from homeport.cli.client import DaemonClient
from homeport.cli.options import DEFAULT, HomeOption, JsonOption
from homeport.cli.output import INVALID, NOT_FOUND, emit_json, fail, say, table
from homeport.cli.secrets import read_new_password
from homeport.core.errors import InvalidInput

user_app = typer.Typer(help="Manage accounts.", no_args_is_help=True)
group_app = typer.Typer(help="Manage groups.", no_args_is_help=True)
# Setting someone else's password: they choose their own at the next sign-in, unless told otherwise. The same
# default as the console's "Set password" form and the API (an administrator should not keep knowing it).
MUST_CHANGE_HELP = "Ask for a new password at the next sign-in (the default, as in the console)."


def _account_name(name: str) -> str:
    """An existing account's name has the form every account name has; anything else cannot be one."""
    if not NAME_PATTERN.fullmatch(name):
        raise typer.BadParameter(f"'{name}' is not an account name (letters a-z, digits, '.', '_', '-').")
    return name


NameArg = Annotated[str, typer.Argument(help="The account's name.", callback=_account_name)]
NewNameArg = Annotated[str, typer.Argument(help="The new account's name (the daemon checks its rules).")]


def _status(user: dict[str, Any]) -> str:
    parts = ["enabled" if user["enabled"] else "disabled"]
    if user["admin"]:
        parts.append("administrator")
    if user["builtin"]:
        parts.append("built-in")
    if user["awaits_password"]:
        parts.append("NO PASSWORD (set one: homeport user passwd " + user["name"] + ")")
    elif user["must_change_password"]:
        parts.append("must change password")
    return ", ".join(parts)


@user_app.command("list")
def user_list(home: HomeOption = DEFAULT, as_json: JsonOption = False) -> None:
    """List every account."""
    with DaemonClient(home, as_json=as_json) as daemon:
        users = daemon.every("/users")
    if as_json:
        emit_json(users)
        return
    rows = [[u["name"], u["full_name"], ", ".join(u["groups"]), _status(u)] for u in users]
    table("Accounts", ["Name", "Full name", "Groups", "Status"], rows)


@user_app.command("add")
def user_add(
    name: NewNameArg,
    home: HomeOption = DEFAULT,
    full_name: Annotated[str, typer.Option("--full-name", metavar="TEXT", help="The person's full name.")] = "",
    email: Annotated[str, typer.Option("--email", metavar="ADDRESS", help="Their email address.")] = "",
    admin: Annotated[bool, typer.Option("--admin", help="Make the account an administrator.")] = False,
    group: Annotated[list[str] | None, typer.Option("--group", help="Another group (repeatable).")] = None,
    must_change: Annotated[
        bool, typer.Option("--must-change/--no-must-change", help="Ask for a new password at first sign-in.")
    ] = True,
    as_json: JsonOption = False,
) -> None:
    """Create an account; the password is read from the terminal (or one line of standard input)."""
    groups = [*(group or []), *(["administrators"] if admin else [])]
    try:  # a name that cannot be is said before a password is asked for
        check_account_name(name)
    except InvalidInput as exc:
        fail(exc.message, INVALID, exc.fields, as_json=as_json)
    password = read_new_password(as_json=as_json)
    body = {
        "name": name,
        "password": password,
        "full_name": full_name,
        "email": email,
        "groups": groups,
        "must_change_password": must_change,
    }
    with DaemonClient(home, as_json=as_json) as daemon:
        user = daemon.call("POST", "/users", json=body)
    emit_json(user) if as_json else say(f"Created {user['name']} ({_status(user)}).")


@user_app.command("passwd")
def user_passwd(
    name: NameArg,
    home: HomeOption = DEFAULT,
    must_change: Annotated[bool, typer.Option("--must-change/--no-must-change", help=MUST_CHANGE_HELP)] = True,
    as_json: JsonOption = False,
) -> None:
    """Set an account's password (ends its sessions); read from the terminal or standard input."""
    password = read_new_password(as_json=as_json)
    with DaemonClient(home, as_json=as_json) as daemon:
        daemon.call("PUT", f"/users/{name}/password", json={"password": password, "must_change_password": must_change})
    emit_json({"name": name, "password_set": True}) if as_json else say(f"Password of {name} set.")


def _set_enabled(home: Any, name: str, enabled: bool, as_json: bool) -> None:
    with DaemonClient(home, as_json=as_json) as daemon:
        user = daemon.call("PATCH", f"/users/{name}", json={"enabled": enabled})
    emit_json(user) if as_json else say(f"{name} is now {_status(user)}.")


@user_app.command("enable")
def user_enable(name: NameArg, home: HomeOption = DEFAULT, as_json: JsonOption = False) -> None:
    """Enable an account."""
    _set_enabled(home, name, True, as_json)


@user_app.command("disable")
def user_disable(name: NameArg, home: HomeOption = DEFAULT, as_json: JsonOption = False) -> None:
    """Disable an account (its sessions end)."""
    _set_enabled(home, name, False, as_json)


@user_app.command("unpause")
def user_unpause(name: NameArg, home: HomeOption = DEFAULT, as_json: JsonOption = False) -> None:
    """Let an account paused after too many failed sign-ins sign in again, from every address."""
    with DaemonClient(home, as_json=as_json) as daemon:
        daemon.call("DELETE", f"/account-pauses/{name}")
    emit_json({"name": name, "paused": False}) if as_json else say(f"{name} may sign in again.")


@user_app.command("pauses")
def user_pauses(home: HomeOption = DEFAULT, as_json: JsonOption = False) -> None:
    """List accounts paused (for every address, or for one) after too many failed sign-ins."""
    with DaemonClient(home, as_json=as_json) as daemon:
        pauses = daemon.call("GET", "/account-pauses")
    if as_json:
        emit_json(pauses)
        return
    if not pauses:
        say("No account is paused.")
        return
    rows = [[p["account"], p["address"] or "every address", _when(p["until"]), p["reason"]] for p in pauses]
    table("Paused accounts", ["Account", "For", "Until", "Why"], rows)


def _when(timestamp: float) -> str:
    return datetime.datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M:%S")


@user_app.command("delete")
def user_delete(
    name: NameArg,
    home: HomeOption = DEFAULT,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Delete an account (its sessions end)."""
    with DaemonClient(home, as_json=as_json) as daemon:
        daemon.call("GET", f"/users/{name}")  # a name that is no account: said now, not after the question
        if not yes and not typer.confirm(f"Delete the account {name}?", default=False):
            fail("Nothing was deleted.", INVALID, as_json=as_json)
        daemon.call("DELETE", f"/users/{name}")
    emit_json({"name": name, "deleted": True}) if as_json else say(f"Deleted {name}.")


def _factors_text(factors: dict[str, Any]) -> list[str]:
    codes = factors["recovery_codes_left"]
    lines = [
        f"Authenticator app: {'on' if factors['totp'] else 'off'}",
        f"Passkeys:          {factors['passkeys']}",
        f"Recovery codes:    {codes} left",
    ]
    if factors["suspended"]:
        lines.append("Suspended by a Mode 1 reset: the password alone signs in until they are turned back on.")
    if factors["required"]:
        lines.append("The second-factor policy covers this account" + (
            "." if factors["totp"] or factors["passkeys"] else ": it sets one up at its next sign-in."
        ))  # fmt: skip
    return lines


@user_app.command("factors")
def user_factors(name: NameArg, home: HomeOption = DEFAULT, as_json: JsonOption = False) -> None:
    """Show an account's second factors (what it has, never a secret)."""
    with DaemonClient(home, as_json=as_json) as daemon:
        factors = daemon.call("GET", f"/users/{name}/factors")
    if as_json:
        emit_json(factors)
        return
    say(f"Second factors of {name}:")
    for line in _factors_text(factors):
        say(f"  {line}")


@user_app.command("reset-2fa")
def user_reset_second_factors(
    name: NameArg,
    home: HomeOption = DEFAULT,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Remove every second factor of an account that lost them: the password alone signs in again (under a
    second-factor policy, the account sets one up right after it)."""
    with DaemonClient(home, as_json=as_json) as daemon:
        daemon.call("GET", f"/users/{name}/factors")  # a name that is no account: said now, not after the question
        question = f"Remove every second factor of {name} (app, passkeys, recovery codes, remembered browsers)?"
        if not yes and not typer.confirm(question, default=False):
            fail("Nothing was removed.", INVALID, as_json=as_json)
        # Root on the socket proves nothing more: the empty admin_password is not checked for it.
        daemon.call("DELETE", f"/users/{name}/factors", json={"admin_password": ""})
        factors = daemon.call("GET", f"/users/{name}/factors")
    if as_json:
        emit_json({"name": name, "factors_cleared": True, "factors": factors})
        return
    say(f"Removed every second factor of {name}; the password alone signs in" + (
        ", and a new one is set up at the next sign-in (the policy asks for one)." if factors["required"] else "."
    ))  # fmt: skip


@group_app.command("list")
def group_list(home: HomeOption = DEFAULT, as_json: JsonOption = False) -> None:
    """List groups and their members."""
    with DaemonClient(home, as_json=as_json) as daemon:
        groups = daemon.every("/groups")
    if as_json:
        emit_json(groups)
        return
    rows = [[g["name"], g["description"], ", ".join(g["members"]) or "-"] for g in groups]
    table("Groups", ["Group", "Description", "Members"], rows)


GroupArg = Annotated[str, typer.Argument(help="The group's name.", metavar="NAME")]


@group_app.command("add")
def group_add(
    name: GroupArg,
    home: HomeOption = DEFAULT,
    description: Annotated[str, typer.Option("--description", metavar="TEXT", help="What the group is for.")] = "",
    as_json: JsonOption = False,
) -> None:
    """Create a group."""
    with DaemonClient(home, as_json=as_json) as daemon:
        group = daemon.call("POST", "/groups", json={"name": name, "description": description})
    emit_json(group) if as_json else say(f"Created the group {group['name']}.")


@group_app.command("delete")
def group_delete(
    name: GroupArg,
    home: HomeOption = DEFAULT,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Delete a group (its members keep their accounts)."""
    with DaemonClient(home, as_json=as_json) as daemon:
        found = [g for g in daemon.every("/groups") if g["name"] == name]
        if not found:
            fail(f"There is no group named '{name}'.", NOT_FOUND, as_json=as_json)
        if not yes and not typer.confirm(f"Delete the group {name}?", default=False):
            fail("Nothing was deleted.", INVALID, as_json=as_json)
        daemon.call("DELETE", f"/groups/{name}")
    emit_json({"name": name, "deleted": True}) if as_json else say(f"Deleted the group {name}.")
