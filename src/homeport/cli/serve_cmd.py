"""`homeport serve`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from homeport.cli.options import DEFAULT, HomeOption
from homeport.cli.output import FAILED, INVALID, fail
from homeport.daemon import BuildOptions, NetworkKind
from homeport.selftest.packages import APT_ARCHIVES, DPKG_LOG
from homeport.selftest.service import SelfTestPaths
from homeport.serve import ServeOptions, StartupFailed, run
from homeport.smb.service import SmbMode

DEFAULT_RELEASES = Path("/opt/homeport")


def default_releases(given: Path | None) -> Path | None:
    """Root's installs keep releases in /opt/homeport (where the systemd unit looks); others only when asked."""
    if given is not None:
        return given.absolute()
    return DEFAULT_RELEASES if os.geteuid() == 0 else None


def serve(
    home: HomeOption = DEFAULT,
    bind: Annotated[
        list[str] | None,
        typer.Option("--bind", envvar="HOMEPORT_BIND", help="Address to listen on (repeatable); default all."),
    ] = None,
    http_port: Annotated[
        int | None,
        typer.Option(
            "--http-port",
            envvar="HOMEPORT_HTTP_PORT",
            min=1,
            max=65535,
            help="Plain HTTP port; fixes it (default: 5000, settable in the console).",
        ),
    ] = None,
    https_port: Annotated[
        int | None,
        typer.Option(
            "--https-port",
            envvar="HOMEPORT_HTTPS_PORT",
            min=1,
            max=65535,
            help="HTTPS port; fixes it (default: 5001, settable in the console).",
        ),
    ] = None,
    volume: Annotated[
        list[Path] | None,
        typer.Option("--volume", envvar="HOMEPORT_VOLUMES", help="A data volume's mount point (repeatable)."),
    ] = None,
    network: Annotated[
        str, typer.Option("--network", envvar="HOMEPORT_NETWORK", help="Network backend: virtual, netlink or networkd.")
    ] = "virtual",
    interface: Annotated[
        list[str] | None,
        typer.Option("--interface", envvar="HOMEPORT_INTERFACES", help="An interface Homeport manages (repeatable)."),
    ] = None,
    confirm_seconds: Annotated[
        int, typer.Option("--confirm-seconds", min=10, max=3600, help="Time to confirm a network change.")
    ] = 120,
    presence_seconds: Annotated[
        int,
        typer.Option(
            "--presence-seconds",
            min=2,
            max=120,
            help="Time to confirm a recovery sign-in with a short press of the reset button.",
        ),
    ] = 120,
    resolv_conf: Annotated[
        Path, typer.Option("--resolv-conf", help="Where the netlink backend writes DNS servers.")
    ] = Path("/etc/resolv.conf"),
    discovery: Annotated[
        bool, typer.Option("--discovery/--no-discovery", help="Announce the device on the LAN (mDNS).")
    ] = True,
    button: Annotated[
        str,
        typer.Option(
            "--button",
            envvar="HOMEPORT_BUTTON",
            help="virtual | evdev:/dev/input/eventN[:KEY] | gpio:CHIP:LINE[:active-high]",
        ),
    ] = "virtual",
    buzzer: Annotated[
        str, typer.Option("--buzzer", envvar="HOMEPORT_BUZZER", help="virtual | none | evdev:PATH | gpio:CHIP:LINE")
    ] = "virtual",
    led: Annotated[str, typer.Option("--led", envvar="HOMEPORT_LED", help="virtual | none | sysfs:NAME")] = "virtual",
    smb: Annotated[
        str,
        typer.Option(
            "--smb",
            envvar="HOMEPORT_SMB",
            help="SMB file service: embedded (Homeport's own smbd), system (the host's Samba) or off.",
        ),
    ] = "embedded",
    smb_port: Annotated[
        int,
        typer.Option("--smb-port", envvar="HOMEPORT_SMB_PORT", min=1, max=65535, help="SMB port (default 445)."),
    ] = 445,
    apt_hook: Annotated[
        str,
        typer.Option(
            "--apt-hook",
            envvar="HOMEPORT_APT_HOOK",
            help="Where to write the apt snippet that runs `homeport selftest --after-package-change` after every "
            "dpkg run: a path, `none` (remove Homeport's snippet), or `auto` (/etc/apt/apt.conf.d/80homeport when "
            "root runs Homeport as a systemd service).",
        ),
    ] = "auto",
    dpkg_log: Annotated[
        Path, typer.Option("--dpkg-log", hidden=True, help="dpkg's log, read by the self-test (tests only).")
    ] = DPKG_LOG,
    apt_archives: Annotated[
        Path, typer.Option("--apt-archives", hidden=True, help="apt's package cache (tests only).")
    ] = APT_ARCHIVES,
    releases: Annotated[
        Path | None,
        typer.Option(
            "--releases",
            envvar="HOMEPORT_RELEASES",
            help="Where releases live for updates (default /opt/homeport when run as root; off otherwise).",
        ),
    ] = None,
    trial_seconds: Annotated[
        float,
        typer.Option(
            "--trial-seconds", min=1, max=3600, hidden=True, help="Time an update's trial has to pass (default 120)."
        ),
    ] = 120.0,
    button_time_scale: Annotated[
        float,
        typer.Option(
            "--button-time-scale",
            envvar="HOMEPORT_BUTTON_TIME_SCALE",
            min=0.01,
            max=1.0,
            hidden=True,
            help="Scale the reset gesture's timings (tests only; 1 on a real device).",
        ),
    ] = 1.0,
) -> None:
    """Run the Homeport daemon in the foreground (stop it with Ctrl+C or SIGTERM)."""
    if http_port is not None and http_port == https_port:
        fail("The HTTP and HTTPS ports must differ.", INVALID)
    if network not in ("virtual", "netlink", "networkd"):
        fail(f"Unknown network backend '{network}': choose virtual, netlink or networkd.", INVALID)
    kind: NetworkKind = network  # type: ignore[assignment]
    if smb not in ("embedded", "system", "off"):
        fail(f"Unknown SMB mode '{smb}': choose embedded, system or off.", INVALID)
    if smb_port in (http_port, https_port):
        fail("The SMB port must differ from the console's ports.", INVALID)
    smb_mode: SmbMode = smb  # type: ignore[assignment]
    options = ServeOptions(
        home=home,
        binds=tuple(bind or ()),
        http_port=http_port,
        https_port=https_port,
        build=BuildOptions(
            volumes=tuple(p.absolute() for p in volume or ()),
            network=kind,
            interfaces=tuple(interface or ()),
            confirm_seconds=confirm_seconds,
            presence_seconds=presence_seconds,
            resolv_conf=resolv_conf,
            discovery=discovery,
            button=button,
            buzzer=buzzer,
            led=led,
            button_time_scale=button_time_scale,
            smb=smb_mode,
            smb_port=smb_port,
            smb_binds=tuple(bind or ()),
            selftest=SelfTestPaths(dpkg_log=dpkg_log.absolute(), archives=apt_archives.absolute()),
            console_binds=tuple(bind or ()),
            releases=default_releases(releases),
            trial_seconds=trial_seconds,
        ),
        apt_hook=apt_hook,
    )
    try:
        run(options)
    except StartupFailed as exc:
        fail(f"Homeport did not start. {exc}", FAILED)
