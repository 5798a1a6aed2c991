"""Which audited actions the administrators hear of, as notices: one table, read in the transaction that writes
the audit record (audit/log.py `listen`), so a notice exists if and only if its action committed.

Address blocks are told once per spell: when 5 addresses were blocked within 10 minutes, and not again until
the blocks have stopped for 10 minutes.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass

import structlog

from homeport.audit.log import AuditRecord
from homeport.notify.models import NoticeDraft, Severity

_log = structlog.get_logger("homeport.notify")

SPELL_BLOCKS = 5
SPELL_SECONDS = 600.0
MANY_BLOCKED = "auth.many_addresses_blocked"


@dataclass(frozen=True)
class Told:
    """A notice for one audited action; `{target}` and `{actor}` are filled from the record."""

    kind: str
    title: str
    body: str
    severity: Severity


_FACTOR_BODY = (
    "{actor} changed the sign-in methods of {target}. If this was not expected, check the account's sign-in methods "
    "and the log."
)
TOLD: dict[str, Told] = {
    "recovery.mode1": Told(
        "recovery.mode1", "The reset button started a Mode 1 reset",
        "The network returned to automatic settings and a recovery sign-in window opened: an administrator on this "
        "network may sign in with an empty password to set a new one. Nothing else was lost.", "warning",
    ),
    "recovery.mode2": Told(
        "recovery.mode2", "The reset button started a Mode 2 reset",
        "The configuration returned to factory settings after a backup was written to the volumes; every byte on "
        "the volumes is kept. The setup page offers to restore the previous configuration.", "critical",
    ),
    "recovery.sign_in": Told(
        "recovery.sign_in", "A recovery sign-in as {target}",
        "Someone signed in as {target} with an empty password during the recovery window, to set a new password.",
        "warning",
    ),
    "recovery.password_set": Told(
        "recovery.password_set", "The password of {target} was reset",
        "A new password was set for {target} through the recovery window.", "warning",
    ),
    "auth.totp_added": Told("auth.factor_added", "An authenticator app was added for {target}", _FACTOR_BODY, "info"),
    "auth.passkey_added": Told("auth.factor_added", "A passkey was added for {target}", _FACTOR_BODY, "info"),
    "auth.totp_removed": Told(
        "auth.factor_removed", "The authenticator app of {target} was removed", _FACTOR_BODY, "warning"
    ),
    "auth.passkey_removed": Told("auth.factor_removed", "A passkey of {target} was removed", _FACTOR_BODY, "warning"),
    "auth.factors_cleared": Told(
        "auth.factor_removed", "Every second factor of {target} was removed", _FACTOR_BODY, "warning"
    ),
    "auth.recovery_codes_replaced": Told(
        "auth.factor_changed", "New recovery codes were made for {target}", _FACTOR_BODY, "info"
    ),
    "user.password_reset": Told(
        "user.password_reset", "The password of {target} was reset",
        "{actor} set a new password for {target}. If this was not expected, check the log.", "info",
    ),
    "user.admin_granted": Told(
        "user.admin_granted", "{target} is now an administrator",
        "{actor} made {target} an administrator. If this was not expected, check the account and the log.", "warning",
    ),
    "smb.drift_repaired": Told(
        "smb.drift_repaired", "Samba's accounts were changed outside Homeport and repaired",
        "Samba's account database differed from Homeport's accounts ({target}); Homeport put it back. If nobody "
        "here changed Samba by hand, look at who has root access to this device.", "warning",
    ),
}  # fmt: skip


def _filled(told: Told, record: AuditRecord) -> NoticeDraft:
    values = {"target": record.target or "an account", "actor": record.actor or "someone"}
    return NoticeDraft(told.kind, told.title.format(**values), told.body.format(**values), told.severity)


def _many_blocked(conn: sqlite3.Connection, record: AuditRecord) -> NoticeDraft | None:
    recent = conn.execute(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'auth.address_blocked' AND at > ?",
        (record.at - SPELL_SECONDS,),
    ).fetchone()[0]
    if recent < SPELL_BLOCKS:
        return None
    told = conn.execute("SELECT MAX(created_at) FROM notices WHERE kind = ?", (MANY_BLOCKED,)).fetchone()[0]
    if told is not None:
        # Still the same spell if no two blocks since the notice were 10 minutes apart.
        gap = conn.execute(
            "SELECT MAX(at - before) FROM (SELECT at, LAG(at) OVER (ORDER BY id) AS before FROM audit_log"
            " WHERE action = 'auth.address_blocked' AND at >= ?)",
            (float(told),),
        ).fetchone()[0]
        if gap is None or gap < SPELL_SECONDS:
            return None
    return NoticeDraft(
        MANY_BLOCKED,
        f"{recent} addresses were blocked in 10 minutes",
        f"{recent} addresses were blocked after failed sign-ins within 10 minutes (the latest {record.target}): "
        "someone may be guessing passwords. The Security settings page lists the blocked addresses. You will not "
        "be told again until the blocks stop for 10 minutes.",
        "warning",
    )


def notice_for(conn: sqlite3.Connection, record: AuditRecord) -> NoticeDraft | None:
    """The notice an audited action raises, or None."""
    if record.outcome != "success":
        return None
    if record.action == "auth.address_blocked":
        return _many_blocked(conn, record)
    told = TOLD.get(record.action)
    return None if told is None else _filled(told, record)


def audit_listener(
    enqueue: Callable[[sqlite3.Connection, NoticeDraft], object],
) -> Callable[[sqlite3.Connection, AuditRecord], None]:
    """The hook for AuditLog.listen: a notice for the record, queued in its transaction."""

    def listen(conn: sqlite3.Connection, record: AuditRecord) -> None:
        if record.action not in TOLD and record.action != "auth.address_blocked":
            return  # most records (sign-ins, page views of the log...) tell nobody: no work at all
        # A savepoint: a notice that cannot be kept is undone alone and never takes its action down with it.
        conn.execute("SAVEPOINT notice")
        try:
            draft = notice_for(conn, record)
            if draft is not None:
                enqueue(conn, draft)
        except Exception:
            conn.execute("ROLLBACK TO notice")
            _log.exception("a notice could not be kept", action=record.action)
        conn.execute("RELEASE notice")

    return listen
