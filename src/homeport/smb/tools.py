"""Samba's own tools, always run on Homeport's smb.conf (`-s`), never with a secret on their command line.

In the embedded mode the SMB accounts exist only for Samba: the tools that look accounts up (smbd, pdbedit) get
them from nss_wrapper files in the home, so the host's /etc/passwd is never touched.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from homeport.smb.layout import SambaLayout

NSS_WRAPPER = "libnss_wrapper.so"
TOOL_TIMEOUT = 20.0


class SambaUnavailable(Exception):
    """A Samba tool is missing or failed; the message says which and why."""


@dataclass(frozen=True)
class ToolResult:
    code: int
    out: str
    err: str


def find_nss_wrapper() -> str | None:
    for folder in ("/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib/arm-linux-gnueabihf",
                   "/usr/lib64", "/usr/lib"):  # fmt: skip
        candidate = Path(folder) / NSS_WRAPPER
        if candidate.exists():
            return str(candidate)
    return None


class SambaTools:
    def __init__(self, layout: SambaLayout, *, wrapped_accounts: bool, binaries: dict[str, str] | None = None) -> None:
        self.layout = layout
        self.wrapped_accounts = wrapped_accounts
        self._binaries = binaries or {}
        self._modules_folder: Path | None = None

    def binary(self, name: str) -> str:
        """The tool's path; SambaUnavailable names the Debian package that has it."""
        found = self._binaries.get(name) or shutil.which(name, path=f"{os.environ.get('PATH', '')}:/usr/sbin:/sbin")
        if not found:
            package = {"smbclient": "smbclient", "smbtorture": "samba-testsuite"}.get(name, "samba")
            raise SambaUnavailable(f"{name} is not installed (Debian package '{package}').")
        return found

    def environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("NSS_WRAPPER", "LD_PRELOAD"))}
        env["LC_ALL"] = "C"
        if self.wrapped_accounts:
            library = find_nss_wrapper()
            if library is None:
                raise SambaUnavailable("nss_wrapper is not installed (Debian package 'libnss-wrapper').")
            env |= {
                "LD_PRELOAD": library,
                "NSS_WRAPPER_PASSWD": str(self.layout.nss_passwd),
                "NSS_WRAPPER_GROUP": str(self.layout.nss_group),
            }
        return env

    def run(self, tool: str, *args: str, stdin: str | None = None, conf: Path | None = None) -> ToolResult:
        conf = conf or self.layout.conf
        if not conf.exists():
            # Samba's tools read a missing -s file as "use the defaults": the host's own passdb and state.
            raise SambaUnavailable(f"{tool} was not run: Homeport's smb.conf has not been written yet.")
        command = [self.binary(tool), "-s", str(conf), *args]
        try:
            done = subprocess.run(  # noqa: S603 - fixed tools, checked arguments
                command, input=stdin, capture_output=True, text=True, env=self.environment(),
                timeout=TOOL_TIMEOUT, check=False,
            )  # fmt: skip
        except subprocess.TimeoutExpired as exc:
            raise SambaUnavailable(f"{tool} did not answer within {TOOL_TIMEOUT:.0f} s.") from exc
        except OSError as exc:
            raise SambaUnavailable(f"{tool} could not run: {exc.strerror}.") from exc
        return ToolResult(done.returncode, done.stdout, done.stderr)

    def testparm(self, conf: Path) -> str | None:
        """None when Samba accepts `conf`, else what it objects to."""
        result = self.run("testparm", "--suppress-prompt", conf=conf)
        if result.code == 0:
            return None
        wrong = [line.strip() for line in result.err.splitlines() if "Unknown" in line or "ERROR" in line
                 or "Invalid" in line or "WARNING" in line]  # fmt: skip
        return "; ".join(wrong[:3]) or result.err.strip()[-300:] or f"testparm exited {result.code}"

    def reload(self) -> bool:
        """Tell the running smbd to read the configuration again; False when none runs."""
        return self.run("smbcontrol", "smbd", "reload-config").code == 0

    def ping(self) -> bool:
        """Whether an smbd of this configuration runs (it answers a ping through its pid file)."""
        return self.run("smbcontrol", "smbd", "ping").code == 0

    def status(self) -> dict[str, Any]:
        """smbstatus as JSON: sessions, tree connects, open files (empty when smbd has none)."""
        result = self.run("smbstatus", "--json")
        if result.code != 0:
            raise SambaUnavailable(f"smbstatus failed: {result.err.strip()[-200:]}")
        try:
            parsed: dict[str, Any] = json.loads(result.out)
        except ValueError as exc:
            raise SambaUnavailable("smbstatus gave no JSON.") from exc
        return parsed

    def modules_folder(self) -> Path:
        """Where smbd loads its VFS modules from: built into the binary, so asked once (every configuration
        applied checks it, and starting smbd costs more than the rest of the check)."""
        if self._modules_folder is not None:
            return self._modules_folder
        result = self._smbd("-b")
        for line in result.stdout.splitlines():
            key, _, value = line.strip().partition(":")
            if key == "MODULESDIR":
                self._modules_folder = Path(value.strip())
                return self._modules_folder
        return Path("/usr/lib/x86_64-linux-gnu/samba")

    def version(self) -> str:
        return self._smbd("--version").stdout.strip().removeprefix("Version ").strip()

    def _smbd(self, *args: str) -> subprocess.CompletedProcess[str]:
        """smbd asked about itself (no configuration): a missing or broken binary is SambaUnavailable too."""
        try:
            return subprocess.run(  # noqa: S603 - a fixed tool, fixed arguments
                [self.binary("smbd"), *args], capture_output=True, text=True, timeout=TOOL_TIMEOUT, check=False
            )
        except subprocess.TimeoutExpired as exc:
            raise SambaUnavailable(f"smbd did not answer within {TOOL_TIMEOUT:.0f} s.") from exc
        except OSError as exc:
            raise SambaUnavailable(f"smbd could not run: {exc.strerror}.") from exc
