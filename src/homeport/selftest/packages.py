"""Which Debian packages changed since the last look: dpkg's log, read from a remembered position, and how to go
back to the version each had before.

dpkg writes one line per action: `2026-12-01 05:00:00 upgrade samba:amd64 2:4.17.12-1 2:4.17.13-1` (also
`install` with `<none>` as the old version, `remove` and `purge` with `<none>` as the new one). logrotate renames
the log to dpkg.log.1: a remembered position names the file's inode, so the rest of a rotated log is read too.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

DPKG_LOG = Path("/var/log/dpkg.log")
APT_ARCHIVES = Path("/var/cache/apt/archives")
ACTIONS = ("install", "upgrade", "remove", "purge")
MAX_READ = 4 * 1024 * 1024  # a log that grew more than this since the last look: its newest part is read
NONE = "<none>"


@dataclass(frozen=True)
class LogPosition:
    inode: int
    offset: int

    def as_dict(self) -> dict[str, int]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LogPosition:
        return cls(int(data["inode"]), int(data["offset"]))


@dataclass(frozen=True)
class PackageChange:
    action: str  # install, upgrade (downgrades too), remove, purge
    package: str
    arch: str
    old: str  # "" when it was not installed
    new: str  # "" when it is gone
    way_back: str = ""  # what to run to go back, a sentence

    def as_dict(self) -> dict[str, str]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PackageChange:
        return cls(**{k: str(data.get(k, "")) for k in ("action", "package", "arch", "old", "new", "way_back")})

    def sentence(self) -> str:
        if not self.old:
            return f"{self.package} {self.new} was installed"
        if not self.new:
            return f"{self.package} {self.old} was removed"
        return f"{self.package} went from {self.old} to {self.new}"


def end_of(log: Path) -> LogPosition | None:
    """Where the log ends now (None when there is no log)."""
    try:
        found = log.stat()
    except OSError:
        return None
    return LogPosition(found.st_ino, found.st_size)


def read_changes(log: Path, since: LogPosition | None) -> tuple[list[PackageChange], LogPosition | None]:
    """Package changes after `since` (None: nothing before now counts), merged per package (the first old version,
    the last new one), and the position to remember."""
    now = end_of(log)
    if now is None or since is None:
        return [], now
    text = ""
    if since.inode != now.inode:
        rotated = log.with_name(log.name + ".1")
        rotated_end = end_of(rotated)
        if rotated_end is not None and rotated_end.inode == since.inode:
            text += _read(rotated, since.offset)[0]
        since = LogPosition(now.inode, 0)
    elif since.offset > now.offset:  # truncated: read it all again
        since = LogPosition(now.inode, 0)
    tail, offset = _read(log, since.offset)
    return merge(parse(text + tail)), LogPosition(now.inode, offset)


def _read(path: Path, offset: int) -> tuple[str, int]:
    """Whole lines from `offset` on, and the offset after the last one (a line being written waits)."""
    try:
        with path.open("rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            start = max(offset, size - MAX_READ)
            handle.seek(start)
            data = handle.read(size - start)
    except OSError:
        return "", offset
    complete = data[: data.rfind(b"\n") + 1]
    if start > offset:  # skipped ahead: drop the partial first line
        complete = complete[complete.find(b"\n") + 1 :]
    return complete.decode(errors="replace"), start + len(data[: data.rfind(b"\n") + 1])


def parse(text: str) -> list[PackageChange]:
    found = []
    for line in text.splitlines():
        fields = line.split()
        if len(fields) != 6 or fields[2] not in ACTIONS:
            continue
        package, _, arch = fields[3].partition(":")
        old, new = ("" if v == NONE else v for v in fields[4:6])
        found.append(PackageChange(fields[2], package, arch, old, new))
    return found


def merge(changes: list[PackageChange]) -> list[PackageChange]:
    """One change per package: a package upgraded twice in the window went from the first old to the last new."""
    merged: dict[tuple[str, str], PackageChange] = {}
    for change in changes:
        key = (change.package, change.arch)
        first = merged.get(key)
        if first is None:
            merged[key] = change
            continue
        old, new = first.old, change.new
        if old == new:  # back where it was
            del merged[key]
            continue
        action = "install" if not old else "remove" if not new else "upgrade"
        merged[key] = PackageChange(action, change.package, change.arch, old, new)
    return list(merged.values())


def deb_name(package: str, version: str, arch: str) -> str:
    """The file name apt gives a package (`samba_2%3a4.17.12-1_amd64.deb`: the epoch's colon is escaped)."""
    return f"{package}_{version.replace(':', '%3a')}_{arch}.deb"


def with_way_back(change: PackageChange, archives: Path = APT_ARCHIVES, kept: Path | None = None) -> PackageChange:
    """The change with the command that undoes it: the old version from apt's cache, or a kept copy."""
    if not change.old:
        way = f"apt-get remove {change.package}"
    else:
        name = deb_name(change.package, change.old, change.arch or "all")
        if (archives / name).is_file():
            way = f"apt-get install {change.package}={change.old} (its package is still in {archives})"
        elif kept is not None and (kept / name).is_file():
            way = f"apt-get install {kept / name}"
        else:
            way = (
                f"apt-get install {change.package}={change.old} (its package file is no longer on this device: "
                "this works only while your package source still offers that version)"
            )
    return PackageChange(change.action, change.package, change.arch, change.old, change.new, way)
