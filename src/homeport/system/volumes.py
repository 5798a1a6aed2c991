"""The data volumes the daemon was given, with their free space. Homeport reads them; it never writes to them
(later, only into their `@homeport/` folder)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Volume:
    name: str
    path: Path
    available: bool
    total_bytes: int
    free_bytes: int


class VolumeService:
    def __init__(self, paths: list[Path]) -> None:
        self._paths = paths

    @property
    def paths(self) -> list[Path]:
        return list(self._paths)

    def list(self) -> list[Volume]:
        volumes = []
        for path in self._paths:
            try:
                stats = os.statvfs(path)
            except OSError:
                volumes.append(Volume(path.name, path, False, 0, 0))
                continue
            available = path.is_dir()
            volumes.append(
                Volume(
                    name=path.name,
                    path=path,
                    available=available,
                    total_bytes=stats.f_blocks * stats.f_frsize if available else 0,
                    free_bytes=stats.f_bavail * stats.f_frsize if available else 0,
                )
            )
        return volumes
