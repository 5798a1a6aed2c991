"""pdbedit's listing read back, the import lines written, and import files never left behind."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from homeport.smb import passdb
from homeport.smb.passdb import PassdbEntry, parse_listing, smbpasswd_line

HASH = "1B9D5EFFD34AC283C8EFE2EACAEA8BBC"
LISTING = f"""\
alice:70002:XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX:{HASH}:[UX         ]:LCT-6B0E15E3:
bob:70003:XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX:{HASH.lower()}:[DUX        ]:LCT-6B0E15E6:
nohash:70004:XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX:XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX:[NUX        ]:LCT-00000000:
lpcfg_do_global_parameter: WARNING: something Samba says on the way
not:a:number:{HASH}:[U          ]:LCT-6B0E15E6:

"""


def test_the_listing_gives_names_ids_hashes_and_disabled_flags() -> None:
    found = parse_listing(LISTING)
    assert sorted(found) == ["alice", "bob", "nohash"]
    assert found["alice"] == PassdbEntry("alice", 70002, HASH, False)
    assert found["bob"] == PassdbEntry("bob", 70003, HASH, True)  # upper-cased, [D...] disabled
    assert found["nohash"].nt_hash == ""  # Samba holds none


def test_an_entry_never_shows_its_hash() -> None:
    entry = PassdbEntry("alice", 70002, HASH, False)
    assert HASH not in repr(entry) and HASH not in str(entry)


names = st.from_regex(r"[a-z][a-z0-9_-]{0,31}", fullmatch=True)
hashes = st.binary(min_size=16, max_size=16).map(lambda b: b.hex().upper())


@given(st.lists(st.builds(PassdbEntry, names, st.integers(70000, 79999), hashes, st.booleans()), max_size=8))
def test_what_is_written_reads_back_the_same(entries: list[PassdbEntry]) -> None:
    unique = {e.name: e for e in entries}
    text = "".join(smbpasswd_line(e, 1_800_000_000.0) for e in unique.values())
    assert parse_listing(text) == unique


def test_an_import_line_has_no_lm_hash_and_samba_flags() -> None:
    line = smbpasswd_line(PassdbEntry("bob", 70003, HASH, True), 0x6B0E15E6)
    assert line == f"bob:70003:{'X' * 32}:{HASH}:[UXD        ]:LCT-6B0E15E6:\n"


def test_leftover_import_files_of_dead_processes_are_removed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(passdb, "TMPFS_CANDIDATES", (tmp_path,))
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True
    )
    dead_pid = int(gone.stdout)
    dead = tmp_path / f"homeport-smb-{dead_pid}-abc123"
    mine = tmp_path / f"homeport-smb-{os.getpid()}-def456"
    other = tmp_path / "homeport-smb-notapid"
    for path in (dead, mine, other):
        path.write_text("secret\n")
    assert passdb.remove_leftover_imports() == [dead]
    assert not dead.exists() and mine.exists() and other.exists()
