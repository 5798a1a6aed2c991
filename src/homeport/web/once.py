"""Values a page needs after the form that made them has redirected (forms always answer with a redirect, so a
reload never repeats them): new recovery codes, shown once; an authenticator-app secret being set up, shown
until its first code arrives. Kept in memory, per session, for a few minutes, bounded in number."""

from __future__ import annotations

import threading
import time
from typing import Generic, TypeVar

KEEP_SECONDS = 600.0
LIMIT = 1000
T = TypeVar("T")


class PerSession(Generic[T]):
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: dict[str, tuple[float, T]] = {}

    def put(self, session_id: str, value: T) -> None:
        now = time.monotonic()
        with self._lock:
            for key in [k for k, (at, _) in self._items.items() if now - at > KEEP_SECONDS]:
                del self._items[key]
            if len(self._items) >= LIMIT:
                self._items.pop(next(iter(self._items)))
            self._items[session_id] = (now, value)

    def peek(self, session_id: str) -> T | None:
        with self._lock:
            found = self._items.get(session_id)
        return found[1] if found is not None and time.monotonic() - found[0] <= KEEP_SECONDS else None

    def take(self, session_id: str) -> T | None:
        value = self.peek(session_id)
        with self._lock:
            self._items.pop(session_id, None)
        return value
