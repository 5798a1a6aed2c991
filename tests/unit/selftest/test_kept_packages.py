"""Copies of the Samba packages being installed: only those SMB needs, each atomically, bounded in number and size."""

from __future__ import annotations

import os
from pathlib import Path

from homeport.selftest.kept_packages import KEEP_VERSIONS, debs_from, keep, prune


def deb(folder: Path, name: str, size: int = 10, age: float = 0.0) -> Path:
    path = folder / name
    path.write_bytes(b"x" * size)
    if age:
        os.utime(path, (path.stat().st_mtime - age, path.stat().st_mtime - age))
    return path


def test_only_the_packages_smb_needs_are_kept(tmp_path: Path) -> None:
    cache, kept = tmp_path / "archives", tmp_path / "home" / "packages"
    cache.mkdir()
    samba = deb(cache, "samba_2%3a4.17.12-1_amd64.deb")
    libs = deb(cache, "samba-libs_2%3a4.17.12-1_amd64.deb")
    other = deb(cache, "tree_2.1.0-1_amd64.deb")
    lines = [f"{samba}\n", f"{libs}\n", f"{other}\n", "not a package\n", f"{cache / 'smbclient_1_amd64.deb'}\n"]
    made = keep(debs_from(lines), kept)
    assert sorted(p.name for p in made) == sorted([samba.name, libs.name])
    assert sorted(p.name for p in kept.iterdir()) == sorted([samba.name, libs.name])  # no partial file left
    assert kept.stat().st_mode & 0o777 == 0o700
    assert keep(debs_from([f"{samba}\n"]), kept) == []  # kept already


def test_only_the_newest_versions_are_kept_within_the_size_cap(tmp_path: Path) -> None:
    for age, version in enumerate(("5", "4", "3", "2")):
        deb(tmp_path, f"samba_{version}_amd64.deb", age=100.0 * (age + 1))
    deb(tmp_path, "smbclient_1_amd64.deb", size=50, age=1000.0)
    removed = prune(tmp_path)
    assert sorted(p.name for p in tmp_path.glob("samba_*")) == ["samba_4_amd64.deb", "samba_5_amd64.deb"]
    assert len([p for p in removed if p.name.startswith("samba_")]) == 4 - KEEP_VERSIONS
    prune(tmp_path, max_bytes=25)  # over the cap: the oldest go first
    assert sorted(p.name for p in tmp_path.glob("*.deb")) == ["samba_4_amd64.deb", "samba_5_amd64.deb"]
