"""New share folders on a volume: reachable by the SMB accounts whatever the daemon's umask."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from homeport.files import folders


def test_a_nested_share_folder_and_its_new_parents_are_reachable_under_umask_077(tmp_path: Path) -> None:
    volume = tmp_path / "volume1"
    volume.mkdir(mode=0o755)
    (volume / "Existing").mkdir(mode=0o700)  # not ours to change
    previous = os.umask(0o077)
    try:
        made = folders.make(volume, "Family/Photos/2024")
        folders.make(volume, "Existing/Inside")
    finally:
        os.umask(previous)
    assert made == volume / "Family" / "Photos" / "2024"
    assert stat.S_IMODE((volume / "Family").stat().st_mode) == 0o755
    assert stat.S_IMODE((volume / "Family" / "Photos").stat().st_mode) == 0o755
    assert stat.S_IMODE(made.stat().st_mode) == folders.FOLDER_MODE
    assert stat.S_IMODE((volume / "Existing").stat().st_mode) == 0o700
