"""The one path a new smb.conf takes: render -> testparm -> share folders and VFS modules exist (testparm checks
neither) -> atomic swap -> smbd reloads. A failed check changes nothing and says why."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from homeport.core.atomic import write_atomic
from homeport.smb.config import ShareSection, modules_needed
from homeport.smb.tools import SambaTools, SambaUnavailable


class ConfigRefused(Exception):
    """The new configuration failed a check; the running one is unchanged."""


@dataclass(frozen=True)
class Applied:
    changed: bool
    reloaded: bool
    closed: tuple[str, ...] = ()  # shares whose connections were ended (their access changed)


def sections(text: str) -> dict[str, str]:
    """A rendered smb.conf's sections by name (the text of each)."""
    found: dict[str, str] = {}
    name = ""
    for line in text.splitlines():
        if line.startswith("[") and line.endswith("]"):
            name = line[1:-1]
            found[name] = ""
        elif name:
            found[name] += line + "\n"
    return found


def check_shares(shares: Sequence[ShareSection], modules_folder: Path) -> list[str]:
    problems = [
        f"the folder of '{s.name}' ({s.path}) does not exist"
        for s in shares
        if s.available and not Path(s.path).is_dir()
    ]
    missing = sorted(m for m in modules_needed(shares) if not (modules_folder / "vfs" / f"{m}.so").exists())
    if missing:
        problems.append(
            f"Samba's VFS module(s) {', '.join(missing)} are not installed (Debian package 'samba-vfs-modules')"
        )
    return problems


def apply_config(tools: SambaTools, text: str, shares: Sequence[ShareSection], *, running: bool) -> Applied:
    """Install `text` as smb.conf if it differs from the current one and passes every check."""
    conf = tools.layout.conf
    before = ""
    with contextlib.suppress(FileNotFoundError):
        before = conf.read_text()
        if before == text:
            return Applied(changed=False, reloaded=False)
    candidate = conf.with_name(f".smb.conf.{os.getpid()}.new")
    write_atomic(candidate, text.encode(), mode=0o644)
    try:
        refused = tools.testparm(candidate)
        if refused is not None:
            raise ConfigRefused(f"Samba refused the new configuration: {refused}")
        problems = check_shares(shares, tools.modules_folder())
        if problems:
            raise ConfigRefused("The new configuration was not applied: " + "; ".join(problems) + ".")
        os.replace(candidate, conf)
    finally:
        with contextlib.suppress(FileNotFoundError):
            candidate.unlink()
    reloaded, closed = False, []
    if running:
        try:
            reloaded = tools.reload()
            # A reload does not reach connections already open: a share whose access (or anything) changed, or
            # that went, is closed for everyone on it; clients reconnect under the new rules.
            old, new = sections(before), sections(text)
            for name in sorted(n for n in old if n != "global" and old[n] != new.get(n)):
                if tools.run("smbcontrol", "smbd", "close-share", name).code == 0:
                    closed.append(name)
        except SambaUnavailable:
            reloaded = False
    return Applied(changed=True, reloaded=reloaded, closed=tuple(closed))
