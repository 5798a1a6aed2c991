"""What a Security Advisor check looks at (`Facts`) and what it says (`Finding`).

A finding has a verdict (`fail`: fix it now; `warn`: weaker than it should be; `pass`; `info`: the server cannot
tell, or it is the owner's choice), one sentence saying what is wrong and what to do, and `fix`, the console page
where it is fixed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal, NamedTuple

from homeport.accounts.models import User
from homeport.advisor.factor_facts import PasskeyFact, UserFactors
from homeport.network.model import WebPorts
from homeport.system.settings import SecuritySettings

Verdict = Literal["pass", "warn", "fail", "info"]
VERDICTS: tuple[Verdict, ...] = ("fail", "warn", "info", "pass")  # worst first
DAY = 24 * 3600.0


@dataclass(frozen=True)
class ClockFacts:
    latest_record_at: float | None  # the newest entry of the audit log
    synchronised: bool | None  # what timedatectl / chronyc / ntpq say; None: nothing here can tell
    source: str = ""  # which of them said it


@dataclass(frozen=True)
class Facts:
    """Everything the checks look at, gathered once per run (advisor/facts.py), so the checks stay pure."""

    now: float
    users: tuple[User, ...]
    security: SecuritySettings
    device_state: str
    host: str  # `<name>.local`: the relying party id passkeys must be registered for
    web_ports: WebPorts
    factors: Mapping[int, UserFactors]
    passkeys: tuple[PasskeyFact, ...]
    last_used: Mapping[int, float]  # user id -> the last sign-in or activity seen; absent: never
    certificate_expires_at: float | None
    clock: ClockFacts
    unread_reset: int | None  # a reset whose report no administrator has marked read


@dataclass(frozen=True)
class Finding:
    key: str
    title: str
    verdict: Verdict
    explanation: str
    fix: str


class Outcome(NamedTuple):
    verdict: Verdict
    explanation: str
    fix: str = ""  # empty: the check's usual page


@dataclass(frozen=True)
class Check:
    key: str
    title: str
    fix: str
    judge: Callable[[Facts], Outcome]

    def run(self, facts: Facts) -> Finding:
        outcome = self.judge(facts)
        return Finding(self.key, self.title, outcome.verdict, outcome.explanation, outcome.fix or self.fix)


def names(users: list[User], limit: int = 3) -> str:
    shown = ", ".join(u.name for u in users[:limit])
    return shown + (f" and {len(users) - limit} more" if len(users) > limit else "")


def page_of(users: list[User], anchor: str = "") -> str:
    """The account's page when there is one, else the list of users."""
    return f"/users/{users[0].name}{anchor}" if len(users) == 1 else "/users"


def people(facts: Facts) -> list[User]:
    """Enabled accounts of people (the built-in admin aside)."""
    return [u for u in facts.users if u.enabled and not u.builtin]


def administrators(facts: Facts) -> list[User]:
    return [u for u in people(facts) if u.is_admin]


def days(seconds: float) -> int:
    return int(seconds // DAY)
