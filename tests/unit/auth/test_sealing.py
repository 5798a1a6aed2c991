"""The key for secrets at rest: a private file in the home, made once; a sealed value opens only for its account
and purpose."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from homeport.auth.sealing import KEY_FILE, SealedSecretUnreadable, Sealer, load_or_create_key


def test_the_key_file_is_private_and_kept(tmp_path: Path) -> None:
    first = load_or_create_key(tmp_path / KEY_FILE)
    assert stat.S_IMODE(os.stat(tmp_path / KEY_FILE).st_mode) == 0o600
    assert load_or_create_key(tmp_path / KEY_FILE) == first
    assert not list(tmp_path.glob(".*.new"))


def test_a_damaged_key_file_is_not_replaced(tmp_path: Path) -> None:
    (tmp_path / KEY_FILE).write_bytes(b"short")
    with pytest.raises(SealedSecretUnreadable, match="restore it"):
        load_or_create_key(tmp_path / KEY_FILE)
    assert (tmp_path / KEY_FILE).read_bytes() == b"short"


def test_a_sealed_value_opens_only_for_its_account_and_purpose(tmp_path: Path) -> None:
    sealer = Sealer.in_home(tmp_path)
    sealed = sealer.seal(b"JBSWY3DPEHPK3PXP", user_id=3, purpose="totp")
    assert b"JBSWY3DPEHPK3PXP" not in sealed
    assert sealer.open(sealed, user_id=3, purpose="totp") == b"JBSWY3DPEHPK3PXP"
    for user_id, purpose in ((4, "totp"), (3, "other")):
        with pytest.raises(SealedSecretUnreadable):
            sealer.open(sealed, user_id=user_id, purpose=purpose)
    tampered = sealed[:-1] + bytes([sealed[-1] ^ 1])
    with pytest.raises(SealedSecretUnreadable):
        sealer.open(tampered, user_id=3, purpose="totp")
    with pytest.raises(SealedSecretUnreadable):
        sealer.open(b"short", user_id=3, purpose="totp")
