"""Samba's folders: private ones in the home, the lock and ncalrpc folders where the SMB accounts reach them."""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from homeport.smb import layout as layout_module
from homeport.smb.layout import SambaLayout, remove_stale_runtimes


@pytest.fixture
def strict_umask() -> Iterator[None]:
    previous = os.umask(0o077)  # the daemon's
    try:
        yield
    finally:
        os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_accounts_reach_lock_and_ncalrpc_whatever_the_umask(
    strict_umask: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = tmp_path / "run" / "homeport"
    monkeypatch.setattr(layout_module, "RUNTIME_ROOT", run)
    made = SambaLayout(tmp_path / "home" / "smb", run / "smb-0123")
    (tmp_path / "home").mkdir(mode=0o700)
    made.prepare()
    for folder in (run, made.runtime, made.folder("lock"), made.folder("ncalrpc")):
        assert folder is not None and mode(folder) == 0o755, folder
    assert made.folder("lock") == run / "smb-0123" / "lock"
    for name in ("private", "state", "cache", "pid", "log", "nss"):
        assert mode(made.root / name) == 0o700, name
    assert mode(made.root) == 0o711
    made.remove_runtime()
    assert not (run / "smb-0123").exists() and made.root.exists()


def test_one_runtime_folder_per_home_and_none_without_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    first, second = SambaLayout.in_home(Path("/srv/a/home")), SambaLayout.in_home(Path("/srv/b/home"))
    assert first.runtime is not None and second.runtime is not None and first.runtime != second.runtime
    assert first.runtime.parent == Path("/run/homeport") and first.folder("state") == Path("/srv/a/home/smb/state")
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    assert SambaLayout.in_home(Path("/srv/a/home")).runtime is None
    assert SambaLayout.in_home(Path("/srv/a/home")).folder("lock") == Path("/srv/a/home/smb/lock")


def test_runtime_folders_of_homes_that_are_gone_are_removed(tmp_path: Path) -> None:
    run = tmp_path / "run"
    kept = SambaLayout(tmp_path / "kept" / "smb", run / "smb-kept")
    gone = SambaLayout(tmp_path / "gone" / "smb", run / "smb-gone")
    for made in (kept, gone):
        made.root.parent.mkdir()
        made.prepare()
    (run / "smb-preparing").mkdir()  # no marker yet
    shutil.rmtree(tmp_path / "gone")
    assert remove_stale_runtimes(run) == [run / "smb-gone"]
    assert sorted(p.name for p in run.iterdir()) == ["smb-kept", "smb-preparing"]


def test_a_relative_home_is_made_absolute_and_a_relative_marker_never_judged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    layout = SambaLayout.in_home(Path("var/homeport"))
    assert layout.root == tmp_path / "var" / "homeport" / "smb"
    runtime = tmp_path / "run"
    (runtime / "smb-relative").mkdir(parents=True)
    (runtime / "smb-relative" / "home").write_text("var/homeport/smb\n")  # written by an older version
    monkeypatch.chdir("/")
    assert remove_stale_runtimes(runtime) == []  # read from elsewhere it would look gone: left alone
