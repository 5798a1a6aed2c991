"""Releases an update was rolled back from: only the newest stays, the current one never goes."""

from __future__ import annotations

import json
import os
from pathlib import Path

from homeport.updates.releases import FAILED_MARK, RELEASE_FILE, ReleaseRoot


def _release(root: ReleaseRoot, name: str, built_at: float, failed: str = "") -> Path:
    folder = root.releases / name
    (folder / "venv").mkdir(parents=True)
    (folder / RELEASE_FILE).write_text(json.dumps({"version": name.split("-", maxsplit=1)[0], "built_at": built_at}))
    if failed:
        (folder / FAILED_MARK).write_text(failed)
    return folder


def test_only_the_newest_failed_release_is_kept_and_never_the_current_one(tmp_path: Path) -> None:
    root = ReleaseRoot(tmp_path)
    good = _release(root, "0.1.0-a", 1.0)
    first = _release(root, "0.1.1-b", 2.0, "the trial failed")
    second = _release(root, "0.1.1-c", 3.0, "the daemon did not start")
    running_failed = _release(root, "0.0.9-d", 0.5, "an old mark on the release that runs")
    os.symlink(running_failed, tmp_path / "current")

    assert root.discard_failed() == ["0.1.1-b"]

    assert good.exists() and second.exists() and running_failed.exists()
    assert not first.exists()
