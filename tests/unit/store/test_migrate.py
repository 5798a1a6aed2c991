"""The migration runner: backup first, one transaction, the sign-in invariant, restore on failure."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from homeport.accounts.guardrails import sign_in_problem
from homeport.accounts.passwords import Argon2Parameters, PasswordHasher
from homeport.audit.log import SYSTEM
from homeport.daemon import BuildOptions, build_services, close_services
from homeport.home import Home
from homeport.store.db import connect
from homeport.store.migrate import MigrationError, migrate, schema_version
from homeport.store.migrations import MIGRATIONS, Migration
from homeport.store.opening import open_store
from tests.support.fakes import StaticInterfaces


def installed_store(home: Home) -> None:
    """A real store in state `ready` with one administrator, as the daemon leaves it."""
    services = build_services(home, BuildOptions(argon2=Argon2Parameters()), interfaces=StaticInterfaces())
    services.setup.run("nas", "alice", "correct horse battery staple", SYSTEM)
    close_services(services)


def invariant(conn: sqlite3.Connection) -> str | None:
    state = conn.execute("SELECT value FROM settings WHERE key = 'system.state'").fetchone()
    return None if state is None or '"not-installed"' in state[0] else sign_in_problem(conn)


def _break_hashes(conn: sqlite3.Connection) -> None:
    """What the update in the user story did, in effect: hashes the new code cannot verify."""
    conn.execute("UPDATE users SET password_hash = 'md5$' || substr(password_hash, 1, 10)")


def _add_column(conn: sqlite3.Connection) -> None:
    conn.execute("ALTER TABLE users ADD COLUMN locale TEXT NOT NULL DEFAULT 'en'")


def _fail_midway(conn: sqlite3.Connection) -> None:
    conn.execute("ALTER TABLE users ADD COLUMN half TEXT")
    raise RuntimeError("disk on fire")


def _sneaky_commit(conn: sqlite3.Connection) -> None:
    """A badly written migration that commits behind the runner's back, then fails."""
    conn.execute("COMMIT")
    conn.execute("DROP TABLE audit_log")
    raise RuntimeError("oops")


NEXT = MIGRATIONS[-1].number + 1
LATEST = MIGRATIONS[-1].number


def users_table(db_path: Path) -> list[tuple[str, str | None]]:
    conn = sqlite3.connect(db_path)
    try:
        return [(str(r[0]), r[1]) for r in conn.execute("SELECT name, password_hash FROM users ORDER BY name")]
    finally:
        conn.close()


def test_a_fresh_store_is_created_at_the_latest_version(home: Home) -> None:
    db, damage = open_store(home.db_path, home.backups, home.quarantine, invariant)
    assert damage is None
    with db.read() as conn:
        assert schema_version(conn) == MIGRATIONS[-1].number
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    db.close()
    assert not list(home.backups.glob("*")) if home.backups.exists() else True


def test_a_migration_is_preceded_by_a_backup(home: Home) -> None:
    installed_store(home)
    conn = connect(home.db_path)
    report = migrate(conn, home.db_path, home.backups, (*MIGRATIONS, Migration(NEXT, "locale", _add_column)), invariant)
    conn.close()
    assert (report.from_version, report.to_version) == (LATEST, NEXT)
    assert report.backup is not None and report.backup.exists()
    backup = sqlite3.connect(report.backup)
    assert backup.execute("PRAGMA user_version").fetchone()[0] == LATEST
    assert [r[0] for r in backup.execute("SELECT name FROM users ORDER BY name")] == ["admin", "alice"]
    backup.close()
    assert oct(report.backup.stat().st_mode & 0o777) == "0o600"


def test_a_migration_that_breaks_sign_in_is_rolled_back(home: Home) -> None:
    installed_store(home)
    before = users_table(home.db_path)
    conn = connect(home.db_path)
    with pytest.raises(MigrationError, match="no administrator able to sign in"):
        migrate(conn, home.db_path, home.backups, (*MIGRATIONS, Migration(NEXT, "break", _break_hashes)), invariant)
    assert users_table(home.db_path) == before
    reopened = connect(home.db_path)
    assert schema_version(reopened) == LATEST
    reopened.close()


def test_a_failing_migration_leaves_the_store_as_it_was(home: Home) -> None:
    installed_store(home)
    before = users_table(home.db_path)
    conn = connect(home.db_path)
    with pytest.raises(MigrationError, match="disk on fire"):
        migrate(conn, home.db_path, home.backups, (*MIGRATIONS, Migration(NEXT, "fail", _fail_midway)), invariant)
    reopened = connect(home.db_path)
    assert schema_version(reopened) == LATEST
    columns = [r[1] for r in reopened.execute("PRAGMA table_info(users)")]
    assert "half" not in columns
    reopened.close()
    assert users_table(home.db_path) == before


def test_a_migration_that_committed_early_is_undone_from_the_backup(home: Home) -> None:
    installed_store(home)
    conn = connect(home.db_path)
    with pytest.raises(MigrationError, match="restored from the backup"):
        migrate(conn, home.db_path, home.backups, (*MIGRATIONS, Migration(NEXT, "sneaky", _sneaky_commit)), invariant)
    reopened = connect(home.db_path)
    tables = {r[0] for r in reopened.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "audit_log" in tables
    assert schema_version(reopened) == LATEST
    reopened.close()


def test_a_store_from_a_newer_version_is_refused(home: Home) -> None:
    installed_store(home)
    conn = connect(home.db_path)
    conn.execute("PRAGMA user_version = 99")
    with pytest.raises(MigrationError, match="newer Homeport"):
        migrate(conn, home.db_path, home.backups, MIGRATIONS, invariant)
    conn.close()


def test_the_daemon_refuses_to_start_when_a_migration_fails(home: Home) -> None:
    installed_store(home)
    breaking = BuildOptions(
        argon2=Argon2Parameters(), migrations=(*MIGRATIONS, Migration(NEXT, "break", _break_hashes))
    )
    with pytest.raises(MigrationError):
        build_services(home, breaking, interfaces=StaticInterfaces())
    # The store still works with the current code: the administrator can sign in.
    services = build_services(home, BuildOptions(argon2=Argon2Parameters()), interfaces=StaticInterfaces())
    alice = services.accounts.get_user("alice")
    close_services(services)
    hasher = PasswordHasher(Argon2Parameters())
    try:
        assert hasher.verify(alice.password_hash, "correct horse battery staple")
    finally:
        hasher.close()
