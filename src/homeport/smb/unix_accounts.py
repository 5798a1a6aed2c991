"""The Unix accounts Samba needs behind each SMB account, in a range reserved for Homeport.

Embedded: written to nss_wrapper files in the home (only Homeport's smbd and pdbedit see them). System: real
accounts on the host (no home, no shell, no password), created and removed with the Homeport accounts; a host
account of the same name outside the range is never touched, and that account gets no SMB access (said in status).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Protocol

from homeport.core.atomic import write_atomic
from homeport.files.folders import SHARE_GROUP_GID
from homeport.smb.layout import SambaLayout

UID_BASE = 70000  # the SMB accounts' group; each account's uid comes from the store's counter (m0007), above it
UID_LIMIT = 169999
GROUP_NAME = "homeport-smb"


class UnixAccounts(Protocol):
    def ensure(self, accounts: Mapping[str, int]) -> list[str]:
        """Make exactly these (name -> uid) exist; returns names that could not be made, with why."""

    def highest_uid(self) -> int | None:
        """The highest uid in Homeport's range that exists now (files on the volumes may still belong to it)."""


def _highest_in_range(passwd: Path) -> int | None:
    uids = []
    with contextlib.suppress(FileNotFoundError):
        for line in passwd.read_text().splitlines():
            fields = line.split(":")
            if len(fields) >= 3 and fields[2].isdigit() and UID_BASE < int(fields[2]) <= UID_LIMIT:
                uids.append(int(fields[2]))
    return max(uids, default=None)


class WrappedAccounts:
    """nss_wrapper's passwd and group files: rewritten whole (atomically) when the accounts change."""

    def __init__(self, layout: SambaLayout) -> None:
        self._layout = layout

    def highest_uid(self) -> int | None:
        return _highest_in_range(self._layout.nss_passwd)

    def ensure(self, accounts: Mapping[str, int]) -> list[str]:
        passwd = ["root:x:0:0:root:/root:/bin/false", "nobody:x:65534:65534:nobody:/nonexistent:/bin/false"]
        passwd += [
            f"{name}:x:{uid}:{SHARE_GROUP_GID}::/nonexistent:/bin/false" for name, uid in sorted(accounts.items())
        ]
        members = ",".join(sorted(accounts))
        group = ["root:x:0:", "nogroup:x:65534:", f"{GROUP_NAME}:x:{SHARE_GROUP_GID}:{members}"]
        for path, lines in ((self._layout.nss_passwd, passwd), (self._layout.nss_group, group)):
            text = "\n".join(lines) + "\n"
            if not path.exists() or path.read_text() != text:
                write_atomic(path, text.encode(), mode=0o644)
        return []


class HostAccounts:
    """Real accounts for a Samba installed on the host (`--smb system`), made with shadow's tools. `prefix` is a
    root whose etc/passwd and etc/group are used instead of the host's (tests; shadow's `--prefix`)."""

    def __init__(self, prefix: Path | None = None) -> None:
        self._prefix = prefix

    def _etc(self, name: str) -> Path:
        return (self._prefix or Path("/")) / "etc" / name

    def highest_uid(self) -> int | None:
        return _highest_in_range(self._etc("passwd"))

    def _entries(self, name: str) -> dict[str, int]:
        found = {}
        with contextlib.suppress(FileNotFoundError):
            for line in self._etc(name).read_text().splitlines():
                fields = line.split(":")
                if len(fields) >= 3 and fields[2].isdigit():
                    found[fields[0]] = int(fields[2])
        return found

    def ensure(self, accounts: Mapping[str, int]) -> list[str]:
        problems: list[str] = []
        if SHARE_GROUP_GID not in self._entries("group").values():
            self._run("groupadd", "--gid", str(SHARE_GROUP_GID), GROUP_NAME)
        present = self._entries("passwd")
        for name, uid in sorted(accounts.items()):
            if name in present:
                if present[name] != uid:
                    problems.append(f"{name}: a host account of that name exists outside Homeport's range")
                continue
            done = self._run("useradd", "--uid", str(uid), "--gid", str(SHARE_GROUP_GID), "--no-create-home",
                             "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", "--comment",
                             "Homeport SMB account", name)  # fmt: skip
            if done.returncode != 0:
                problems.append(f"{name}: useradd failed ({done.stderr.strip()[:120]})")
        for name, uid in present.items():
            if UID_BASE <= uid <= UID_LIMIT and name not in accounts:
                self._run("userdel", name)
        return problems

    def _run(self, tool: str, *args: str) -> subprocess.CompletedProcess[str]:
        prefix = ("--prefix", str(self._prefix)) if self._prefix is not None else ()
        path = os.environ.get("PATH", "") + ":/usr/sbin:/sbin"
        return subprocess.run(  # noqa: S603 - fixed tools, checked names
            [tool, *prefix, *args], capture_output=True, text=True, check=False, timeout=20,
            env={**os.environ, "PATH": path},
        )  # fmt: skip


def systemd_drop_in(conf: Path, hidden: Sequence[Path] = ()) -> str:
    """Points the host's smbd at Homeport's smb.conf (written to /etc/systemd/system/smbd.service.d/), and hides
    Samba's password-change helper from it as the embedded smbd has it hidden (smb/confine.py)."""
    return (
        "# Written by Homeport: smbd reads Homeport's configuration, not /etc/samba/smb.conf.\n"
        "[Service]\n"
        "ExecStart=\n"
        f"ExecStart=/usr/sbin/smbd --foreground --no-process-group -s {conf}\n"
        + "".join(f"InaccessiblePaths=-{path}\n" for path in hidden)
    )
