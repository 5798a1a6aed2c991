"""Transactions, commit hooks and atomic files."""

from __future__ import annotations

from pathlib import Path

import pytest

from homeport.core.atomic import write_atomic
from homeport.store.db import Database


@pytest.fixture
def db(tmp_path: Path) -> Database:
    database = Database.open(tmp_path / "t.sqlite")
    with database.write() as conn:
        conn.execute("CREATE TABLE t (v INTEGER)")
    return database


def test_a_failed_block_is_rolled_back_and_its_hooks_dropped(db: Database) -> None:
    committed: list[str] = []
    ended: list[str] = []
    with pytest.raises(RuntimeError), db.write() as conn:
        conn.execute("INSERT INTO t VALUES (1)")
        db.after_commit(lambda: committed.append("x"))
        db.after_transaction(lambda: ended.append("x"))
        raise RuntimeError
    with db.read() as conn:
        assert conn.execute("SELECT COUNT(*) FROM t").fetchone()[0] == 0
    assert committed == [] and ended == ["x"]


def test_nested_writes_join_the_outer_transaction(db: Database) -> None:
    with pytest.raises(RuntimeError), db.write() as outer:
        outer.execute("INSERT INTO t VALUES (1)")
        with db.write() as inner:
            inner.execute("INSERT INTO t VALUES (2)")
        raise RuntimeError
    with db.read() as conn:
        assert conn.execute("SELECT COUNT(*) FROM t").fetchone()[0] == 0


def test_hooks_run_after_the_commit(db: Database) -> None:
    seen: list[int] = []

    def look() -> None:
        with db.read() as conn:
            seen.append(conn.execute("SELECT COUNT(*) FROM t").fetchone()[0])

    with db.write() as conn:
        conn.execute("INSERT INTO t VALUES (1)")
        db.after_commit(look)
    assert seen == [1]


def test_hooks_outside_a_transaction_are_a_programming_error(db: Database) -> None:
    with pytest.raises(RuntimeError):
        db.after_commit(lambda: None)


def test_atomic_write_replaces_whole_files_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "file"
    write_atomic(target, b"first", 0o600)
    write_atomic(target, b"second", 0o644)
    assert target.read_bytes() == b"second"
    assert oct(target.stat().st_mode & 0o777) == "0o644"
    assert [p.name for p in tmp_path.iterdir()] == ["file"]


def test_atomic_write_into_a_missing_folder_fails_cleanly(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        write_atomic(tmp_path / "missing" / "file", b"x")
    assert list(tmp_path.iterdir()) == []
