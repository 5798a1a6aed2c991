"""`--smb system`: the Unix accounts behind SMB accounts, made and removed with shadow's real tools, in a root of
their own (`--prefix`) so the host's /etc/passwd is never touched."""

from __future__ import annotations

from pathlib import Path

import pytest

from homeport.smb.unix_accounts import GROUP_NAME, UID_BASE, HostAccounts

pytestmark = pytest.mark.integration


@pytest.fixture
def root(tmp_path: Path) -> Path:
    etc = tmp_path / "etc"
    etc.mkdir()
    (etc / "passwd").write_text("root:x:0:0:root:/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\n")
    (etc / "group").write_text("root:x:0:\nalice:x:1000:\n")
    for name in ("shadow", "gshadow"):
        (etc / name).write_text("")
        (etc / name).chmod(0o600)
    return tmp_path


def passwd(root: Path) -> dict[str, list[str]]:
    return {line.split(":")[0]: line.split(":") for line in (root / "etc" / "passwd").read_text().splitlines()}


def test_accounts_are_made_in_the_reserved_range_and_removed_with_homeport_accounts(root: Path) -> None:
    accounts = HostAccounts(prefix=root)
    assert accounts.ensure({"bob": UID_BASE + 3, "carol": UID_BASE + 4}) == []
    made = passwd(root)
    assert made["bob"][2:4] == [str(UID_BASE + 3), str(UID_BASE)]
    assert made["bob"][6] == "/usr/sbin/nologin" and made["carol"][2] == str(UID_BASE + 4)
    assert f"{GROUP_NAME}:x:{UID_BASE}:" in (root / "etc" / "group").read_text()
    assert accounts.ensure({"bob": UID_BASE + 3}) == []
    assert "carol" not in passwd(root) and "bob" in passwd(root)
    assert "alice" in passwd(root) and "root" in passwd(root)  # accounts outside the range are never touched


def test_a_host_account_of_the_same_name_is_left_alone_and_said(root: Path) -> None:
    problems = HostAccounts(prefix=root).ensure({"alice": UID_BASE + 2})
    assert problems and "alice" in problems[0] and "outside Homeport's range" in problems[0]
    assert passwd(root)["alice"][2] == "1000"
