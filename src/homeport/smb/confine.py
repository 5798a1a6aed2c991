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
MS_SLAVE = 0x80000


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
    # -P: the daemon's working folder is not put on the module path (a planted homeport/ there would run as root).
    return [sys.executable, "-P", "-m", "homeport.smb.confine", *options, "--", *command]


def is_confined(pid: int, hidden: Sequence[Path]) -> bool:
    """Whether no hidden helper can be run in that process's view of the file system: the blank device here, an
    inaccessible file under systemd's InaccessiblePaths= (the host's smbd), or none at all."""
    return bool(hidden) and os.path.exists(f"/proc/{pid}/root") and not any(_runnable(pid, path) for path in hidden)


def _runnable(pid: int, path: Path) -> bool:
    try:
        mode = os.stat(f"/proc/{pid}/root{path}").st_mode
    except FileNotFoundError:
        return False
    except OSError:
        return True  # unknown: said as reachable
    return stat.S_ISREG(mode) and bool(mode & 0o111)


def hide(paths: Sequence[str]) -> None:
    """A mount namespace for this process (and what it starts) that takes the host's mount changes and sends none
    back, the paths bound to the blank device."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(CLONE_NEWNS) != 0:
        raise OSError(ctypes.get_errno(), "unshare")
    # Slave: disks mounted or unmounted on the host later reach smbd too (a volume plugged in after the start must not
    # be served from the empty folder under it), while the mounts made here never reach the host.
    if libc.mount(b"none", b"/", None, MS_REC | MS_SLAVE, None) != 0:
        raise OSError(ctypes.get_errno(), "making the mounts one-way")
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
