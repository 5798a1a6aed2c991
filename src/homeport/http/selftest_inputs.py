"""What the device accepts to run a self-test (the API's body, and the console's form through the same model)."""

from __future__ import annotations

from pydantic import Field

from homeport.http.inputs import Strict


class SelfTestIn(Strict):
    after_package_change: bool = Field(
        default=False,
        description="Also read dpkg's log for the packages changed since the last look, and raise the banner and "
        "the administrators' notice if a check fails (root on the machine only: the apt hook's call).",
    )
