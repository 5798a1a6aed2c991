"""A supervised DHCP client (busybox `udhcpc`): it negotiates and renews leases; Homeport applies them.

udhcpc runs in the foreground with a script of Homeport's that only reports each event as one line on
stdout; the daemon parses those lines and configures the interface itself (netlink). If udhcpc exits, it is
restarted with a growing pause. It dies with the daemon (PR_SET_PDEATHSIG), so a killed daemon leaves no
orphan client behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import shutil
import signal
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import structlog

from homeport.core.atomic import write_atomic
from homeport.core.errors import OperationFailed

_log = structlog.get_logger("homeport.dhcp")

MARKER = "HOMEPORT-DHCP"
SCRIPT = f"""#!/bin/sh
# Written by Homeport: report the DHCP event to the daemon, which configures the interface itself.
printf '{MARKER}\\t%s\\t%s\\t%s\\t%s\\t%s\\t%s\\t%s\\n' "$1" "$ip" "$mask" "$router" "$dns" "$serverid" "$lease"
"""
RESTART_DELAYS = (1.0, 2.0, 4.0, 8.0, 16.0, 30.0)
STOP_TIMEOUT = 5.0


@dataclass(frozen=True)
class DhcpEvent:
    """One udhcpc event: `deconfig`, `bound`, `renew`, `leasefail` or `nak`."""

    interface: str
    kind: str
    address: str = ""  # with prefix
    router: str = ""
    dns: tuple[str, ...] = ()
    server: str = ""
    lease_seconds: int = 0
    at: float = 0.0


def parse_event(interface: str, line: str, now: float) -> DhcpEvent | None:
    parts = line.rstrip("\n").split("\t")
    if len(parts) != 8 or parts[0] != MARKER:
        return None
    _, kind, ip, mask, router, dns, server, lease = parts
    address = f"{ip}/{mask}" if ip and mask.isdigit() else ""
    return DhcpEvent(
        interface=interface,
        kind=kind,
        address=address,
        router=router.split()[0] if router.split() else "",
        dns=tuple(dns.split()),
        server=server,
        lease_seconds=int(lease) if lease.isdigit() else 0,
        at=now,
    )


def _die_with_parent() -> None:
    """In the child, before exec: get SIGTERM when the daemon goes away, however it goes."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def udhcpc_path() -> str:
    found = shutil.which("udhcpc") or shutil.which("busybox")
    if found is None:
        raise OperationFailed("No DHCP client found: install Debian's udhcpc (busybox) package.")
    return found


class DhcpClient:
    """One udhcpc process for one interface, restarted if it dies, stopped (and its lease released) on stop()."""

    def __init__(
        self, interface: str, hostname: str, script_dir: Path, on_event: Callable[[DhcpEvent], Awaitable[None]]
    ) -> None:
        self.interface = interface
        self.hostname = hostname
        self._script = script_dir / "udhcpc-event.sh"
        self._on_event = on_event
        self._process: asyncio.subprocess.Process | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self.restarts = 0

    def _command(self) -> list[str]:
        binary = udhcpc_path()
        prefix = [binary, "udhcpc"] if binary.endswith("busybox") else [binary]
        return [
            *prefix, "-f", "-i", self.interface, "-s", str(self._script),
            "-t", "4", "-T", "1", "-A", "2", "-x", f"hostname:{self.hostname}", "-V", "homeport",
        ]  # fmt: skip

    def start(self) -> None:
        self._script.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        write_atomic(self._script, SCRIPT.encode(), 0o700)
        self._stopping = False
        self._task = asyncio.get_running_loop().create_task(self._supervise(), name=f"dhcp-{self.interface}")

    async def _supervise(self) -> None:
        attempt = 0
        while not self._stopping:
            started = time.monotonic()
            await self._run_once()
            if self._stopping:
                return
            if time.monotonic() - started > 60:
                attempt = 0
            delay = RESTART_DELAYS[min(attempt, len(RESTART_DELAYS) - 1)]
            attempt += 1
            self.restarts += 1
            _log.warning("dhcp client exited; restarting", interface=self.interface, in_seconds=delay)
            await asyncio.sleep(delay)

    async def _run_once(self) -> None:
        self._process = await asyncio.create_subprocess_exec(
            *self._command(),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
            preexec_fn=_die_with_parent,  # only a prctl call, safe before exec
        )
        assert self._process.stdout is not None
        while line := await self._process.stdout.readline():
            event = parse_event(self.interface, line.decode(errors="replace"), time.time())
            if event is not None:
                try:
                    await self._on_event(event)
                except Exception:
                    _log.exception("applying a dhcp event failed", interface=self.interface, dhcp_event=event.kind)
        await self._process.wait()

    def renew(self) -> None:
        if self._process is None or self._process.returncode is not None:
            raise OperationFailed(f"The DHCP client on {self.interface} is not running; it restarts on its own.")
        self._process.send_signal(signal.SIGUSR1)

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    async def stop(self, release: bool) -> None:
        """Stop the client. `release` tells the server the address is free (when leaving DHCP); a daemon that
        merely stops keeps its lease, so the box stays reachable and gets the same address next time."""
        self._stopping = True
        process = self._process
        if process is not None and process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                if release:
                    process.send_signal(signal.SIGUSR2)  # udhcpc: release the lease
                    await asyncio.sleep(0.05)  # udhcpc reads its signals in order; a margin all the same
                process.terminate()
            try:
                await asyncio.wait_for(process.wait(), STOP_TIMEOUT)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                await process.wait()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
