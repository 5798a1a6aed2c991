"""The data volumes the daemon was given: mount point, file system, size, free space, read-only or missing.

Homeport never deletes anything on a volume by itself: a volume that disappears is reported as missing and its
shared folders as unavailable until it comes back. It writes only into `@homeport/` and the shared folders an
administrator creates.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

MOUNTINFO = Path("/proc/self/mountinfo")


@dataclass(frozen=True)
class Volume:
    name: str
    path: Path
    available: bool
    total_bytes: int
    free_bytes: int
    filesystem: str = ""
    mount_point: str = ""
    read_only: bool = False

    @property
    def state(self) -> str:
        if not self.available:
            return "missing"
        return "read-only" if self.read_only else "ok"


def _unescape(field: str) -> str:
    """mountinfo writes space, tab, newline and backslash in paths as octal escapes."""
    for code, char in (("\\040", " "), ("\\011", "\t"), ("\\012", "\n"), ("\\134", "\\")):
        field = field.replace(code, char)
    return field


def mounts(mountinfo: Path = MOUNTINFO) -> list[tuple[str, str]]:
    """(mount point, file system type) of every mount, in mount order."""
    found = []
    try:
        lines = mountinfo.read_text().splitlines()
    except OSError:
        return []
    for line in lines:
        before, _, after = line.partition(" - ")
        fields, tail = before.split(), after.split()
        if len(fields) >= 5 and tail:
            found.append((_unescape(fields[4]), tail[0]))
    return found


def mount_of(path: Path, known: list[tuple[str, str]]) -> tuple[str, str]:
    """The mount holding `path` (the longest mount point above it, the last mounted wins)."""
    resolved = str(path.resolve())
    best = ("", "")
    for point, fstype in known:
        inside = resolved == point or resolved.startswith(point.rstrip("/") + "/")
        if inside and len(point) >= len(best[0]):
            best = (point, fstype)
    return best


class VolumeService:
    def __init__(self, paths: list[Path], mountinfo: Path = MOUNTINFO) -> None:
        self._paths = paths
        self._mountinfo = mountinfo

    @property
    def paths(self) -> list[Path]:
        return list(self._paths)

    def find(self, name: str) -> Volume | None:
        return next((v for v in self.list() if v.name == name), None)

    def list(self) -> list[Volume]:
        known = mounts(self._mountinfo)
        volumes = []
        for path in self._paths:
            try:
                stats = os.statvfs(path)
            except OSError:
                volumes.append(Volume(path.name, path, False, 0, 0))
                continue
            if not path.is_dir():
                volumes.append(Volume(path.name, path, False, 0, 0))
                continue
            point, fstype = mount_of(path, known)
            volumes.append(
                Volume(
                    name=path.name,
                    path=path,
                    available=True,
                    total_bytes=stats.f_blocks * stats.f_frsize,
                    free_bytes=stats.f_bavail * stats.f_frsize,
                    filesystem=fstype,
                    mount_point=point,
                    read_only=bool(stats.f_flag & os.ST_RDONLY),
                )
            )
        return volumes
