"""Passwords come from a TTY prompt or from standard input, never from the command line."""

from __future__ import annotations

import getpass
import sys

from homeport.cli.output import INVALID, fail

MAX_STDIN = 8192  # a password is at most 1024 bytes; anything this long is not one


def read_new_password(prompt: str = "New password", *, as_json: bool = False) -> str:
    """`as_json`: the command was given `--json`, so a problem is reported as its JSON document."""
    if sys.stdin.isatty():
        first = getpass.getpass(f"{prompt}: ")
        second = getpass.getpass(f"{prompt} again: ")
        if first != second:
            fail("The two passwords differ; nothing was changed.", INVALID, as_json=as_json)
        return first
    text = sys.stdin.read(MAX_STDIN)
    lines = text.splitlines()
    if not lines:
        fail("Expected the password on standard input (one line).", INVALID, as_json=as_json)
    if len(lines) > 1 or len(text) >= MAX_STDIN:
        # A second line is a mistake (two passwords, a file piped in): refuse rather than guess which one.
        fail(f"Standard input held {len(lines)} lines; give exactly one line: the password.", INVALID, as_json=as_json)
    return lines[0]


def read_secret(prompt: str, *, as_json: bool = False) -> str:
    """One secret that already exists (a passphrase to open something): asked once on a terminal, or one line
    of standard input."""
    if sys.stdin.isatty():
        return getpass.getpass(f"{prompt}: ")
    text = sys.stdin.read(MAX_STDIN)
    lines = text.splitlines()
    if len(lines) != 1 or len(text) >= MAX_STDIN:
        fail(f"Give the {prompt.lower()} as exactly one line on standard input.", INVALID, as_json=as_json)
    return lines[0]
