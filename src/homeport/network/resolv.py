"""Writes the resolver configuration (nameserver lines) for the netlink backend."""

from __future__ import annotations

import errno
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
    containers do) cannot be replaced by rename (EBUSY), so it is then rewritten in place."""
    text = render_resolv_conf(servers)
    try:
        if path.read_text() == text:
            return False
    except OSError:
        pass
    try:
        write_atomic(path, text.encode(), 0o644)
    except OSError as exc:
        if exc.errno not in (errno.EBUSY, errno.EXDEV):
            raise
        with path.open("w") as out:  # a bind-mounted file: rewrite it where it is
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
    return True
