"""Bodies of the Security Advisor's API: a kept run, each finding with how it compares with the run before."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from homeport.advisor.advisor import AdvisorRun

VerdictOut = Literal["pass", "warn", "fail", "info"]


class FindingOut(BaseModel):
    key: str = Field(description="The check's stable identifier, e.g. `auto_block`.")
    title: str
    verdict: VerdictOut = Field(
        description="`fail`: fix it now; `warn`: weaker than it should be; `pass`; "
        "`info`: the server cannot tell, or it is your choice."
    )
    explanation: str = Field(description="What is wrong and what to do, in one sentence.")
    fix: str = Field(description="The console page where it is fixed, e.g. `/security#f-password_min_length`.")
    changed: bool = Field(description="The verdict differs from the run before (a new check counts as changed).")
    previous_verdict: VerdictOut | None = Field(description="The verdict in the run before, if it had this check.")


class AdvisorRunOut(BaseModel):
    id: int
    ran_at: float
    reason: str = Field(description="`on demand`, `after recovery` or `after setup`.")
    actor: str = Field(description="Who asked for it (`system` for the runs after a recovery or setup).")
    previous_run: int | None = Field(description="The kept run this one is compared with; null for the first.")
    counts: dict[VerdictOut, int] = Field(description="How many checks have each verdict.")
    findings: list[FindingOut]

    @classmethod
    def of(cls, run: AdvisorRun) -> AdvisorRunOut:
        return cls(
            id=run.id,
            ran_at=run.ran_at,
            reason=run.reason,
            actor=run.actor,
            previous_run=run.previous_id,
            counts=dict(run.counts),
            findings=[
                FindingOut(**f.__dict__, changed=run.changed(f.key), previous_verdict=run.previous_verdict(f.key))
                for f in run.findings
            ],
        )
