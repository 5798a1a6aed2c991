"""`homeport selftest`: run the self-test through the daemon and print each check; `--after-package-change` is the
apt hook's call (it also reads dpkg's log, and a failure raises the console banner and the administrators' notice)."""

from __future__ import annotations

import datetime
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from homeport.cli.client import DaemonClient
from homeport.cli.options import DEFAULT, HomeOption, JsonOption
from homeport.cli.output import CHECK_FAILED, FAILED, REFUSED, CliExit, emit_json, fail, say, table
from homeport.selftest.apt_hook import DEFAULT_APT_HOOK, remove
from homeport.selftest.kept_packages import debs_from, keep, kept_folder

RUN_TIMEOUT = 120.0  # the checks restart smbd and sign in over SMB: seconds, not minutes, unless Samba hangs


def show_run(run: dict[str, Any]) -> None:
    at = datetime.datetime.fromtimestamp(run["at"]).strftime("%Y-%m-%d %H:%M:%S")
    failed = [c for c in run["checks"] if not c["ok"]]
    verdict = "every check passed" if not failed else f"{len(failed)} check{'s' if len(failed) > 1 else ''} FAILED"
    say(f"Self-test on {at} ({run['seconds']:.1f} s): {verdict}.")
    if run["after_package_change"]:
        if run["changes"]:
            table(
                "Packages changed since the last self-test",
                ["Package", "Before", "Now", "To go back"],
                [[c["package"], c["old"] or "-", c["new"] or "(removed)", c["way_back"]] for c in run["changes"]],
            )
        else:
            say("dpkg's log names no package change since the last self-test.")
    table("Checks", ["Result", "Check", "What was found"],
          [["pass" if c["ok"] else "FAIL", c["title"], c["detail"]] for c in run["checks"]])  # fmt: skip
    if failed and run["after_package_change"]:
        say("The administrators are told, and the console shows it until a self-test passes.")


def selftest(
    home: HomeOption = DEFAULT,
    after_package_change: Annotated[
        bool,
        typer.Option(
            "--after-package-change",
            help="Also name the packages dpkg changed since the last run; a failure raises the console banner and "
            "a notice (the apt hook's call).",
        ),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Check that the device still works: console sign-in, Samba's configuration, smbd, a real SMB sign-in,
    Samba's accounts, mDNS and the network.

    Exit code 0 when every check passes, 8 when one fails; 3 when the daemon is not running, 6 when not root.
    """
    body = {"after_package_change": after_package_change}
    with DaemonClient(home, as_json=as_json, timeout=RUN_TIMEOUT) as daemon:
        run = daemon.call("POST", "/selftest", json=body)
    if as_json:
        emit_json(run)
    else:
        show_run(run)
    if not run["ok"]:
        raise CliExit(CHECK_FAILED)


def keep_packages(home: HomeOption = DEFAULT) -> None:
    """Keep copies of the Samba packages apt is about to install (apt's Pre-Install-Pkgs hook: their paths on
    standard input), so that a later upgrade can be undone. Needs no daemon."""
    debs = debs_from(sys.stdin)
    try:
        made = keep(debs, kept_folder(home))
    except OSError as exc:
        fail(f"Could not keep the package files: {exc.strerror} ({exc.filename}).", FAILED)
    for path in made:
        say(f"Homeport kept a copy of {path.name} in {path.parent}.")


apt_hook_app = typer.Typer(help="The apt snippet that runs the self-test after dpkg (for packaging and opting out).")


@apt_hook_app.command("remove")
def apt_hook_remove(
    path: Annotated[
        Path, typer.Option("--path", help="Where the snippet is (the default is where `auto` writes it).")
    ] = DEFAULT_APT_HOOK,
) -> None:
    """Remove Homeport's apt snippet (an uninstall runs this; a file not written by Homeport is left alone).
    Needs no daemon. A daemon started with --apt-hook writes it again: start it with --apt-hook none."""
    if remove(path):
        say(f"Removed Homeport's apt hook {path}.")
    elif path.exists():
        fail(f"{path} was not written by Homeport; it is left as it is.", REFUSED)
    else:
        say(f"No apt hook at {path}: nothing to remove.")
