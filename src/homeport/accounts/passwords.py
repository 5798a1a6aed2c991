"""Argon2id password hashing in a bounded worker pool (security-baseline.md, OWASP password storage).

The pool bounds memory and CPU: at most `workers` hashes run at once and at most `queue_limit` wait, so a
flood of sign-ins cannot exhaust the box; past that the caller gets `Busy` at once. Sign-ins from a known
device (and password changes) are checked before strangers' and are never crowded out of the queue.
"""

from __future__ import annotations

import contextlib
import functools
import heapq
import itertools
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar, cast

import argon2
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from homeport.accounts.policy import MAX_PASSWORD_BYTES, normalise
from homeport.core.errors import Busy
from homeport.core.ids import new_token

T = TypeVar("T")

OWASP_FLOOR_MEMORY_KIB = 19 * 1024  # OWASP Password Storage Cheat Sheet: m=19 MiB, t=2, p=1
OWASP_FLOOR_TIME_COST = 2
MEMORY_LADDER_KIB = (19 * 1024, 32 * 1024, 46 * 1024, 64 * 1024)
CALIBRATION_TARGET_SECONDS = 0.1


@dataclass(frozen=True)
class Argon2Parameters:
    memory_kib: int = OWASP_FLOOR_MEMORY_KIB
    time_cost: int = OWASP_FLOOR_TIME_COST
    parallelism: int = 1

    def __post_init__(self) -> None:
        if self.memory_kib < OWASP_FLOOR_MEMORY_KIB or self.time_cost < OWASP_FLOOR_TIME_COST:
            raise ValueError("Argon2id parameters below the OWASP floor (m=19 MiB, t=2) are refused")

    def as_dict(self) -> dict[str, int]:
        return {"memory_kib": self.memory_kib, "time_cost": self.time_cost, "parallelism": self.parallelism}


def _argon2(params: Argon2Parameters) -> argon2.PasswordHasher:
    return argon2.PasswordHasher(
        time_cost=params.time_cost,
        memory_cost=params.memory_kib,
        parallelism=params.parallelism,
        hash_len=32,
        salt_len=16,
        type=argon2.Type.ID,
    )


def encode_password(password: str) -> bytes:
    """The exact bytes that are hashed: NFKC, UTF-8; truncated nowhere (the policy caps the length)."""
    return normalise(password).encode("utf-8", "surrogatepass")


def can_verify(password_hash: str | None) -> bool:
    """True when this code can verify `password_hash` (an Argon2id string it can parse)."""
    if not password_hash:
        return False
    try:
        return argon2.extract_parameters(password_hash).type is argon2.Type.ID
    except (InvalidHashError, ValueError):
        return False


def _seconds_per_hash(params: Argon2Parameters) -> float:
    hasher = _argon2(params)
    started = time.perf_counter()
    hasher.hash(b"calibration")
    return time.perf_counter() - started


def calibrate(target_seconds: float = CALIBRATION_TARGET_SECONDS) -> Argon2Parameters:
    """The largest memory step (t=2, p=1) whose hash takes at most about `target_seconds` on this machine.

    One measurement at the floor predicts the step (cost grows at least linearly with memory), then the
    prediction is measured and stepped down while too slow: a few tenths of a second at first start.
    """
    floor = Argon2Parameters()
    per_kib = _seconds_per_hash(floor) / floor.memory_kib
    candidates = [m for m in MEMORY_LADDER_KIB if m * per_kib <= target_seconds] or [floor.memory_kib]
    for memory in reversed(candidates):
        params = Argon2Parameters(memory_kib=memory)
        if memory == floor.memory_kib or _seconds_per_hash(params) <= target_seconds * 1.25:
            return params
    return floor


class PasswordHasher:
    """Hash and verify passwords off the caller's thread, within the pool's bounds."""

    def __init__(self, params: Argon2Parameters, workers: int = 2, queue_limit: int = 16) -> None:
        self.params = params
        self._argon = _argon2(params)
        self._pool = _PriorityPool(workers, queue_limit)
        # Verified against when there is no real hash, so unknown and disabled accounts take as long as
        # a wrong password (ASVS 6.3.8).
        self._dummy_hash = self._argon.hash(new_token())

    def hash(self, password: str) -> str:
        return self._pool.run(self._argon.hash, encode_password(password), first=True)

    def verify(self, password_hash: str | None, password: str, *, first: bool = False) -> bool:
        """True if `password` matches; an absent or foreign hash costs a dummy verification and fails.

        `first`: checked before the waiting sign-ins of strangers (a known device, a password change)."""
        secret = encode_password(password)
        if len(secret) > MAX_PASSWORD_BYTES:
            return False
        usable = password_hash if can_verify(password_hash) else None
        matched = self._pool.run(self._verify_one, usable or self._dummy_hash, secret, first=first)
        return matched and usable is not None

    @property
    def capacity(self) -> int:
        """How many checks the pool holds at once, running and waiting."""
        return self._pool.capacity

    def needs_rehash(self, password_hash: str) -> bool:
        return self._argon.check_needs_rehash(password_hash)

    def close(self) -> None:
        self._pool.close()

    def _verify_one(self, password_hash: str, secret: bytes) -> bool:
        try:
            return self._argon.verify(password_hash, secret)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False


BUSY_MESSAGE = "Too many sign-ins are being checked right now; try again in a second."
WORKER_NICENESS = 10


class _PriorityPool:
    """`workers` threads; at most `queue_limit` jobs wait, those asked `first` ahead of the others.

    When the queue is full a `first` job still gets in, taking the place of the newest ordinary job (whose
    caller gets `Busy`): a flood of strangers' sign-ins can fill the queue but never keep a known device out.
    Under pressure (at least twice as many strangers waiting as there are workers: a flood, not a few people
    signing in at once) one worker is kept for `first` jobs, so a known device's sign-in never waits for a
    stranger's hash to finish, only shares the CPU with the ones running.
    """

    def __init__(self, workers: int, queue_limit: int) -> None:
        self._queue_limit = queue_limit
        self.capacity = max(1, workers) + queue_limit
        self._workers = max(1, workers)
        self._pressure = 2 * self._workers  # strangers waiting from which one worker is kept for known devices
        self._ordinary_running = 0
        self._condition = threading.Condition()
        self._waiting: list[tuple[int, int, _Job]] = []  # heap of (rank, order, job); rank 0 goes first
        self._order = itertools.count()
        self._closed = False
        self._threads = [
            threading.Thread(target=self._work, name=f"argon2-{n}", daemon=True) for n in range(max(1, workers))
        ]
        for thread in self._threads:
            thread.start()

    def run(self, work: Callable[..., T], *args: object, first: bool = False) -> T:
        job = _Job(functools.partial(work, *args))
        with self._condition:
            if self._closed:
                raise Busy("The device is stopping; try again in a moment.")
            if len(self._waiting) >= self._queue_limit:
                evicted = self._evict_for(first)
                if evicted is None:
                    raise Busy(BUSY_MESSAGE)
                evicted.fail(Busy(BUSY_MESSAGE))
            heapq.heappush(self._waiting, (0 if first else 1, next(self._order), job))
            self._condition.notify()
        return cast(T, job.result())

    def _evict_for(self, first: bool) -> _Job | None:
        """Under the lock: make room for a `first` job by dropping the newest ordinary one."""
        ordinary = [entry for entry in self._waiting if entry[0] == 1]
        if not first or not ordinary:
            return None
        newest = max(ordinary, key=lambda entry: entry[1])
        self._waiting.remove(newest)
        heapq.heapify(self._waiting)
        return newest[2]

    def _work(self) -> None:
        # A little below the event loop: with every core hashing, the loop still answers (and queues) at once.
        with contextlib.suppress(OSError, AttributeError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), WORKER_NICENESS)
        while True:
            with self._condition:
                while not self._closed and not self._may_take():
                    self._condition.wait()
                if not self._waiting:
                    return
                rank, _, job = heapq.heappop(self._waiting)
                self._ordinary_running += rank
            try:
                job.execute()
            finally:
                if rank:
                    with self._condition:
                        self._ordinary_running -= 1
                        self._condition.notify_all()

    def _may_take(self) -> bool:
        """Under the lock: a `first` job waits at the top, or an ordinary one and an ordinary place is free."""
        if not self._waiting:
            return False
        if self._waiting[0][0] == 0:
            return True
        kept = 1 if len(self._waiting) >= self._pressure and self._workers > 1 else 0
        return self._ordinary_running < self._workers - kept

    def close(self) -> None:
        with self._condition:
            self._closed = True
            waiting, self._waiting = self._waiting, []
            self._condition.notify_all()
        for _, _, job in waiting:
            job.fail(Busy("The device is stopping; try again in a moment."))
        for thread in self._threads:
            thread.join()


class _Job:
    def __init__(self, work: Callable[[], object]) -> None:
        self._work = work
        self._done = threading.Event()
        self._value: object = None
        self._error: BaseException | None = None

    def execute(self) -> None:
        try:
            self._value = self._work()
        except BaseException as exc:  # handed to the caller's thread, raised there
            self._error = exc
        self._done.set()

    def fail(self, error: BaseException) -> None:
        self._error = error
        self._done.set()

    def result(self) -> object:
        self._done.wait()
        if self._error is not None:
            raise self._error
        return self._value
