"""The checks, each one question with a yes or no and a sentence that says why.

A check that does not apply (SMB off, discovery off) passes and says so: the result lists every check, always in
the same order, so a page or a script can compare runs.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import structlog

from homeport.accounts.guardrails import sign_in_problem
from homeport.audit.log import SYSTEM
from homeport.selftest.canary import sign_in_once
from homeport.selftest.snapshot import Snapshot, mdns_announcing
from homeport.smb.server import EmbeddedSmbd
from homeport.smb.tools import SambaUnavailable

if TYPE_CHECKING:
    from homeport.services import Services

_log = structlog.get_logger("homeport.selftest")

SMBD_START_SECONDS = 15.0
RESTART_REASON = "a system package changed: the self-test starts the smbd now installed"
TITLES = {
    "sign_in": "Console sign-in",
    "smb_config": "Samba's configuration",
    "smbd": "SMB server",
    "smb_canary": "SMB sign-in",
    "smb_drift": "Samba's accounts",
    "mdns": "LAN discovery (mDNS)",
    "network": "Network settings",
}


@dataclass(frozen=True)
class CheckResult:
    name: str  # a stable machine name (TITLES has the words)
    ok: bool
    detail: str  # a sentence for a person; never a secret

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CheckResult:
        return cls(str(data["name"]), bool(data["ok"]), str(data.get("detail", "")))


async def run_checks(services: Services, before: Snapshot | None, *, restart_smb: bool = False) -> list[CheckResult]:
    """Every check, in order. `before`: what ran earlier (take_snapshot), so a service that ran then must run now
    and the network must be the one applied then; None checks what the configuration asks for. `restart_smb`:
    restart the embedded smbd first, so the binary on disk now (a package just changed it) is the one tested."""
    steps: list[tuple[str, Callable[[], Awaitable[CheckResult]]]] = [
        ("sign_in", lambda: asyncio.to_thread(_sign_in, services)),
        ("smb_config", lambda: asyncio.to_thread(_smb_config, services)),
        ("smbd", lambda: asyncio.to_thread(_smbd, services, before, restart_smb)),
        ("smb_canary", lambda: asyncio.to_thread(_smb_canary, services)),
        ("smb_drift", lambda: asyncio.to_thread(_smb_drift, services)),
        ("mdns", lambda: _mdns(services, before)),
        ("network", lambda: asyncio.to_thread(_network, services, before)),
    ]
    results = []
    for name, step in steps:
        try:
            results.append(await step())
        except Exception as exc:  # a check that cannot run is a failed check, said in words
            _log.exception("a self-test check could not run", check=name)
            results.append(CheckResult(name, False, f"The check could not run: {exc}"))
    return results


def _sign_in(services: Services) -> CheckResult:
    if services.device.state() in ("not-installed", "damaged"):
        return CheckResult("sign_in", True, f"Not checked: the device is '{services.device.state()}'.")
    with services.db.read() as conn:
        problem = sign_in_problem(conn)
    if problem is not None:
        return CheckResult("sign_in", False, f"Nobody could sign in to the console: {problem}.")
    return CheckResult("sign_in", True, "An enabled administrator has a password this version can verify.")


def _smb_off(services: Services, name: str) -> CheckResult | None:
    if services.files.mode == "off":
        return CheckResult(name, True, "Not checked: SMB is off (homeport serve --smb off).")
    return None


def _smb_config(services: Services) -> CheckResult:
    files = services.files
    if (off := _smb_off(services, "smb_config")) is not None:
        return off
    conf = files.layout.conf
    if not conf.exists():
        return CheckResult("smb_config", False, f"Homeport's smb.conf ({conf}) has not been written.")
    try:
        refused = files.tools.testparm(conf)
    except SambaUnavailable as exc:
        return CheckResult("smb_config", False, f"testparm could not check it: {exc}")
    if refused is not None:
        return CheckResult("smb_config", False, f"Samba's testparm refuses {conf}: {refused}")
    if files.health.config_error:
        return CheckResult("smb_config", False, f"The last change was not applied: {files.health.config_error}")
    return CheckResult("smb_config", True, f"testparm accepts {conf}.")


def _smb_moved(services: Services, before: Snapshot | None) -> CheckResult | None:
    """What ran before and does not now, or elsewhere."""
    files = services.files
    if before is None or not before.smb_running:
        return None
    if files.mode == "off":
        return CheckResult("smbd", False, f"SMB ran before (port {before.smb_port}); now it is off.")
    if before.smb_port != files.port:
        return CheckResult("smbd", False, f"SMB listened on port {before.smb_port} before, now on {files.port}.")
    return None


def _smbd(services: Services, before: Snapshot | None, restart: bool) -> CheckResult:
    files = services.files
    if (found := _smb_moved(services, before) or _smb_off(services, "smbd")) is not None:
        return found
    if not files.settings().enabled and not (before is not None and before.smb_running):
        return CheckResult("smbd", True, "Not checked: SMB is turned off in the file service settings.")
    if files.server is None:  # the host's own smbd (`--smb system`)
        if files.running():
            return CheckResult("smbd", True, "The host's smbd answers on Homeport's configuration.")
        return CheckResult("smbd", False, "The host's smbd does not answer (systemctl status smbd says why).")
    return _embedded_smbd(files.server, files.port, restart)


def _embedded_smbd(server: EmbeddedSmbd, port: int, restart: bool) -> CheckResult:
    restarted = restart and server.state().running
    if restarted:
        server.restart(RESTART_REASON)
    deadline = time.monotonic() + SMBD_START_SECONDS
    while time.monotonic() < deadline:
        if server.running():
            return CheckResult("smbd", True, f"smbd runs and answers on port {port}.")
        state = server.state()
        if state.pid is None and not (restarted and state.last_exit.endswith(RESTART_REASON)):
            break  # stopped, or it started and stopped again (the supervisor is backing off): no use waiting
        time.sleep(0.1)
    why = server.state().last_exit or "it did not answer"
    return CheckResult("smbd", False, f"smbd does not answer on port {port}: {why}.")


def _smb_canary(services: Services) -> CheckResult:
    files = services.files
    if (off := _smb_off(services, "smb_canary")) is not None:
        return off
    if not files.settings().enabled:
        return CheckResult("smb_canary", True, "Not checked: SMB is turned off in the file service settings.")
    if not files.running():
        return CheckResult("smb_canary", False, "Not tried: smbd is not running, so nobody can sign in over SMB.")
    outcome = sign_in_once(files)
    services.audit.record_now(
        "system.selftest_canary",
        SYSTEM,
        target=outcome.account,
        outcome="success" if outcome.ok else "failure",
        detail=outcome.detail,
    )
    return CheckResult("smb_canary", outcome.ok, outcome.detail)


def _smb_drift(services: Services) -> CheckResult:
    if (off := _smb_off(services, "smb_drift")) is not None:
        return off
    result = services.files.check(repair=False)
    if result.error:
        return CheckResult("smb_drift", False, f"Samba's accounts could not be read: {result.error}")
    if result.drift.any:
        return CheckResult("smb_drift", False, "Samba's accounts differ from Homeport's: "
                           + "; ".join(result.drift.sentences()) + ".")  # fmt: skip
    return CheckResult("smb_drift", True, "Samba's accounts are the ones Homeport keeps.")


async def _mdns(services: Services, before: Snapshot | None) -> CheckResult:
    if before is not None and not before.mdns_announcing:
        return CheckResult("mdns", True, "Not checked: the device was not announcing before either.")
    if services.advertiser is None:
        if before is not None:
            return CheckResult("mdns", False, "The device was announced on the LAN before; now discovery is off.")
        return CheckResult("mdns", True, "Not checked: LAN discovery is off (homeport serve --no-discovery).")
    if mdns_announcing(services):
        return CheckResult("mdns", True, "The device is announced on the LAN.")
    return CheckResult("mdns", False, "The device is not announced on the LAN (no address, or mDNS failed).")


def _network(services: Services, before: Snapshot | None) -> CheckResult:
    now = services.network.current_id()
    said = "the defaults" if now is None else f"configuration #{now}"
    if before is None or before.network_snapshot_id == now:
        return CheckResult("network", True, f"The network settings applied are {said}.")
    was = "the defaults" if before.network_snapshot_id is None else f"#{before.network_snapshot_id}"
    return CheckResult("network", False, f"The network settings changed: {said} is applied, {was} was before.")
