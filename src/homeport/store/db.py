"""The SQLite configuration store: WAL, synchronous=FULL, foreign keys on, one connection behind a lock.

One connection serialises every statement, which is simple and plenty for an appliance; `write()` wraps a
block in `BEGIN IMMEDIATE ... COMMIT` so a change and its audit record land together or not at all.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

_DAMAGE_CODES = frozenset({sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB})


class StoreDamaged(Exception):
    """The file is not a healthy SQLite database (garbage, truncated, or failing its integrity check)."""


def connect(path: Path) -> sqlite3.Connection:
    """Open `path` with the store's pragmas; raises StoreDamaged if it is not a healthy database."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=10.0)
    try:
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
        problems = [row[0] for row in conn.execute("PRAGMA quick_check")]
    except sqlite3.DatabaseError as exc:
        conn.close()
        if getattr(exc, "sqlite_errorcode", None) in _DAMAGE_CODES:
            raise StoreDamaged(str(exc)) from exc
        raise
    if problems != ["ok"]:
        conn.close()
        raise StoreDamaged("; ".join(str(p) for p in problems[:5]))
    return conn


class Database:
    """The one connection to the store, shared by threads through a re-entrant lock."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._lock = threading.RLock()
        self._after_commit: list[Callable[[], None]] = []
        self._after_end: list[Callable[[], None]] = []
        self._commit_listeners: list[Callable[[], None]] = []

    @classmethod
    def open(cls, path: Path) -> Database:
        return cls(connect(path))

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            yield self._conn

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A transaction; nested calls join the outer one."""
        with self._lock:
            if self._conn.in_transaction:
                yield self._conn
                return
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._after_commit.clear()
                self._conn.execute("ROLLBACK")
                self._run_after_end()
                raise
            self._conn.execute("COMMIT")
            self._run_after_end()
            callbacks, self._after_commit = self._after_commit, []
        for callback in (*callbacks, *self._commit_listeners):
            callback()

    def _run_after_end(self) -> None:
        callbacks, self._after_end = self._after_end, []
        for callback in callbacks:
            callback()

    def after_transaction(self, callback: Callable[[], None]) -> None:
        """Run `callback` when the current transaction ends, committed or rolled back (to drop caches)."""
        with self._lock:
            if not self._conn.in_transaction:
                raise RuntimeError("after_transaction() outside a write transaction")
            self._after_end.append(callback)

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run `callback` once the current transaction has committed (dropped if it rolls back)."""
        with self._lock:
            if not self._conn.in_transaction:
                raise RuntimeError("after_commit() outside a write transaction")
            self._after_commit.append(callback)

    def listen_to_commits(self, listener: Callable[[], None]) -> None:
        """Call `listener` after every commit, outside the lock; it must be quick (e.g. wake a worker)."""
        self._commit_listeners.append(listener)

    def close(self) -> None:
        with self._lock:
            self._conn.close()
