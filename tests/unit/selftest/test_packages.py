"""dpkg's log read from a remembered position: which packages changed, and how to go back."""

from __future__ import annotations

import os
from pathlib import Path

from homeport.selftest.packages import LogPosition, deb_name, end_of, merge, parse, read_changes, with_way_back

LINES = (
    "2026-12-01 05:00:00 startup packages configure\n"
    "2026-12-01 05:00:01 upgrade samba:amd64 2:4.17.12+dfsg-0+deb12u1 2:4.17.12+dfsg-0+deb12u2\n"
    "2026-12-01 05:00:02 status half-configured samba:amd64 2:4.17.12+dfsg-0+deb12u2\n"
    "2026-12-01 05:00:03 install tree:amd64 <none> 2.1.0-1\n"
    "2026-12-01 05:00:04 remove nano:amd64 7.2-1 <none>\n"
    "2026-12-01 05:00:05 configure samba:amd64 2:4.17.12+dfsg-0+deb12u2 <none>\n"
)


def test_each_action_is_read_with_its_versions() -> None:
    found = {c.package: c for c in parse(LINES)}
    assert set(found) == {"samba", "tree", "nano"}  # status and configure lines are not changes
    samba = found["samba"]
    assert (samba.action, samba.arch, samba.old, samba.new) == (
        "upgrade", "amd64", "2:4.17.12+dfsg-0+deb12u1", "2:4.17.12+dfsg-0+deb12u2",
    )  # fmt: skip
    assert found["tree"].old == "" and found["nano"].new == ""
    assert found["tree"].sentence() == "tree 2.1.0-1 was installed"
    assert found["nano"].sentence() == "nano 7.2-1 was removed"
    assert samba.sentence() == "samba went from 2:4.17.12+dfsg-0+deb12u1 to 2:4.17.12+dfsg-0+deb12u2"


def test_a_package_changed_twice_counts_once_and_one_put_back_not_at_all() -> None:
    twice = parse(
        "d t upgrade samba:amd64 1 2\nd t upgrade samba:amd64 2 3\n"
        "d t upgrade curl:amd64 7 8\nd t upgrade curl:amd64 8 7\nd t install jq:amd64 <none> 1\n"
        "d t remove jq:amd64 1 <none>\n"
    )
    merged = merge(twice)
    assert [(c.package, c.old, c.new) for c in merged] == [("samba", "1", "3")]


def test_only_what_was_written_since_the_remembered_position_is_read(tmp_path: Path) -> None:
    log = tmp_path / "dpkg.log"
    log.write_text(LINES)
    assert read_changes(log, None)[0] == []  # no position yet: nothing before now counts
    start = end_of(log)
    assert start is not None
    with log.open("a") as handle:
        handle.write("2026-12-01 06:00:00 upgrade smbclient:amd64 1 2\n2026-12-01 06:00:01 upgrade sam")
    changes, position = read_changes(log, start)
    assert [c.package for c in changes] == ["smbclient"]  # the line being written waits for its end
    assert position is not None and position.offset < log.stat().st_size
    with log.open("a") as handle:
        handle.write("ba:amd64 1 2\n")
    changes, position = read_changes(log, position)
    assert [c.package for c in changes] == ["samba"]
    assert read_changes(log, position)[0] == []


def test_a_rotated_log_is_read_to_its_end_then_the_new_one(tmp_path: Path) -> None:
    log = tmp_path / "dpkg.log"
    log.write_text("d t upgrade samba:amd64 1 2\n")
    before = end_of(log)
    assert before is not None
    with log.open("a") as handle:
        handle.write("d t upgrade libldb2:amd64 1 2\n")
    os.replace(log, tmp_path / "dpkg.log.1")  # logrotate
    log.write_text("d t upgrade smbclient:amd64 1 2\n")
    changes, position = read_changes(log, before)
    assert [c.package for c in changes] == ["libldb2", "smbclient"]
    assert position == LogPosition(log.stat().st_ino, log.stat().st_size)


def test_a_truncated_log_is_read_from_its_start(tmp_path: Path) -> None:
    log = tmp_path / "dpkg.log"
    log.write_text(LINES * 3)
    late = end_of(log)
    assert late is not None
    log.write_text("d t upgrade samba:amd64 1 2\n")  # same inode, shorter
    assert [c.package for c in read_changes(log, late)[0]] == ["samba"]


def test_the_way_back_names_the_old_version_and_where_its_package_is(tmp_path: Path) -> None:
    archives, kept = tmp_path / "archives", tmp_path / "kept"
    archives.mkdir()
    kept.mkdir()
    samba, smbclient, tree = parse(
        "d t upgrade samba:amd64 2:4.17.12-1 2:4.17.13-1\nd t upgrade smbclient:amd64 2:4.17.12-1 2:4.17.13-1\n"
        "d t install tree:amd64 <none> 2.1.0-1\n"
    )
    assert deb_name("samba", "2:4.17.12-1", "amd64") == "samba_2%3a4.17.12-1_amd64.deb"
    (archives / "samba_2%3a4.17.12-1_amd64.deb").touch()
    (kept / "smbclient_2%3a4.17.12-1_amd64.deb").touch()
    assert with_way_back(samba, archives, kept).way_back.startswith("apt-get install samba=2:4.17.12-1 (its package")
    assert with_way_back(smbclient, archives, kept).way_back == (
        f"apt-get install {kept / 'smbclient_2%3a4.17.12-1_amd64.deb'}"
    )
    gone = with_way_back(smbclient, archives, None).way_back
    assert gone.startswith("apt-get install smbclient=2:4.17.12-1") and "no longer on this device" in gone
    assert with_way_back(tree, archives, kept).way_back == "apt-get remove tree"
