"""The `networkd` backend: renders `.network` files for systemd-networkd, writes only those that changed
(atomically), removes Homeport's files for interfaces it no longer manages, then `networkctl reload`."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

import structlog

from homeport.core.atomic import write_atomic
from homeport.core.errors import Conflict, OperationFailed
from homeport.network.backends import LiveInterface, host_view
from homeport.network.interfaces import InterfaceReader
from homeport.network.model import NetworkConfig
from homeport.network.render import render

_log = structlog.get_logger("homeport.network")

DEFAULT_DIRECTORY = Path("/etc/systemd/network")


class NetworkdBackend:
    kind = "networkd"
    applies_to_host = True

    def __init__(
        self,
        managed: list[str],
        reader: InterfaceReader,
        directory: Path = DEFAULT_DIRECTORY,
        networkctl: tuple[str, ...] = ("networkctl",),
    ) -> None:
        self._managed = managed
        self._reader = reader
        self.directory = directory
        self._networkctl = networkctl

    async def apply(self, config: NetworkConfig) -> None:
        changed = await asyncio.to_thread(self.write_files, config)
        if changed:
            await asyncio.to_thread(self._reload)

    def write_files(self, config: NetworkConfig) -> list[str]:
        """Write what differs and remove what is stale; returns the names of files written or removed."""
        self.directory.mkdir(parents=True, exist_ok=True)
        wanted = render(config)
        changed = []
        for name, text in wanted.items():
            path = self.directory / name
            try:
                if path.read_text() == text:
                    continue
            except OSError:
                pass
            write_atomic(path, text.encode(), 0o644)
            changed.append(name)
        for stale in self.directory.glob("10-homeport-*.network"):
            if stale.name not in wanted:
                stale.unlink()
                changed.append(stale.name)
        return changed

    def _reload(self) -> None:
        try:
            subprocess.run([*self._networkctl, "reload"], capture_output=True, text=True, timeout=30, check=True)  # noqa: S603
        except (OSError, subprocess.SubprocessError) as exc:
            raise OperationFailed(
                f"The settings were written to {self.directory}, but `networkctl reload` failed ({exc}). "
                "Is systemd-networkd running?"
            ) from exc

    async def live(self) -> list[LiveInterface]:
        return await asyncio.to_thread(host_view, self._reader, self._managed)

    async def renew(self, interface: str) -> None:
        try:
            await asyncio.to_thread(
                subprocess.run, [*self._networkctl, "renew", interface], capture_output=True, timeout=30, check=True
            )
        except (OSError, subprocess.SubprocessError) as exc:
            raise Conflict(f"networkctl could not renew the lease on {interface}: {exc}", code="renew_failed") from exc

    async def close(self) -> None:
        return None
