"""Every check of the Security Advisor, in the order the page lists them; each is a pure function of `Facts`.

Accounts first (who can get in), then the security settings, then the device. Thresholds follow
security-baseline.md; each module states its own.
"""

from __future__ import annotations

from collections.abc import Iterable

from homeport.advisor.account_checks import ACCOUNT_CHECKS
from homeport.advisor.device_checks import DEVICE_CHECKS
from homeport.advisor.findings import Check, Facts, Finding
from homeport.advisor.setting_checks import SETTING_CHECKS

CHECKS: tuple[Check, ...] = (*ACCOUNT_CHECKS, *SETTING_CHECKS, *DEVICE_CHECKS)
CHECK_KEYS = frozenset(c.key for c in CHECKS)


def run_checks(facts: Facts, keys: Iterable[str] | None = None) -> list[Finding]:
    """Every check (or those named), in catalogue order."""
    wanted = CHECK_KEYS if keys is None else frozenset(keys)
    return [c.run(facts) for c in CHECKS if c.key in wanted]
