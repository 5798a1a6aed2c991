"""Real data volumes for the tests: ext4 file systems on loop devices, mounted, filled, checksummed.

Everything a fixture sets up (mount, loop device, image) is undone even when the test fails.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

SIZE = "48M"


def run(*command: str) -> str:
    return subprocess.run(list(command), capture_output=True, text=True, timeout=60, check=True).stdout.strip()


@contextlib.contextmanager
def ext4_volume(workdir: Path, name: str = "volume1") -> Iterator[Path]:
    image = workdir / f"{name}.img"
    mountpoint = workdir / name
    mountpoint.mkdir()
    run("truncate", "-s", SIZE, str(image))
    run("mkfs.ext4", "-q", "-F", "-L", name, str(image))
    loop = run("losetup", "--find", "--show", str(image))
    try:
        run("mount", "-t", "ext4", loop, str(mountpoint))
        try:
            fill(mountpoint)
            yield mountpoint
        finally:
            subprocess.run(["umount", str(mountpoint)], capture_output=True, timeout=60, check=False)
    finally:
        subprocess.run(["losetup", "-d", loop], capture_output=True, timeout=60, check=False)
        image.unlink(missing_ok=True)


def fill(volume: Path) -> None:
    """Some of an owner's data: folders, binary and text files, an empty file, a symlink, odd names."""
    (volume / "photos" / "2026").mkdir(parents=True)
    for n in range(5):
        (volume / "photos" / "2026" / f"img_{n:03}.jpg").write_bytes(os.urandom(20_000 + n))
    (volume / "documents").mkdir()
    (volume / "documents" / "taxes 2025.txt").write_text("keep every receipt\n")
    (volume / "documents" / "empty").write_bytes(b"")
    (volume / "documents" / "ünïcödé.md").write_text("# notes\n")
    (volume / "documents" / "latest").symlink_to("taxes 2025.txt")


def checksums(volume: Path) -> dict[str, str]:
    """Every file and link outside `@homeport/`, with its content's hash (a link: its target)."""
    result = {}
    for path in sorted(volume.rglob("*")):
        relative = path.relative_to(volume)
        if relative.parts[0] in ("@homeport", "lost+found"):
            continue
        if path.is_symlink():
            result[str(relative)] = "-> " + os.readlink(path)
        elif path.is_file():
            result[str(relative)] = hashlib.sha256(path.read_bytes()).hexdigest()
        else:
            result[str(relative) + "/"] = "dir"
    return result
