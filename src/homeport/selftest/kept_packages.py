"""Copies of the Samba packages dpkg installs, kept so that the version before an upgrade can be put back.

apt deletes a package file once it is installed (`apt`'s default), so the version an upgrade replaces is usually
gone from /var/cache/apt/archives by then. The apt snippet's `DPkg::Pre-Install-Pkgs` hook hands Homeport the
package files about to be installed: those of the packages SMB needs are copied to `<home>/packages/`, so at the
next upgrade the version it replaces is still there. Bounded: the newest KEEP_VERSIONS of each package, and
MAX_BYTES in all (the oldest go first).
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterable
from pathlib import Path

KEEP_VERSIONS = 2
MAX_BYTES = 300 * 1024 * 1024
# Samba and the libraries of its own that smbd, pdbedit and smbclient load (Debian 12's names).
WATCHED = frozenset({
    "samba", "samba-common", "samba-common-bin", "samba-libs", "samba-vfs-modules", "samba-dsdb-modules",
    "smbclient", "libsmbclient", "libwbclient0", "python3-samba", "libldb2", "libtalloc2", "libtdb1", "libtevent0",
    "libnss-wrapper",
})  # fmt: skip


def kept_folder(home: Path) -> Path:
    return home.absolute() / "packages"


def package_of(deb: Path) -> str:
    """`samba_2%3a4.17.12-1_amd64.deb` -> `samba` (apt's file names: package_version_arch.deb)."""
    return deb.name.split("_", 1)[0]


def keep(debs: Iterable[Path], folder: Path) -> list[Path]:
    """Copy the watched packages among `debs` into `folder` (atomically each); returns the copies made."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    made = []
    for deb in debs:
        if deb.suffix != ".deb" or package_of(deb) not in WATCHED or not deb.is_file():
            continue
        target = folder / deb.name
        if target.exists():
            continue
        partial = folder / f".{deb.name}.{os.getpid()}.part"
        try:
            shutil.copyfile(deb, partial)
            os.replace(partial, target)
            made.append(target)
        except OSError:
            with contextlib.suppress(FileNotFoundError):
                partial.unlink()
    prune(folder)
    return made


def prune(folder: Path, max_bytes: int = MAX_BYTES) -> list[Path]:
    """Drop all but the newest KEEP_VERSIONS of each package, then the oldest files beyond `max_bytes`."""
    files = sorted(folder.glob("*.deb"), key=lambda p: p.stat().st_mtime, reverse=True)  # newest first
    seen: dict[str, int] = {}
    removed = []
    total = 0
    for path in files:
        name = package_of(path)
        seen[name] = seen.get(name, 0) + 1
        size = path.stat().st_size
        if seen[name] > KEEP_VERSIONS or total + size > max_bytes:
            path.unlink()
            removed.append(path)
        else:
            total += size
    return removed


def debs_from(lines: Iterable[str]) -> list[Path]:
    """apt's Pre-Install-Pkgs protocol (version 1): one package file path a line."""
    return [Path(line.strip()) for line in lines if line.strip().endswith(".deb")]
