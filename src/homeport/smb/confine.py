"""smbd without the password-change RPC: Samba's `rpcd_lsad` helper is hidden from it.

Samba 4.17 serves SAMR (and LSA) from `rpcd_lsad`, which samba-dcerpcd starts on demand for smbd. SAMR lets any
account that can sign in change *any* account's password by knowing the old one: an unthrottled, unlogged way to
guess passwords, and a second place a password could change behind the store's back. Samba has no switch left for
it (`rpc_server:samr = disabled` is ignored since samba-dcerpcd), so smbd runs in a mount namespace of its own in
which that one program is /dev/null: samba-dcerpcd cannot start it and clients are told the pipe does not exist.
Share listings (srvsvc, in `rpcd_classic`) keep working; what is lost is LSA's SID-to-name lookups, so Windows'
Security tab shows account SIDs instead of names.

Run as `python -m homeport.smb.confine --hide PATH ... -- PROGRAM ARGS...`: it hides, then executes PROGRAM. When
the namespace cannot be made (no CAP_SYS_ADMIN), PROGRAM still runs and `is_confined` tells the file service so.
"""

from __future__ import annotations

import ctypes
import os
import stat
import sys
from collections.abc import Sequence
from pathlib import Path

HIDDEN_HELPERS = ("rpcd_lsad",)
HELPER_FOLDERS = ("/usr/libexec/samba", "/usr/lib/samba", "/usr/local/samba/libexec")
BLANK = "/dev/null"

CLONE_NEWNS = 0x00020000
MS_BIND = 0x1000
MS_REC = 0x4000
MS_PRIVATE = 0x40000


def helpers_to_hide(folders: Sequence[str] = HELPER_FOLDERS) -> tuple[Path, ...]:
    """The helpers to hide, in the folder samba-dcerpcd is started from (empty when there is none)."""
    for folder in map(Path, folders):
        if (folder / "samba-dcerpcd").exists():
            return tuple(folder / name for name in HIDDEN_HELPERS if (folder / name).exists())
    return ()


def confined_command(command: Sequence[str], hidden: Sequence[Path]) -> list[str]:
    if not hidden:
        return list(command)
    options = [part for path in hidden for part in ("--hide", str(path))]
    return [sys.executable, "-m", "homeport.smb.confine", *options, "--", *command]


def is_confined(pid: int, hidden: Sequence[Path]) -> bool:
    """Whether every hidden helper is the blank device in that process's view of the file system."""
    try:
        return bool(hidden) and all(stat.S_ISCHR(os.stat(f"/proc/{pid}/root{path}").st_mode) for path in hidden)
    except OSError:
        return False


def hide(paths: Sequence[str]) -> None:
    """A private mount namespace for this process (and what it starts), the paths bound to the blank device."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(CLONE_NEWNS) != 0:
        raise OSError(ctypes.get_errno(), "unshare")
    if libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None) != 0:  # nothing leaks back to the host
        raise OSError(ctypes.get_errno(), "making the mounts private")
    for path in paths:
        if libc.mount(BLANK.encode(), path.encode(), None, MS_BIND, None) != 0:
            raise OSError(ctypes.get_errno(), f"hiding {path}")


def main(argv: Sequence[str]) -> int:
    args = list(argv)
    if "--" not in args:
        print("usage: python -m homeport.smb.confine --hide PATH ... -- PROGRAM ARGS...", file=sys.stderr)
        return 2
    split = args.index("--")
    options, command = args[:split], args[split + 1 :]
    if not command or len(options) % 2 or any(flag != "--hide" for flag in options[::2]):
        print("usage: python -m homeport.smb.confine --hide PATH ... -- PROGRAM ARGS...", file=sys.stderr)
        return 2
    try:
        hide(options[1::2])
    except OSError as exc:
        print(f"homeport: could not hide Samba's password-change service ({exc}); starting without", file=sys.stderr)
    os.execv(command[0], command)  # noqa: S606 - the supervisor's fixed command
    return 127  # not reached


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
