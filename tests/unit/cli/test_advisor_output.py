"""`homeport advisor` as people read it: worst first, changes marked, each check with where to fix it."""

from __future__ import annotations

from typing import Any

from homeport.cli import output
from homeport.cli.advisor_cmd import show_run


def finding(key: str, verdict: str, *, before: str | None = None, changed: bool = False) -> dict[str, Any]:
    return {
        "key": key, "title": f"Title {key}", "verdict": verdict, "explanation": f"Do {key}.", "fix": f"/{key}",
        "changed": changed, "previous_verdict": before,
    }  # fmt: skip


def test_a_run_is_shown_worst_first_with_its_changes() -> None:
    run = {
        "id": 4, "ran_at": 1_800_000_000.0, "reason": "on demand", "actor": "root@local", "previous_run": 3,
        "counts": {"fail": 1, "warn": 0, "info": 1, "pass": 1},
        "findings": [
            finding("fine", "pass"), finding("unknown", "info", changed=True),
            finding("broken", "fail", before="pass", changed=True),
        ],
    }  # fmt: skip
    with output.out.capture() as captured:
        show_run(run)
    text = captured.get()
    assert "1 fail, 0 warn, 1 info, 1 pass; 2 changed since the run before" in text
    assert text.index("fail (was pass)") < text.index("info (new)") < text.index("Title fine")
    assert "/broken" in text and "Do broken." in text
