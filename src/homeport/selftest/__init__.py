"""Service checks that say whether the device still works as before (after a package change, after an update).

The public surface, reused by the updater's trial (homeport.updates):

    take_snapshot(services) -> Snapshot
    await run_checks(services, before: Snapshot | None) -> list[CheckResult]
"""

from homeport.selftest.checks import CheckResult, run_checks
from homeport.selftest.snapshot import Snapshot, take_snapshot

__all__ = ["CheckResult", "Snapshot", "run_checks", "take_snapshot"]
