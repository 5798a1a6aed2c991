"""Canary credentials: this release verifies the ones it made, and names the kind a changed release refuses."""

from __future__ import annotations

import base64
import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from homeport.accounts.passwords import Argon2Parameters
from homeport.auth.sealing import Sealer
from homeport.store.db import Database
from homeport.store.opening import open_store
from homeport.updates.canaries import make_canaries, parameter_sets
from homeport.updates.check import verify_canaries

FLOOR = Argon2Parameters()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Database]:
    db, _ = open_store(tmp_path / "config.sqlite", tmp_path / "backups", tmp_path / "quarantine", lambda _: None)
    yield db
    db.close()


@pytest.fixture
def canaries(store: Database) -> tuple[dict[str, Any], Sealer]:
    sealer = Sealer(bytes(32))
    with store.read() as conn:
        return make_canaries(conn, sealer, FLOOR), sealer


def test_the_canaries_pass_with_this_release(canaries: tuple[dict[str, Any], Sealer]) -> None:
    made, sealer = canaries
    assert verify_canaries(made, sealer) == []
    assert [entry["params"] for entry in made["argon2id"]] == [[FLOOR.memory_kib, FLOOR.time_cost, 1]]


def test_every_argon2id_parameter_set_in_the_store_gets_a_canary(store: Database) -> None:
    stronger = "$argon2id$v=19$m=32768,t=3,p=1$c2FsdHNhbHRzYWx0$" + "A" * 43
    with store.write() as conn:
        conn.execute(
            "INSERT INTO users (name, enabled, password_hash, created_at, updated_at) VALUES ('bob', 1, ?, 0, 0)",
            (stronger,),
        )
    with store.read() as conn:
        assert parameter_sets(conn, FLOOR) == [(FLOOR.memory_kib, 2, 1), (32768, 3, 1)]


def broken(made: dict[str, Any], kind: str) -> dict[str, Any]:
    changed = copy.deepcopy(made)
    if kind == "Argon2id":
        changed["argon2id"][0]["hash"] = changed["argon2id"][0]["hash"][:-4] + "AAAA"
    elif kind == "TOTP":
        changed["totp"]["codes"][1][1] = "000000" if changed["totp"]["codes"][1][1] != "000000" else "111111"
    elif kind == "passkey":
        changed["passkey"]["challenge"] = base64.b64encode(bytes(32)).decode()
    elif kind == "NT hash":
        changed["nt_hash"]["sealed"] = base64.b64encode(bytes(60)).decode()
    return changed


@pytest.mark.parametrize("kind", ["Argon2id", "TOTP", "passkey", "NT hash"])
def test_a_release_that_refuses_one_kind_is_told_which(canaries: tuple[dict[str, Any], Sealer], kind: str) -> None:
    made, sealer = canaries
    problems = verify_canaries(broken(made, kind), sealer)
    assert len(problems) == 1
    assert problems[0].check.startswith(kind)
    assert made["password"] not in problems[0].detail
