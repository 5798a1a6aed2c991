"""Homeport's smb.conf, rendered from what the store says: a pure function, so the same inputs always give the same
file (golden-file tests pin it). Every security-relevant parameter is set explicitly, whatever Samba's defaults
become; nothing an administrator types reaches the file except checked names, paths and descriptions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from homeport.smb.layout import SambaLayout
from homeport.smb.settings import SmbSettings

MIN_PROTOCOL = {"SMB2": "SMB2_02", "SMB3": "SMB3_00"}
SIGNING = {"default": "default", "required": "mandatory"}
RECYCLE_FOLDER = "#recycle"
APPLE_MODULES = ("catia", "fruit", "streams_xattr")


@dataclass(frozen=True)
class ShareSection:
    name: str
    path: str
    comment: str
    browseable: bool
    readers: tuple[str, ...]
    writers: tuple[str, ...]
    recycle_bin: bool
    time_machine: bool
    time_machine_limit_gb: int | None
    available: bool


@dataclass(frozen=True)
class ServerSection:
    netbios_name: str
    server_string: str
    port: int
    binds: tuple[str, ...]  # empty: every address
    denied: tuple[str, ...] = ()  # addresses and networks auto block refuses (the console's block list)


def netbios_name(device_name: str) -> str:
    """The device's name as NetBIOS takes it: up to 15 letters, digits and '-', upper case."""
    kept = "".join(c for c in device_name.upper() if c.isascii() and (c.isalnum() or c == "-"))
    return (kept or "HOMEPORT")[:15]


def _global(layout: SambaLayout, settings: SmbSettings, server: ServerSection) -> list[str]:
    folder = layout.folder
    lines = [
        "[global]",
        "server role = standalone server",
        f"workgroup = {settings.workgroup}",
        f"netbios name = {server.netbios_name}",
        f"server string = {server.server_string}",
        # Everything Samba keeps lives in Homeport's home.
        f"private dir = {folder('private')}",
        f"lock directory = {folder('lock')}",
        f"state directory = {folder('state')}",
        f"cache directory = {folder('cache')}",
        f"pid directory = {folder('pid')}",
        f"ncalrpc dir = {folder('ncalrpc')}",
        f"passdb backend = tdbsam:{layout.passdb}",
        f"log file = {layout.log_file}",
        "max log size = 5000",
        f"log level = 1 auth_json_audit:3@{layout.auth_log}",
        f"smb ports = {server.port}",
        "disable netbios = yes",
    ]
    if server.binds:
        lines += [f"interfaces = {' '.join(server.binds)}", "bind interfaces only = yes"]
    if server.denied:
        lines.append(f"hosts deny = {' '.join(server.denied)}")
    lines += [
        # Secure defaults, set explicitly.
        f"server min protocol = {MIN_PROTOCOL[settings.min_protocol]}",
        # NTLMv2 only: this refuses NTLMv1 and LM too. ("lanman auth" is deprecated: once Samba drops it, testparm
        # would refuse the whole file.)
        "ntlm auth = ntlmv2-only",
        "map to guest = Never",
        "restrict anonymous = 2",
        f"server signing = {SIGNING[settings.signing]}",
        f"server smb encrypt = {settings.encryption}",
        # Only what Homeport renders is shared: no printers, no user shares, no registry or included files.
        "load printers = no",
        "printing = bsd",
        "printcap name = /dev/null",
        "disable spoolss = yes",
        "usershare max shares = 0",
        "registry shares = no",
        "wide links = no",
        "allow insecure wide links = no",
        # Passwords are Homeport's alone: SMB never changes them, and no PAM or Unix password is involved.
        "unix password sync = no",
        "pam password change = no",
        "obey pam restrictions = no",
        "guest ok = no",
        # A crashing smbd holds NT hashes (password-equivalent) in memory: no core file on the disk.
        "enable core files = no",
        # The owner keeps the x bit Samba maps the archive attribute to: only then does the owner get full control
        # (a client asking for all rights, GENERIC_ALL, on its own new file is otherwise refused).
        "create mask = 0760",
        "directory mask = 2770",
        # For Time Machine shares (vfs_fruit); harmless for the others.
        "fruit:metadata = stream",
        "fruit:model = MacSamba",
    ]
    return lines


def _share(section: ShareSection, apple: bool) -> list[str]:
    lines = [
        f"[{section.name}]",
        f"path = {section.path}",
        f"comment = {section.comment}" if section.comment else "comment =",
        f"browseable = {'yes' if section.browseable else 'no'}",
        "guest ok = no",
        # Read-only unless listed: "read only = no" would make the write list restrict nothing.
        "read only = yes",
    ]
    if section.readers and section.available:
        lines.append(f"valid users = {' '.join(section.readers)}")
        lines.append(f"write list = {' '.join(section.writers)}" if section.writers else "write list =")
    else:
        # Nobody may use it (or its folder is missing): the share is off, never open to everyone.
        lines.append("available = no")
    modules = []
    if apple:
        # Once one share speaks Apple's extensions (Time Machine), every share must: macOS keeps what the first
        # share it connects to told it for the whole server.
        modules += list(APPLE_MODULES)
    if section.recycle_bin:
        modules.append("recycle")
    lines.append(f"vfs objects = {' '.join(modules)}" if modules else "vfs objects =")
    if section.recycle_bin:
        lines += [
            f"recycle:repository = {RECYCLE_FOLDER}",
            "recycle:keeptree = yes",
            "recycle:versions = yes",
            "recycle:touch = yes",
            "recycle:directory_mode = 0770",
        ]
    if section.time_machine:
        lines.append("fruit:time machine = yes")
        if section.time_machine_limit_gb:
            lines.append(f"fruit:time machine max size = {section.time_machine_limit_gb}G")
    return lines


def render(layout: SambaLayout, settings: SmbSettings, server: ServerSection, shares: Sequence[ShareSection]) -> str:
    apple = any(s.time_machine for s in shares)
    ordered = sorted(shares, key=lambda s: s.name.lower())
    blocks = [_global(layout, settings, server)] + [_share(s, apple) for s in ordered]
    header = "# Written by Homeport from its configuration store; edits here are replaced. Change it in the console.\n"
    return header + "\n".join("\n".join(block[:1] + [f"\t{line}" for line in block[1:]]) + "\n" for block in blocks)


def modules_needed(shares: Sequence[ShareSection]) -> set[str]:
    """The VFS modules the rendered shares load (testparm does not check that they exist)."""
    needed: set[str] = set(APPLE_MODULES) if any(s.time_machine for s in shares) else set()
    for section in shares:
        if section.recycle_bin:
            needed.add("recycle")
    return needed
