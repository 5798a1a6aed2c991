"""Audit records, written in the same transaction as the change they describe."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from homeport.core.clock import Clock
from homeport.core.paging import like_anywhere
from homeport.store.db import Database

RETAINED_RECORDS = 100_000
_SECRET_WORDS = ("password", "token", "secret", "hash", "csrf")


@dataclass(frozen=True)
class Actor:
    """Who acts, and from where: a user name (or `root@local` for the CLI) and a client address."""

    name: str
    client: str = ""


SYSTEM = Actor("system")


@dataclass(frozen=True)
class AuditRecord:
    id: int
    at: float
    action: str
    outcome: str
    actor: str
    client: str
    target: str
    detail: dict[str, Any] = field(default_factory=dict)


LOG_KINDS = ("auth", "user", "group", "session", "settings", "network", "system", "recovery")
LOG_OUTCOMES = ("success", "failure", "blocked", "abandoned")


@dataclass(frozen=True)
class LogFilter:
    """What the log page and `GET /api/v1/log` filter on; empty fields filter nothing."""

    kind: str = ""  # the action's family: auth, user, group, session, settings, network, system, recovery
    actor: str = ""  # an account: entries it did, or that were done to it
    outcome: str = ""
    since: float | None = None
    until: float | None = None
    text: str = ""  # anywhere in the action, actor, target, address or details

    def add_to(self, clauses: list[str], params: list[object]) -> None:
        if self.kind:
            clauses.append("action LIKE ? ESCAPE '\\'")
            params.append(like_anywhere(self.kind + ".")[1:])  # a prefix, not anywhere
        if self.actor:  # what they did, and what was done to them
            clauses.append("(actor = ? COLLATE NOCASE OR target = ? COLLATE NOCASE)")
            params.extend([self.actor, self.actor])
        if self.outcome:
            clauses.append("outcome = ?")
            params.append(self.outcome)
        if self.since is not None:
            clauses.append("at >= ?")
            params.append(self.since)
        if self.until is not None:
            clauses.append("at < ?")
            params.append(self.until)
        if self.text:
            columns = ("action", "actor", "target", "client", "detail")
            clauses.append("(" + " OR ".join(f"{c} LIKE ? ESCAPE '\\'" for c in columns) + ")")
            params.extend([like_anywhere(self.text)] * len(columns))


def _without_secrets(detail: dict[str, Any]) -> dict[str, Any]:
    """A defensive filter: a detail key that names a secret is never stored, whatever a caller passes."""
    return {k: v for k, v in detail.items() if not any(word in k.lower() for word in _SECRET_WORDS)}


AuditListener = Callable[[sqlite3.Connection, AuditRecord], None]


class AuditLog:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock
        self._listeners: list[AuditListener] = []

    def listen(self, listener: AuditListener) -> None:
        """Call `listener` with every record, inside the transaction that writes it (the notices use this, so a
        notice exists if and only if the action it tells of committed). It must not fail: it runs in that
        transaction, and an exception would roll the action back."""
        self._listeners.append(listener)

    def record(
        self,
        conn: sqlite3.Connection,
        action: str,
        actor: Actor,
        *,
        target: str = "",
        outcome: str = "success",
        **detail: Any,
    ) -> None:
        at = self._clock.now()
        kept = _without_secrets(detail)
        cursor = conn.execute(
            "INSERT INTO audit_log (at, action, outcome, actor, client, target, detail) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (at, action, outcome, actor.name, actor.client, target, json.dumps(kept, sort_keys=True)),
        )
        if self._listeners:
            row_id = int(cursor.lastrowid or 0)
            record = AuditRecord(row_id, at, action, outcome, actor.name, actor.client, target, kept)
            for listener in self._listeners:
                listener(conn, record)

    def record_now(
        self, action: str, actor: Actor, *, target: str = "", outcome: str = "success", **detail: Any
    ) -> None:
        with self._db.write() as conn:
            self.record(conn, action, actor, target=target, outcome=outcome, **detail)

    def prune(self) -> int:
        """Keep the newest RETAINED_RECORDS; called at start-up."""
        with self._db.write() as conn:
            cursor = conn.execute(
                "DELETE FROM audit_log WHERE id <= (SELECT MAX(id) FROM audit_log) - ?", (RETAINED_RECORDS,)
            )
            return cursor.rowcount

    def query(
        self,
        *,
        limit: int = 100,
        before: int | None = None,
        after: int | None = None,
        action: str | None = None,
        matching: LogFilter | None = None,
    ) -> list[AuditRecord]:
        """Newest first; `after` (for following) returns the oldest records after that id first."""
        clauses: list[str] = []
        params: list[object] = []
        if before is not None:
            clauses.append("id < ?")
            params.append(before)
        if after is not None:
            clauses.append("id > ?")
            params.append(after)
        if action:
            clauses.append("action = ?")
            params.append(action)
        if matching is not None:
            matching.add_to(clauses, params)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        order = "ASC" if after is not None else "DESC"
        with self._db.read() as conn:
            rows = conn.execute(
                # Only fixed clause texts are joined in; every value is a bound parameter.
                f"SELECT id, at, action, outcome, actor, client, target, detail FROM audit_log {where}"  # noqa: S608
                f" ORDER BY id {order} LIMIT ?",
                (*params, limit),
            ).fetchall()
        return [
            AuditRecord(
                id=int(r["id"]),
                at=float(r["at"]),
                action=str(r["action"]),
                outcome=str(r["outcome"]),
                actor=str(r["actor"]),
                client=str(r["client"]),
                target=str(r["target"]),
                detail=json.loads(r["detail"]),
            )
            for r in rows
        ]
