"""Every audit action Homeport records reads as a sentence in the log (its code stays for filters)."""

from __future__ import annotations

import re
from pathlib import Path

from homeport.audit.log import AuditRecord
from homeport.audit.sentences import SENTENCES, sentence

SRC = Path(__file__).resolve().parents[2] / "src" / "homeport"
RECORDED = re.compile(r"""record(?:_now)?\(\s*(?:conn,\s*)?f?"([a-z_]+\.[a-z_{}.]+)\"""")


def recorded_actions() -> set[str]:
    found: set[str] = set()
    for path in SRC.rglob("*.py"):
        for action in RECORDED.findall(path.read_text()):
            if "{" in action:  # f"recovery.{mode}"
                found |= {action.replace("{reset.mode}", "mode1"), action.replace("{reset.mode}", "mode2")}
            else:
                found.add(action)
    return found


def test_every_recorded_action_has_a_sentence() -> None:
    actions = recorded_actions()
    assert len(actions) > 25  # the scan found the calls
    known = {key[0] if isinstance(key, tuple) else key for key in SENTENCES}
    assert actions <= known, sorted(actions - known)


def test_a_sentence_says_who_what_and_from_where() -> None:
    record = AuditRecord(1, 0.0, "user.created", "success", "alice", "192.168.1.20", "bob", {})
    assert sentence(record) == "alice created the account bob from 192.168.1.20"
    failed = AuditRecord(2, 0.0, "auth.sign_in", "failure", "", "192.168.1.9", "", {"tried": "mallory"})
    assert sentence(failed) == "A sign-in as mallory failed from 192.168.1.9"
