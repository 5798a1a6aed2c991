"""Windows network discovery (WS-Discovery) for the SMB service, with Debian's `wsdd` when it is installed: the
device then shows under "Network" in Windows Explorer. Only on the interfaces Homeport manages, and only while
the LAN announcement (mDNS) is on."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable

from homeport.smb.process import Supervised


def wsdd_program() -> str | None:
    return shutil.which("wsdd") or shutil.which("wsdd2")


def windows_discovery(
    interfaces: tuple[str, ...], hostname: Callable[[], str], workgroup: Callable[[], str]
) -> Supervised | None:
    """A supervised wsdd for these interfaces, or None when no wsdd is installed (nothing else changes)."""
    program = wsdd_program()
    if program is None or not interfaces:
        return None

    def command() -> list[str]:
        args = [program]
        if os.path.basename(program) == "wsdd":
            for name in interfaces:
                args += ["--interface", name]
            args += ["--hostname", hostname(), "--workgroup", workgroup(), "--shortlog"]
        else:  # wsdd2 takes fewer options: names come from smb.conf
            args += ["-w"]
        return args

    return Supervised("wsdd", command, lambda: {"PATH": os.environ.get("PATH", "/usr/bin:/bin")})
