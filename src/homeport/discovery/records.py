"""The DNS-SD records a Homeport publishes, and how a finder reads them back.

Service types: `_homeport._tcp` (with every TXT key), `_https._tcp` and `_http._tcp` (the console) and
`_device-info._tcp` (model, as other browsers expect); `_smb._tcp` while the file service answers, and `_adisk._tcp`
for Time Machine shares (the TXT layout macOS looks for). TXT keys: vendor, model, serial, mac, version, state,
https_port. None of it is secret; nothing received over mDNS changes anything on the device.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass

from zeroconf import ServiceInfo

from homeport.discovery.interfaces import Announcement

HOMEPORT_TYPE = "_homeport._tcp.local."
HTTPS_TYPE = "_https._tcp.local."
HTTP_TYPE = "_http._tcp.local."
DEVICE_INFO_TYPE = "_device-info._tcp.local."
SMB_TYPE = "_smb._tcp.local."
ADISK_TYPE = "_adisk._tcp.local."
VENDOR = "homeport"

NEXT_STEP = {
    "ready": "open the console and sign in",
    "recovery": (
        "sign in as an administrator with an empty password, press the reset button briefly, then set a new password"
    ),
    "not-installed": "open the console and run the setup wizard",
    "migratable": "open the console and choose: restore the configuration found, or start fresh",
    "damaged": "the configuration could not be read: run `homeport store start-fresh` on the device",
}


def txt(announcement: Announcement) -> dict[str, str]:
    return {
        "vendor": VENDOR,
        "model": announcement.model,
        "serial": announcement.serial,
        "mac": announcement.mac,
        "version": announcement.version,
        "state": announcement.state,
        "https_port": str(announcement.https_port),
    }


def service_infos(announcement: Announcement, host_label: str | None = None) -> list[ServiceInfo]:
    """The device's four services, on the host `<host_label>.local` (its name unless that was taken)."""
    host = f"{host_label or announcement.name}.local."
    addresses = [socket.inet_aton(a) for a in announcement.addresses]
    name = announcement.name

    def info(kind: str, port: int, properties: dict[str, str]) -> ServiceInfo:
        return ServiceInfo(kind, f"{name}.{kind}", port=port, properties=properties, server=host, addresses=addresses)

    infos = [
        info(HOMEPORT_TYPE, announcement.https_port, txt(announcement)),
        info(HTTPS_TYPE, announcement.https_port, {"path": "/"}),
        info(HTTP_TYPE, announcement.http_port, {"path": "/"}),
        info(DEVICE_INFO_TYPE, 0, {"model": announcement.model, "vendor": VENDOR}),
    ]
    if announcement.smb_port:
        infos.append(info(SMB_TYPE, announcement.smb_port, {}))
        if announcement.time_machine_shares:
            disks = {f"dk{n}": f"adVN={share},adVF=0x82" for n, share in enumerate(announcement.time_machine_shares)}
            infos.append(info(ADISK_TYPE, 9, {"sys": "waMa=0,adVF=0x100", **disks}))
    return infos


@dataclass(frozen=True)
class Sighting:
    """A Homeport seen on the LAN."""

    name: str
    state: str
    addresses: tuple[str, ...]
    https_port: int
    model: str
    serial: str
    mac: str
    version: str

    @property
    def console_url(self) -> str:
        host = self.addresses[0] if self.addresses else f"{self.name}.local"
        return f"https://{host}:{self.https_port}/"

    @property
    def next_step(self) -> str:
        return NEXT_STEP.get(self.state, "open the console")

    def as_dict(self) -> dict[str, object]:
        return {**self.__dict__, "addresses": list(self.addresses), "console_url": self.console_url,
                "next_step": self.next_step}  # fmt: skip


def sighting(info: ServiceInfo) -> Sighting | None:
    """Read a `_homeport._tcp` record; None if it is not a Homeport (or is malformed)."""
    properties = {
        (k.decode(errors="replace") if isinstance(k, bytes) else str(k)): (
            v.decode(errors="replace") if isinstance(v, bytes) else ""
        )
        for k, v in (info.properties or {}).items()
    }
    if properties.get("vendor") != VENDOR:
        return None
    addresses = []
    for raw in info.addresses:
        try:
            addresses.append(str(ipaddress.ip_address(raw)))
        except ValueError:
            continue
    port = properties.get("https_port", "")
    return Sighting(
        name=info.name.removesuffix("." + info.type).removesuffix(info.type).rstrip("."),
        state=properties.get("state", "unknown"),
        addresses=tuple(
            sorted(addresses, key=lambda a: (ipaddress.ip_address(a).version, int(ipaddress.ip_address(a))))
        ),
        https_port=int(port) if port.isdigit() else int(info.port or 0),
        model=properties.get("model", ""),
        serial=properties.get("serial", ""),
        mac=properties.get("mac", ""),
        version=properties.get("version", ""),
    )
