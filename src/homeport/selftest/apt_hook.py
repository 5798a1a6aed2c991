"""The apt configuration snippet that runs `homeport selftest --after-package-change` after every dpkg run.

It never fails dpkg and never holds it long: the command is bounded by coreutils' `timeout` and ends in `|| true`,
and it does nothing once Homeport's command is gone (uninstalled without removing the snippet). Written atomically;
removed on opt-out only if it is Homeport's (its first line says so).
"""

from __future__ import annotations

import contextlib
import re
import shlex
import sys
from pathlib import Path

from homeport.core.atomic import write_atomic

DEFAULT_APT_HOOK = Path("/etc/apt/apt.conf.d/80homeport")
MARKER = "// Written by Homeport"
HOOK_TIMEOUT = 90  # seconds: the self-test restarts smbd and signs in once, a few seconds on a healthy device
# apt's configuration strings have no escapes: a path with a quote, a backslash or a control character is refused.
SAFE_PATH = re.compile(r"^/[A-Za-z0-9._/+@=,:-]*$")


class AptHookRefused(Exception):
    """The snippet cannot be written as asked; the message says why."""


def homeport_command() -> list[str]:
    """This installation's CLI, as an absolute command: the `homeport` script the daemon was started with, or the
    interpreter with `-m homeport`."""
    started = Path(sys.argv[0])
    if started.name == "homeport" and started.exists():
        return [str(started.resolve())]
    # -I: dpkg runs the hook from root's working folder, whose `homeport/` must never be the one imported.
    return [str(Path(sys.executable).absolute()), "-I", "-m", "homeport"]


def snippet(command: list[str], home: Path, timeout: int = HOOK_TIMEOUT) -> str:
    """The configuration text; `command` is the CLI (absolute), `home` the daemon's home."""
    for part in (*command, str(home)):
        if part.startswith("/") and not SAFE_PATH.match(part):
            raise AptHookRefused(f"The path {part!r} cannot go in an apt configuration string (quotes, spaces?).")
        if not part.startswith("/") and not re.match(r"^-?[A-Za-z0-9._-]+$", part):
            raise AptHookRefused(f"{part!r} cannot go in an apt configuration string.")
    if not command[0].startswith("/") or not home.is_absolute():
        raise AptHookRefused("The apt hook needs absolute paths for Homeport's command and home.")
    home_text = shlex.quote(str(home))
    prefix = " ".join(shlex.quote(p) for p in command)
    check = f"{prefix} selftest --after-package-change --home {home_text}"
    keep = f"{prefix} keep-packages --home {home_text}"
    test = f"if [ -x {shlex.quote(command[0])} ]; then"
    # Pre-Install-Pkgs gets the package files on stdin; a failure there would stop apt: `|| true` there too.
    before = f"{test} timeout --kill-after=5 {timeout} {keep}; else cat >/dev/null; fi || true"
    after = f"{test} timeout --kill-after=5 {timeout} {check}; fi || true"
    return (
        f"{MARKER}: after every dpkg run, check that the device still works (homeport selftest),\n"
        "// and keep a copy of the Samba packages being installed (so their version can be put back later).\n"
        "// Removed by `homeport serve --apt-hook none`; it never makes apt or dpkg fail.\n"
        f'DPkg::Pre-Install-Pkgs {{ "{before}"; }};\n'
        f'DPkg::Post-Invoke {{ "{after}"; }};\n'
    )


def install(path: Path, text: str) -> bool:
    """Write the snippet if it differs; True when written. Refuses to replace a file that is not Homeport's."""
    try:
        current = path.read_text()
    except FileNotFoundError:
        current = None
    except OSError as exc:
        raise AptHookRefused(f"Cannot read {path}: {exc.strerror}.") from exc
    if current == text:
        return False
    if current is not None and not current.startswith(MARKER):
        raise AptHookRefused(f"{path} exists and was not written by Homeport; choose another --apt-hook path.")
    if not path.parent.is_dir():
        raise AptHookRefused(f"{path.parent} does not exist (is apt installed?).")
    try:
        write_atomic(path, text.encode(), mode=0o644)
    except OSError as exc:
        raise AptHookRefused(f"Cannot write {path}: {exc.strerror}.") from exc
    return True


def remove(path: Path) -> bool:
    """Remove the snippet if it is Homeport's; True when removed."""
    try:
        if not path.read_text().startswith(MARKER):
            return False
    except OSError:
        return False
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    return True


def apply_choice(
    choice: str, home: Path, *, as_service: bool, default: Path = DEFAULT_APT_HOOK
) -> tuple[Path | None, str]:
    """`homeport serve --apt-hook`: `auto` (the default: DEFAULT_APT_HOOK when root runs Homeport as a system
    service, else nothing), `none` (opt out: Homeport's snippet at the default path is removed), or a path.
    Returns where the snippet is and, if it could not be written, why (start-up goes on either way)."""
    if choice == "none":
        remove(default)
        return None, ""
    if choice == "auto":
        if not as_service:
            return None, ""
        path = default
    else:
        path = Path(choice)
        if not path.is_absolute():
            return None, f"--apt-hook needs an absolute path, not {choice!r}."
    try:
        install(path, snippet(homeport_command(), home.absolute()))
    except AptHookRefused as exc:
        return None, str(exc)
    return path, ""
