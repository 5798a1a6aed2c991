"""Server-side sessions (ASVS 7.x): 256-bit tokens kept only as digests, idle and absolute timeouts.

`last_seen` is tracked in memory and written to the store at most once a minute per session, so an
authenticated read costs no disk write; after a restart the stored (older) value only shortens a session.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from homeport.core.agents import describe_agent
from homeport.core.clock import Clock
from homeport.core.ids import new_id, new_token, token_digest
from homeport.store.db import Database
from homeport.system.settings import SettingsService

LAST_SEEN_WRITE_INTERVAL = 60.0
USER_AGENT_MAX = 200
RECOVERY = "recovery"
RECOVERY_PENDING = "recovery-pending"


@dataclass(frozen=True)
class Session:
    id: str
    user_id: int
    user_name: str
    csrf_token: str
    created_at: float
    last_seen: float
    client: str
    user_agent: str
    # "recovery": may only set its account's new password and sign out; "recovery-pending": not even that
    # until the reset button confirms that the owner is at the device (recovery/access.py)
    kind: str = "normal"

    @property
    def recovery(self) -> bool:
        return self.kind in (RECOVERY, RECOVERY_PENDING)

    @property
    def browser(self) -> str:
        """ "Chromium on Linux", not the raw User-Agent."""
        return describe_agent(self.user_agent)

    @property
    def awaiting_presence(self) -> bool:
        return self.kind == RECOVERY_PENDING


class SessionService:
    def __init__(self, db: Database, clock: Clock, settings: SettingsService) -> None:
        self._db = db
        self._clock = clock
        self._settings = settings
        self._seen: dict[str, float] = {}
        self._seen_lock = threading.Lock()

    def create(
        self, conn: sqlite3.Connection, user_id: int, client: str, user_agent: str, kind: str = "normal"
    ) -> tuple[Session, str]:
        """A new session and its bearer token (returned once, stored only as a digest)."""
        token, session_id, csrf = new_token(), new_id(), new_token()
        now = self._clock.now()
        agent = user_agent[:USER_AGENT_MAX]
        conn.execute(
            "INSERT INTO sessions (id, token_hash, user_id, csrf_token, created_at, last_seen, client, user_agent,"
            " kind) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (session_id, token_digest(token), user_id, csrf, now, now, client, agent, kind),
        )
        name_row = conn.execute("SELECT name FROM users WHERE id = ?", (user_id,)).fetchone()
        return Session(session_id, user_id, str(name_row[0]), csrf, now, now, client, agent, kind), token

    def resolve(self, token: str, *, touch: bool = True) -> Session | None:
        """The live session for `token`, refreshed (unless `touch` is false: a page's own background refresh
        is not the owner being active); None (and the session ended) if it has timed out."""
        if not token or len(token) > 100:
            return None
        with self._db.read() as conn:
            row = conn.execute(
                "SELECT s.*, u.name AS user_name FROM sessions s JOIN users u ON u.id = s.user_id"
                " WHERE s.token_hash = ?",
                (token_digest(token),),
            ).fetchone()
        if row is None:
            return None
        session = self._from_row(row)
        now = self._clock.now()
        if self._expired(session, now):
            self.end(session.id)
            return None
        if touch:
            self._touch(session, now)
        return session

    def _expired(self, session: Session, now: float) -> bool:
        settings = self._settings.security()
        idle_limit = settings.session_idle_minutes * 60
        absolute_limit = settings.session_absolute_hours * 3600
        return now - session.last_seen > idle_limit or now - session.created_at > absolute_limit

    def _touch(self, session: Session, now: float) -> None:
        with self._seen_lock:
            self._seen[session.id] = now
        if now - session.last_seen >= LAST_SEEN_WRITE_INTERVAL:
            with self._db.write() as conn:
                conn.execute("UPDATE sessions SET last_seen = ? WHERE id = ? AND last_seen < ?", (now, session.id, now))

    def _from_row(self, row: sqlite3.Row) -> Session:
        with self._seen_lock:
            seen = self._seen.get(str(row["id"]), 0.0)
        return Session(
            id=str(row["id"]),
            user_id=int(row["user_id"]),
            user_name=str(row["user_name"]),
            csrf_token=str(row["csrf_token"]),
            created_at=float(row["created_at"]),
            last_seen=max(float(row["last_seen"]), seen),
            client=str(row["client"]),
            user_agent=str(row["user_agent"]),
            kind=str(row["kind"]),
        )

    def get(self, session_id: str) -> Session | None:
        with self._db.read() as conn:
            row = conn.execute(
                "SELECT s.*, u.name AS user_name FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = ?",
                (session_id,),
            ).fetchone()
        return None if row is None else self._from_row(row)

    def of_kind(self, conn: sqlite3.Connection, kind: str) -> list[Session]:
        rows = conn.execute(
            "SELECT s.*, u.name AS user_name FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.kind = ?"
            " ORDER BY s.created_at",
            (kind,),
        ).fetchall()
        return [self._from_row(row) for row in rows]

    def token_digests(self, conn: sqlite3.Connection, session_ids: list[str]) -> list[str]:
        """The stored digests of these sessions' tokens (to recognise a browser after its session ended)."""
        marks = ",".join("?" * len(session_ids))
        query = f"SELECT token_hash FROM sessions WHERE id IN ({marks})"  # noqa: S608 - placeholders only
        return [str(r[0]) for r in conn.execute(query, session_ids)]

    def set_kind(self, conn: sqlite3.Connection, session_id: str, kind: str) -> None:
        conn.execute("UPDATE sessions SET kind = ? WHERE id = ?", (kind, session_id))

    def list(self, user_id: int | None = None) -> list[Session]:
        """Live sessions, newest first (expired ones are removed on the way)."""
        self.purge_expired()
        query = "SELECT s.*, u.name AS user_name FROM sessions s JOIN users u ON u.id = s.user_id"
        params: tuple[int, ...] = ()
        if user_id is not None:
            query += " WHERE s.user_id = ?"
            params = (user_id,)
        with self._db.read() as conn:
            rows = conn.execute(query + " ORDER BY s.created_at DESC", params).fetchall()
        return [self._from_row(row) for row in rows]

    def end(self, session_id: str, conn: sqlite3.Connection | None = None) -> bool:
        if conn is None:
            with self._db.write() as own:
                return self.end(session_id, own)
        ended = conn.execute("DELETE FROM sessions WHERE id = ?", (session_id,)).rowcount > 0
        with self._seen_lock:
            self._seen.pop(session_id, None)
        return ended

    def end_for_user(self, conn: sqlite3.Connection, user_id: int, keep: str | None = None) -> int:
        """End every session of `user_id` except `keep`; returns how many ended."""
        ids = [
            str(r[0])
            for r in conn.execute("SELECT id FROM sessions WHERE user_id = ? AND id IS NOT ?", (user_id, keep))
        ]
        for session_id in ids:
            self.end(session_id, conn)
        return len(ids)

    def end_all(self, conn: sqlite3.Connection) -> int:
        """Every session ends (a reset: whoever was signed in signs in again)."""
        ids = [str(r[0]) for r in conn.execute("SELECT id FROM sessions")]
        for session_id in ids:
            self.end(session_id, conn)
        return len(ids)

    def purge_expired(self) -> int:
        now = self._clock.now()
        with self._db.read() as conn:
            rows = conn.execute("SELECT s.*, u.name AS user_name FROM sessions s JOIN users u ON u.id = s.user_id")
            expired = [s.id for s in map(self._from_row, rows.fetchall()) if self._expired(s, now)]
        if expired:
            with self._db.write() as conn:
                for session_id in expired:
                    self.end(session_id, conn)
        return len(expired)


def session_text(session: Session) -> str:
    """What a search of sessions looks in."""
    return f"{session.user_name} {session.client} {session.browser}"


SESSION_SORTS: dict[str, Callable[[Session], Any]] = {
    "user": lambda s: s.user_name,
    "created_at": lambda s: s.created_at,
    "last_seen": lambda s: s.last_seen,
}
