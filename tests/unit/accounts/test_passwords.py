"""Argon2id hashing: parameters at or above OWASP's floor, dummy verification, bounded pool, rehash."""

from __future__ import annotations

import threading

import argon2
import pytest

from homeport.accounts.passwords import Argon2Parameters, PasswordHasher, calibrate, can_verify
from homeport.core.errors import Busy

FLOOR = Argon2Parameters()


@pytest.fixture
def hasher() -> PasswordHasher:
    made = PasswordHasher(FLOOR, workers=2, queue_limit=2)
    yield made  # type: ignore[misc]
    made.close()


def test_hashes_are_argon2id_with_the_parameters_inside(hasher: PasswordHasher) -> None:
    hashed = hasher.hash("correct horse battery")
    params = argon2.extract_parameters(hashed)
    assert params.type is argon2.Type.ID
    assert (params.memory_cost, params.time_cost, params.parallelism) == (19 * 1024, 2, 1)
    assert hasher.verify(hashed, "correct horse battery")
    assert not hasher.verify(hashed, "correct horse batterY")


def test_the_same_password_typed_differently_verifies(hasher: PasswordHasher) -> None:
    hashed = hasher.hash("ｃａｆé au lait!")
    assert hasher.verify(hashed, "cafe\u0301 au lait!")


@pytest.mark.parametrize("stored", [None, "", "md5$abc", "$argon2i$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaA"])
def test_missing_or_foreign_hashes_never_verify(hasher: PasswordHasher, stored: str | None) -> None:
    assert not can_verify(stored)
    assert hasher.verify(stored, "anything at all") is False


def test_parameters_below_the_owasp_floor_are_refused() -> None:
    with pytest.raises(ValueError):
        Argon2Parameters(memory_kib=8 * 1024)
    with pytest.raises(ValueError):
        Argon2Parameters(time_cost=1)


def test_calibration_never_goes_below_the_floor() -> None:
    chosen = calibrate(target_seconds=0.0)
    assert chosen == FLOOR
    assert calibrate(target_seconds=10.0).memory_kib >= FLOOR.memory_kib


def test_old_parameters_need_a_rehash(hasher: PasswordHasher) -> None:
    stronger = PasswordHasher(Argon2Parameters(memory_kib=32 * 1024), workers=1)
    try:
        old = hasher.hash("correct horse battery")
        assert stronger.needs_rehash(old)
        assert not stronger.needs_rehash(stronger.hash("correct horse battery"))
        assert stronger.verify(old, "correct horse battery")  # old hashes still verify
    finally:
        stronger.close()


def test_a_full_queue_answers_busy_at_once() -> None:
    """workers=1 + queue_limit=1: with two calls in flight a third is refused without waiting."""
    hasher = PasswordHasher(FLOOR, workers=1, queue_limit=1)
    release = threading.Event()
    started = threading.Event()

    def slow(_: object) -> bool:
        started.set()
        release.wait(10)
        return True

    hasher._pool.submit(lambda: None).result()  # warm the worker
    blockers = [threading.Thread(target=lambda: hasher._run(slow, None)) for _ in range(2)]
    for thread in blockers:
        thread.start()
    assert started.wait(10)
    for _ in range(1000):  # until the second call holds the last slot (bounded: at most 10 s)
        if hasher._slots._value == 0:  # type: ignore[attr-defined]
            break
        threading.Event().wait(0.01)
    try:
        with pytest.raises(Busy):
            hasher.hash("one more")
    finally:
        release.set()
        for thread in blockers:
            thread.join(10)
        hasher.close()
