"""Bodies of the self-test's API: a run, each check with its verdict, and the package changes it followed."""

from __future__ import annotations

from pydantic import BaseModel, Field

from homeport.selftest.checks import TITLES
from homeport.selftest.service import SelfTestRun


class CheckOut(BaseModel):
    name: str = Field(description="The check's stable name: sign_in, smb_config, smbd, smb_canary, smb_drift, "
                      "mdns, network.")  # fmt: skip
    title: str
    ok: bool
    detail: str = Field(description="What was found, in one sentence.")


class PackageChangeOut(BaseModel):
    action: str = Field(description="install, upgrade (downgrades too), remove or purge, as dpkg logs it.")
    package: str
    arch: str
    old: str = Field(description="The version before; empty when it was not installed.")
    new: str = Field(description="The version now; empty when it is gone.")
    way_back: str = Field(description="What to run to go back.")


class SelfTestRunOut(BaseModel):
    at: float
    actor: str
    after_package_change: bool
    ok: bool = Field(description="Every check passed.")
    seconds: float
    checks: list[CheckOut]
    changes: list[PackageChangeOut] = Field(description="Packages changed since the self-test before (dpkg's log).")

    @classmethod
    def of(cls, run: SelfTestRun) -> SelfTestRunOut:
        return cls(
            at=run.at, actor=run.actor, after_package_change=run.after_package_change, ok=run.ok,
            seconds=run.seconds,
            checks=[CheckOut(name=c.name, title=TITLES.get(c.name, c.name), ok=c.ok, detail=c.detail)
                    for c in run.checks],
            changes=[PackageChangeOut(**c.as_dict()) for c in run.changes],
        )  # fmt: skip


class SelfTestStateOut(BaseModel):
    last: SelfTestRunOut | None = Field(description="The last self-test, whatever started it.")
    last_package_change: SelfTestRunOut | None = Field(description="The last self-test after a dpkg run.")
    banner: SelfTestRunOut | None = Field(
        description="The failed self-test after a package change shown on every console page, until a self-test "
        "passes or an administrator dismisses it."
    )
    apt_hook: str | None = Field(description="Where the apt hook is installed; null when it is not.")
    apt_hook_problem: str = Field(description="Why the apt hook could not be installed, if it could not.")
