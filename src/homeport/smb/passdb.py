"""Samba's passdb, read and written through pdbedit: the NT hash never appears on a command line. Changes go in as
an smbpasswd-format file, 0600 on a tmpfs (never on a disk), removed right after."""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from homeport.smb.tools import SambaTools, SambaUnavailable

NO_LM_HASH = "X" * 32
IMPORT_PREFIX = "homeport-smb-"  # then the writing process's id: homeport-smb-<pid>-<random>
# Memory-backed folders: an import file with hashes must never reach a disk.
TMPFS_CANDIDATES = (Path("/dev/shm"), Path("/run"))  # noqa: S108


class PassdbUnreadable(SambaUnavailable):
    """Samba cannot read its passdb file (damaged): the store has everything to make it again."""


@dataclass(frozen=True, repr=False)
class PassdbEntry:
    name: str
    uid: int
    nt_hash: str  # upper-case hex, or "" when Samba holds none
    disabled: bool

    def __repr__(self) -> str:  # never the hash, even in a traceback
        return f"PassdbEntry({self.name!r}, uid={self.uid}, disabled={self.disabled})"


def parse_listing(text: str) -> dict[str, PassdbEntry]:
    """`pdbedit -Lw` lines: name:uid:LM:NT:[flags]:LCT-...:"""
    found: dict[str, PassdbEntry] = {}
    for line in text.splitlines():
        fields = line.split(":")
        if len(fields) < 6 or not fields[1].isdigit():
            continue
        flags = fields[4].strip("[] ")
        nt = fields[3].upper()
        found[fields[0]] = PassdbEntry(fields[0], int(fields[1]), "" if nt.startswith("X") else nt, "D" in flags)
    return found


def smbpasswd_line(entry: PassdbEntry, now: float) -> str:
    flags = "UX" + ("D" if entry.disabled else "")
    return f"{entry.name}:{entry.uid}:{NO_LM_HASH}:{entry.nt_hash}:[{flags:<11}]:LCT-{int(now):08X}:\n"


def _tmpfs() -> Path:
    for candidate in TMPFS_CANDIDATES:
        if candidate.is_dir() and os.access(candidate, os.W_OK):
            return candidate
    raise SambaUnavailable("No writable tmpfs (/dev/shm or /run) to pass password hashes to Samba through.")


class Passdb:
    def __init__(self, tools: SambaTools) -> None:
        self._tools = tools

    def entries(self) -> dict[str, PassdbEntry]:
        result = self._tools.run("pdbedit", "-L", "-w")
        if result.code != 0:
            if f"{self._tools.layout.passdb}" in result.err:  # tdb names the file it cannot read
                raise PassdbUnreadable(f"Samba could not read its password database: {_reason(result.err)}")
            raise SambaUnavailable(f"pdbedit could not list the SMB accounts: {_reason(result.err)}")
        return parse_listing(result.out)

    def set_aside(self) -> Path:
        """Move an unreadable passdb out of the way (kept for a look, replacing an older one set aside)."""
        kept = self._tools.layout.passdb.with_name("passdb.tdb.unreadable")
        os.replace(self._tools.layout.passdb, kept)
        return kept

    def write(self, entries: Iterable[PassdbEntry]) -> None:
        """Add or replace these accounts (hash and flags) in one import."""
        lines = [smbpasswd_line(e, time.time()) for e in entries]
        if not lines:
            return
        fd, name = tempfile.mkstemp(prefix=f"{IMPORT_PREFIX}{os.getpid()}-", dir=_tmpfs())  # 0600 from the start
        try:
            with os.fdopen(fd, "w") as handle:
                handle.writelines(lines)
            result = self._tools.run("pdbedit", "-i", f"smbpasswd:{name}", "-e", f"tdbsam:{self._tools.layout.passdb}")
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(name)
        if result.code != 0:
            raise SambaUnavailable(f"pdbedit could not import the SMB accounts: {_reason(result.err or result.out)}")

    def remove(self, name: str) -> None:
        result = self._tools.run("pdbedit", "-x", "-u", name)
        if result.code != 0 and name in self.entries():
            raise SambaUnavailable(f"pdbedit could not remove the SMB account {name}: {_reason(result.err)}")


def remove_leftover_imports() -> list[Path]:
    """Import files of a Homeport killed while pdbedit read them (SIGKILL runs no `finally`): hashes stay on a
    tmpfs only while the process that wrote them lives."""
    removed = []
    for folder in TMPFS_CANDIDATES:
        with contextlib.suppress(OSError):
            for path in folder.glob(f"{IMPORT_PREFIX}*"):
                pid = path.name.removeprefix(IMPORT_PREFIX).split("-")[0]
                if pid.isdigit() and not Path(f"/proc/{pid}").exists():
                    with contextlib.suppress(FileNotFoundError):
                        path.unlink()
                        removed.append(path)
    return removed


def _reason(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1][:200] if lines else "no reason given"
