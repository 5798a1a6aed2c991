"""The Security Advisor: runs every check, keeps the result, and says what changed since the run before.

Runs happen on demand (console, API, `homeport advisor --run`) and by themselves when the device comes back
into service: after a recovery (a Mode 1's window closing, a Mode 2's wizard) and after the first setup. The
last KEEP_RUNS runs are kept in `advisor_runs`, each as JSON, so an older version's run still reads.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from homeport.advisor.checks import run_checks
from homeport.advisor.facts import FactGatherer
from homeport.advisor.findings import VERDICTS, Finding, Verdict
from homeport.audit.log import SYSTEM, Actor
from homeport.core.clock import Clock
from homeport.recovery import journal
from homeport.store.db import Database

KEEP_RUNS = 50
ON_DEMAND = "on demand"
AFTER_RECOVERY = "after recovery"
AFTER_SETUP = "after setup"


@dataclass(frozen=True)
class Change:
    key: str
    title: str
    before: Verdict | None  # None: the check is new since the run before
    after: Verdict


@dataclass(frozen=True)
class AdvisorRun:
    id: int
    ran_at: float
    reason: str
    actor: str
    findings: tuple[Finding, ...]
    previous_id: int | None = None  # the kept run this one is compared with
    previous: Mapping[str, Verdict] = field(default_factory=dict)  # that run's verdicts, by check

    def previous_verdict(self, key: str) -> Verdict | None:
        return self.previous.get(key)

    def changed(self, key: str) -> bool:
        """The check's verdict differs from the run before (a new check counts as changed)."""
        finding = next((f for f in self.findings if f.key == key), None)
        return self.previous_id is not None and finding is not None and self.previous.get(key) != finding.verdict

    @property
    def changes(self) -> tuple[Change, ...]:
        return tuple(
            Change(f.key, f.title, self.previous.get(f.key), f.verdict) for f in self.findings if self.changed(f.key)
        )

    @property
    def worst_first(self) -> list[Finding]:
        """The findings by verdict (fail, warn, info, pass), each verdict in catalogue order."""
        return sorted(self.findings, key=lambda f: VERDICTS.index(f.verdict))

    @property
    def counts(self) -> dict[Verdict, int]:
        return {v: sum(1 for f in self.findings if f.verdict == v) for v in VERDICTS}

    @property
    def failed(self) -> bool:
        return any(f.verdict == "fail" for f in self.findings)


def _finding(data: Any) -> Finding | None:
    """A finding as kept; None for one this version cannot read (it is left out, not fatal)."""
    try:
        verdict = data["verdict"]
        if verdict not in VERDICTS:
            return None
        return Finding(str(data["key"]), str(data["title"]), verdict, str(data["explanation"]), str(data["fix"]))
    except (KeyError, TypeError):
        return None


def _run(row: sqlite3.Row, previous: sqlite3.Row | None) -> AdvisorRun:
    result = json.loads(row["result"])
    findings = tuple(f for f in map(_finding, result.get("findings", [])) if f is not None)
    before: dict[str, Verdict] = {}
    if previous is not None:
        kept = (_finding(f) for f in json.loads(previous["result"]).get("findings", []))
        before = {f.key: f.verdict for f in kept if f is not None}
    return AdvisorRun(
        id=int(row["id"]),
        ran_at=float(row["ran_at"]),
        reason=str(row["reason"]),
        actor=str(result.get("actor", "")),
        findings=findings,
        previous_id=None if previous is None else int(previous["id"]),
        previous=before,
    )


class Advisor:
    def __init__(self, db: Database, clock: Clock, facts: FactGatherer, keep: int = KEEP_RUNS) -> None:
        self._db = db
        self._clock = clock
        self._facts = facts
        self._keep = keep

    def evaluate(self, keys: Iterable[str] | None = None) -> list[Finding]:
        """The checks as they stand now, not kept (the reset report shows a few, none about the clock)."""
        return run_checks(self._facts.gather(ask_time_service=False), keys)

    def run(self, actor: Actor, reason: str) -> AdvisorRun:
        """Run every check, keep the result (and only the last KEEP_RUNS), compare it with the run before."""
        findings = run_checks(self._facts.gather())
        result = {"actor": actor.name, "findings": [f.__dict__ for f in findings]}
        with self._db.write() as conn:
            cursor = conn.execute(
                "INSERT INTO advisor_runs (ran_at, reason, result) VALUES (?, ?, ?)",
                (self._clock.now(), reason, json.dumps(result, sort_keys=True)),
            )
            conn.execute(
                "DELETE FROM advisor_runs WHERE id NOT IN (SELECT id FROM advisor_runs ORDER BY id DESC LIMIT ?)",
                (self._keep,),
            )
            found = self._load(conn, int(cursor.lastrowid or 0))
        assert found is not None  # just written, in this transaction
        return found

    def latest(self) -> AdvisorRun | None:
        with self._db.read() as conn:
            return self._load(conn)

    def after_state_change(self, previous: str, current: str) -> AdvisorRun | None:
        """Run by itself when the device comes back into service: after a recovery, or after the first setup."""
        if current != "ready" or previous not in ("recovery", "not-installed", "migratable"):
            return None
        reason = AFTER_RECOVERY
        if previous != "recovery":  # the setup wizard: a Mode 2's, or a new device's
            with self._db.read() as conn:
                reset = journal.latest(conn, "mode2")
                last = self._load(conn)
            if reset is None or (last is not None and last.ran_at > reset.decided_at):
                reason = AFTER_SETUP
        return self.run(SYSTEM, reason)

    def _load(self, conn: sqlite3.Connection, newest: int | None = None) -> AdvisorRun | None:
        """The run `newest` (or the latest), compared with the one kept before it."""
        rows = conn.execute(
            "SELECT id, ran_at, reason, result FROM advisor_runs WHERE id <= ? ORDER BY id DESC LIMIT 2",
            (2**62 if newest is None else newest,),
        ).fetchall()
        if not rows:
            return None
        return _run(rows[0], rows[1] if len(rows) > 1 else None)
