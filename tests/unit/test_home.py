"""The home folder check: a home that is a symlink or someone else's is refused, and nothing behind it is touched."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from homeport.home import Home, HomeUnusable

NOBODY = 65534


def mode_of(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def test_a_new_home_is_created_private(tmp_path: Path) -> None:
    home = Home(tmp_path / "var" / "homeport")
    home.prepare()
    info = os.lstat(home.root)
    assert stat.S_ISDIR(info.st_mode) and stat.S_IMODE(info.st_mode) == 0o700
    assert info.st_uid == os.geteuid()


def test_an_existing_home_of_ours_is_made_private(tmp_path: Path) -> None:
    root = tmp_path / "home"
    root.mkdir()
    os.chmod(root, 0o750)
    Home(root).prepare()
    assert mode_of(root) == 0o700


def test_a_home_writable_by_others_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "home"
    root.mkdir()
    os.chmod(root, 0o777)
    with pytest.raises(HomeUnusable, match="chmod 700"):
        Home(root).prepare()
    assert mode_of(root) == 0o777


def test_a_symlink_to_a_folder_of_ours_is_refused_and_the_folder_is_untouched(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere"
    target.mkdir()
    os.chmod(target, 0o755)
    link = tmp_path / "home"
    link.symlink_to(target)
    with pytest.raises(HomeUnusable, match="symbolic link") as caught:
        Home(link).prepare()
    assert str(target) in str(caught.value) and "--home" in str(caught.value)
    assert mode_of(target) == 0o755
    assert list(target.iterdir()) == []


def test_a_dangling_symlink_is_refused_and_nothing_is_created_through_it(tmp_path: Path) -> None:
    target = tmp_path / "missing"
    link = tmp_path / "home"
    link.symlink_to(target)
    with pytest.raises(HomeUnusable, match="symbolic link"):
        Home(link).prepare()
    assert not target.exists()


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a folder to another user needs root")
def test_a_folder_of_another_user_is_refused_and_left_as_it_is(tmp_path: Path) -> None:
    root = tmp_path / "home"
    root.mkdir()
    os.chmod(root, 0o755)
    os.chown(root, NOBODY, NOBODY)
    with pytest.raises(HomeUnusable, match=f"belongs to user id {NOBODY}") as caught:
        Home(root).prepare()
    assert "--home" in str(caught.value)
    assert mode_of(root) == 0o755 and os.lstat(root).st_uid == NOBODY


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a folder to another user needs root")
def test_a_symlink_to_a_folder_of_another_user_is_refused_as_a_symlink(tmp_path: Path) -> None:
    target = tmp_path / "theirs"
    target.mkdir()
    os.chmod(target, 0o755)
    os.chown(target, NOBODY, NOBODY)
    link = tmp_path / "home"
    link.symlink_to(target)
    with pytest.raises(HomeUnusable, match="symbolic link"):
        Home(link).prepare()
    assert mode_of(target) == 0o755


def test_a_file_in_place_of_the_home_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "home"
    root.write_text("not a folder")
    with pytest.raises(HomeUnusable, match="not a folder"):
        Home(root).prepare()


def test_a_home_under_a_folder_of_another_user_is_refused(short_tmp: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root to give a folder to another user")  # CI runs as root: this runs there
    parent = short_tmp / "theirs"
    parent.mkdir(mode=0o755)
    os.chown(parent, 65534, 65534)
    with pytest.raises(HomeUnusable, match="belongs to user id 65534"):
        Home(parent / "home").prepare()


def test_a_home_under_a_folder_others_may_write_is_refused_unless_sticky(short_tmp: Path) -> None:
    shared = short_tmp / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    with pytest.raises(HomeUnusable, match="writable by other users"):
        Home(shared / "home").prepare()
    shared.chmod(0o1777)  # like /tmp: others cannot rename what is not theirs
    Home(shared / "home").prepare()


def test_a_symlink_above_the_home_is_followed_to_safe_folders(short_tmp: Path) -> None:
    real = short_tmp / "real"
    real.mkdir()
    (short_tmp / "link").symlink_to(real)
    Home(short_tmp / "link" / "home").prepare()
    assert (real / "home").is_dir()
