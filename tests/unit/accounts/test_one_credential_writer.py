"""One credential writer: no SQL outside accounts/credentials.py writes a password hash, so a credential
derived from the same password (the file service's) has exactly one place to be made."""

from __future__ import annotations

import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[3] / "src" / "homeport"
WRITER = SRC / "accounts" / "credentials.py"
# An UPDATE or INSERT statement that names the password_hash column.
WRITES_HASH = re.compile(r"(UPDATE\s+users\s+SET[^\"]*password_hash|INSERT\s+INTO\s+users[^\"]*password_hash)", re.I)


def test_only_the_credential_writer_writes_password_hashes() -> None:
    writers = sorted(str(p.relative_to(SRC)) for p in SRC.rglob("*.py") if WRITES_HASH.search(p.read_text()))
    assert writers == [str(WRITER.relative_to(SRC))]
