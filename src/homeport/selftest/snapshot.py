"""What runs now, kept so that a later self-test (or an update's trial) can say whether it runs again."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from homeport.services import Services


@dataclass(frozen=True)
class Snapshot:
    """The services that ran at one moment; JSON-serialisable through `as_dict` / `from_dict`."""

    smb_running: bool  # the SMB service answered on its port
    smb_port: int | None  # None when SMB is off (`--smb off`)
    mdns_announcing: bool  # the mDNS advertiser had registered the device's records
    network_snapshot_id: int | None  # the applied network configuration (None: the defaults, never saved)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Snapshot:
        port, network = data.get("smb_port"), data.get("network_snapshot_id")
        return cls(
            smb_running=bool(data.get("smb_running")),
            smb_port=None if port is None else int(port),
            mdns_announcing=bool(data.get("mdns_announcing")),
            network_snapshot_id=None if network is None else int(network),
        )


def mdns_announcing(services: Services) -> bool:
    """The advertiser runs and its records are registered (it forgets them when an announcement fails)."""
    advertiser = services.advertiser
    return advertiser is not None and advertiser.current is not None and advertiser.zeroconf is not None


def take_snapshot(services: Services) -> Snapshot:
    """Blocking for at most half a second (a connect to the SMB port): call it off the event loop if that matters."""
    files = services.files
    return Snapshot(
        smb_running=files.running(),
        smb_port=None if files.mode == "off" else files.port,
        mdns_announcing=mdns_announcing(services),
        network_snapshot_id=services.network.current_id(),
    )
