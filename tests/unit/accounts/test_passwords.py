"""Argon2id hashing: parameters at or above OWASP's floor, dummy verification, bounded pool, rehash."""

from __future__ import annotations

import threading
import time
from typing import Any

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


class Occupied:
    """A pool of one worker kept busy by a job that waits for `release`; more jobs queue behind it."""

    def __init__(self, hasher: PasswordHasher) -> None:
        self.hasher = hasher
        self.release = threading.Event()
        started = threading.Event()

        def hold() -> str:
            self.order.append("holder")
            started.set()
            self.release.wait(10)
            return "held"

        self.threads: list[threading.Thread] = []
        self.results: dict[str, object] = {}
        self.order: list[str] = []
        self.submit("holder", hold)
        assert started.wait(10)

    def submit(self, name: str, work: Any, first: bool = False) -> None:
        def recorded() -> object:
            if name != "holder":
                self.order.append(name)  # the order in which the worker runs the jobs
            return work()

        def run() -> None:
            try:
                self.results[name] = self.hasher._pool.run(recorded, first=first)
            except Busy as exc:
                self.results[name] = exc

        thread = threading.Thread(target=run)
        self.threads.append(thread)
        thread.start()

    def wait_queued(self, count: int) -> None:
        for _ in range(1000):  # bounded: at most 10 s
            if len(self.hasher._pool._waiting) == count:
                return
            threading.Event().wait(0.01)
        raise AssertionError(f"never {count} queued")

    def finish(self) -> None:
        self.release.set()
        for thread in self.threads:
            thread.join(10)
        self.hasher.close()


def test_a_full_queue_answers_busy_at_once() -> None:
    """workers=1 + queue_limit=1: with one running and one waiting, a third stranger is refused at once."""
    pool = Occupied(PasswordHasher(FLOOR, workers=1, queue_limit=1))
    try:
        pool.submit("queued", lambda: "queued")
        pool.wait_queued(1)
        with pytest.raises(Busy):
            pool.hasher.verify(None, "one more stranger")
    finally:
        pool.finish()
    assert pool.results == {"holder": "held", "queued": "queued"}


def test_a_known_device_goes_first_and_takes_a_strangers_place_in_a_full_queue() -> None:
    pool = Occupied(PasswordHasher(FLOOR, workers=1, queue_limit=2))
    try:
        pool.submit("stranger-1", lambda: 1)
        pool.submit("stranger-2", lambda: 2)
        pool.wait_queued(2)
        pool.submit("owner", lambda: "owner", first=True)
        pool.wait_queued(2)  # the owner took the newest stranger's place
    finally:
        pool.finish()
    assert isinstance(pool.results["stranger-2"], Busy)
    assert pool.order == ["holder", "owner", "stranger-1"]


def test_a_known_device_is_refused_only_when_the_queue_holds_no_stranger() -> None:
    pool = Occupied(PasswordHasher(FLOOR, workers=1, queue_limit=1))
    try:
        pool.submit("owner-1", lambda: 1, first=True)
        pool.wait_queued(1)
        with pytest.raises(Busy):
            pool.hasher.verify(None, "another known device", first=True)
    finally:
        pool.finish()
    assert pool.order == ["holder", "owner-1"]


def test_under_pressure_one_worker_is_kept_for_known_devices() -> None:
    """With twice as many strangers waiting as there are workers (a flood), a worker that frees up takes no
    stranger's hash: a known device's sign-in gets it at once instead of waiting for a stranger's to finish."""
    hasher = PasswordHasher(FLOOR, workers=2, queue_limit=8)
    pool = hasher._pool
    releases = [threading.Event(), threading.Event()]
    busy = threading.Semaphore(0)
    order: list[str] = []

    def hold(index: int) -> None:
        busy.release()
        releases[index].wait(10)

    holders = [threading.Thread(target=pool.run, args=(hold, n)) for n in range(2)]
    strangers = [threading.Thread(target=pool.run, args=(order.append, f"stranger-{n}")) for n in range(4)]
    owner = threading.Thread(target=pool.run, args=(order.append, "owner"), kwargs={"first": True})
    try:
        for thread in holders:
            thread.start()
        assert busy.acquire(timeout=10) and busy.acquire(timeout=10)  # both workers hashing
        for thread in strangers:
            thread.start()
        assert until(lambda: len(pool._waiting) == 4)
        releases[0].set()  # a worker is free, and four strangers wait: it keeps itself for known devices
        assert not until(lambda: bool(order), seconds=0.3)
        owner.start()
        assert until(lambda: order == ["owner"])
    finally:
        for release in releases:
            release.set()
        for thread in (*holders, *strangers, owner):
            if thread.ident is not None:
                thread.join(10)
        hasher.close()
    assert sorted(order) == ["owner", "stranger-0", "stranger-1", "stranger-2", "stranger-3"]


def test_a_few_strangers_at_once_use_every_worker() -> None:
    """No pressure (a few people signing in at once): a stranger takes the free worker beside a running one."""
    pool = Occupied(PasswordHasher(FLOOR, workers=2, queue_limit=4))
    try:
        pool.submit("stranger", lambda: "stranger")
        assert until(lambda: "stranger" in pool.results)  # while the holder still holds the other worker
    finally:
        pool.finish()
    assert pool.order == ["holder", "stranger"]


def until(check: Any, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.01)
    return bool(check())
