"""The journal of resets: intent first, then committed with the configuration change, then applied.

A reset found `committed` at start-up had its configuration changed but not (all) applied: the apply step is
idempotent and runs again. One found `intended` never changed anything: it is marked abandoned.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any, Literal

# `before` key: the account whose second factors the recovery suspended (the report offers them back).
FACTORS_SUSPENDED = "factors_suspended"

Mode = Literal["mode1", "mode2"]
Stage = Literal["intended", "committed", "applied", "abandoned"]


@dataclass(frozen=True)
class Reset:
    id: int
    mode: Mode
    decided_at: float
    stage: Stage
    before: dict[str, Any]
    restored: tuple[str, ...]
    acknowledged: bool


def _reset(row: sqlite3.Row) -> Reset:
    return Reset(
        id=int(row["id"]),
        mode=row["mode"],
        decided_at=float(row["decided_at"]),
        stage=row["stage"],
        before=json.loads(row["before"]),
        restored=tuple(json.loads(row["restored"])),
        acknowledged=bool(row["acknowledged"]),
    )


def begin(conn: sqlite3.Connection, mode: Mode, now: float, before: dict[str, Any]) -> int:
    cursor = conn.execute(
        "INSERT INTO recovery_resets (mode, decided_at, stage, before) VALUES (?, ?, 'intended', ?)",
        (mode, now, json.dumps(before, sort_keys=True)),
    )
    return int(cursor.lastrowid or 0)


def set_stage(conn: sqlite3.Connection, reset_id: int, stage: Stage) -> None:
    conn.execute("UPDATE recovery_resets SET stage = ? WHERE id = ?", (stage, reset_id))


def update_before(conn: sqlite3.Connection, reset_id: int, before: dict[str, Any]) -> None:
    conn.execute("UPDATE recovery_resets SET before = ? WHERE id = ?", (json.dumps(before, sort_keys=True), reset_id))


def note_before(conn: sqlite3.Connection, reset_id: int, values: dict[str, Any]) -> None:
    """Add to what a reset recorded (something the recovery changed after the reset itself)."""
    found = find(conn, reset_id)
    if found is not None:
        update_before(conn, reset_id, {**found.before, **values})


def unfinished(conn: sqlite3.Connection) -> list[Reset]:
    rows = conn.execute("SELECT * FROM recovery_resets WHERE stage IN ('intended', 'committed') ORDER BY id").fetchall()
    return [_reset(row) for row in rows]


def find(conn: sqlite3.Connection, reset_id: int) -> Reset | None:
    row = conn.execute("SELECT * FROM recovery_resets WHERE id = ?", (reset_id,)).fetchone()
    return None if row is None else _reset(row)


def latest(conn: sqlite3.Connection, mode: Mode | None = None) -> Reset | None:
    query = "SELECT * FROM recovery_resets WHERE stage = 'applied'"
    params: tuple[str, ...] = ()
    if mode is not None:
        query += " AND mode = ?"
        params = (mode,)
    row = conn.execute(query + " ORDER BY id DESC LIMIT 1", params).fetchone()
    return None if row is None else _reset(row)


def mark_restored(conn: sqlite3.Connection, reset_id: int, item: str) -> None:
    found = find(conn, reset_id)
    if found is not None and item not in found.restored:
        conn.execute(
            "UPDATE recovery_resets SET restored = ? WHERE id = ?", (json.dumps([*found.restored, item]), reset_id)
        )


def acknowledge(conn: sqlite3.Connection, reset_id: int) -> None:
    conn.execute("UPDATE recovery_resets SET acknowledged = 1 WHERE id = ?", (reset_id,))
