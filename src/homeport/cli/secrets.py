"""Passwords come from a TTY prompt or from standard input, never from the command line."""

from __future__ import annotations

import getpass
import sys

from homeport.cli.output import INVALID, fail


def read_new_password(prompt: str = "New password") -> str:
    if sys.stdin.isatty():
        first = getpass.getpass(f"{prompt}: ")
        second = getpass.getpass(f"{prompt} again: ")
        if first != second:
            fail("The two passwords differ; nothing was changed.", INVALID)
        return first
    line = sys.stdin.readline()
    if not line:
        fail("Expected the password on standard input (one line).", INVALID)
    return line.removesuffix("\n").removesuffix("\r")
