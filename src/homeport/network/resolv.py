"""Writes the resolver configuration (nameserver lines) for the netlink backend."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from homeport.core.atomic import write_atomic

HEADER = "# Written by Homeport from its network settings and DHCP leases.\n"


def render_resolv_conf(servers: Iterable[str]) -> str:
    unique = list(dict.fromkeys(servers))[:3]  # the resolver reads at most three
    return HEADER + "".join(f"nameserver {server}\n" for server in unique)


def write_resolv_conf(path: Path, servers: Iterable[str]) -> bool:
    """Write when changed; returns whether it wrote. A bind-mounted file (as `ip netns exec` provides, and as
    containers do) cannot be replaced by rename, so it is rewritten in place."""
    text = render_resolv_conf(servers)
    try:
        if path.read_text() == text:
            return False
    except OSError:
        pass
    if os.path.ismount(path):
        with path.open("w") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
    else:
        write_atomic(path, text.encode(), 0o644)
    return True
