"""A value read from the store on demand and dropped when the store changes.

A load that races an invalidation is returned but not kept, so a reader can never pin a stale value.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Cached(Generic[T]):
    def __init__(self, load: Callable[[], T]) -> None:
        self._load = load
        self._value: T | None = None
        self._valid = False
        self._generation = 0

    def get(self) -> T:
        if self._valid:
            return self._value  # type: ignore[return-value]
        generation = self._generation
        value = self._load()
        if generation == self._generation:
            self._value, self._valid = value, True
        return value

    def invalidate(self) -> None:
        self._generation += 1
        self._valid = False
