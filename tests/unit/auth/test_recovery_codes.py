"""Recovery codes: 10, at least 80 bits each, no look-alike characters, single use, stored only as keyed digests."""

from __future__ import annotations

import math

import pytest

from homeport.auth.recovery_codes import ALPHABET, COUNT, LENGTH, RecoveryCodes, new_code
from homeport.auth.sealing import Sealer
from homeport.services import Services
from homeport.store.db import Database
from tests.support.clock import FakeClock


@pytest.fixture
def db(services: Services) -> Database:
    with services.db.write() as conn:
        conn.executemany(
            "INSERT INTO users (id, name, enabled, created_at, updated_at) VALUES (?, ?, 1, 0, 0)",
            [(7, "carol"), (8, "dave")],
        )
    return services.db


def test_codes_carry_80_bits_without_look_alikes() -> None:
    assert LENGTH * math.log2(len(ALPHABET)) >= 80
    assert not set("01ILO") & set(ALPHABET)
    codes = {new_code() for _ in range(200)}
    assert len(codes) == 200
    assert all(set(c.replace("-", "")) <= set(ALPHABET) and len(c.replace("-", "")) == LENGTH for c in codes)


def test_each_code_works_once_and_never_for_another_account(db: Database) -> None:
    codes = RecoveryCodes(FakeClock(), Sealer(b"k" * 32))
    with db.write() as conn:
        mine = codes.replace(conn, 7)
    assert len(mine) == COUNT
    with db.write() as conn:
        assert not codes.use(conn, 8, mine[0])  # dave cannot use carol's code
        assert codes.use(conn, 7, mine[0].lower().replace("-", " "))  # typed carelessly, still right
        assert not codes.use(conn, 7, mine[0])  # spent
        assert codes.left(conn, 7) == COUNT - 1


def test_a_new_set_ends_the_old_one(db: Database) -> None:
    codes = RecoveryCodes(FakeClock(), Sealer(b"k" * 32))
    with db.write() as conn:
        old = codes.replace(conn, 7)
        new = codes.replace(conn, 7)
        assert not codes.use(conn, 7, old[3])
        assert codes.use(conn, 7, new[3])


def test_codes_are_never_stored_in_clear_nor_as_a_plain_hash(db: Database) -> None:
    import hashlib

    codes = RecoveryCodes(FakeClock(), Sealer(b"k" * 32))
    with db.write() as conn:
        made = codes.replace(conn, 7)
        stored = {str(r[0]) for r in conn.execute("SELECT digest FROM recovery_codes WHERE user_id = 7")}
    everything = " ".join(stored)
    for code in made:
        bare = code.replace("-", "")
        assert code not in everything and bare not in everything
        assert hashlib.sha256(bare.encode()).hexdigest() not in stored
    # Without the key file, the digests are useless: another key recognises none of the codes.
    stranger = RecoveryCodes(FakeClock(), Sealer(b"x" * 32))
    with db.write() as conn:
        assert not stranger.use(conn, 7, made[0])
