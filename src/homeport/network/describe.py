"""Network settings in words: what a snapshot holds, and what restoring it would change."""

from __future__ import annotations

from homeport.network.model import InterfaceConfig, NetworkConfig


def interface_words(interface: InterfaceConfig) -> str:
    if interface.mode != "static":
        how = "DHCP"
    else:
        how = f"{interface.address}" + (f" via {interface.gateway}" if interface.gateway else "")
    dns = f", DNS {' '.join(str(d) for d in interface.dns)}" if interface.dns else ""
    return f"{interface.name}: {how}{dns}, MTU {interface.mtu}"


def describe(config: NetworkConfig) -> str:
    """One line, without the name: `eth0: DHCP, MTU 1500; ports 5000/5001`."""
    parts = [interface_words(i) for i in config.interfaces]
    return "; ".join([*parts, f"ports {config.web.http}/{config.web.https}"])


def differences(now: NetworkConfig, then: NetworkConfig) -> list[str]:
    """What would change if `then` replaced `now`, one sentence each (empty: nothing)."""
    found: list[str] = []
    if now.hostname != then.hostname:
        found.append(f"Device name: {now.hostname} → {then.hostname}")
    names = sorted({i.name for i in now.interfaces} | {i.name for i in then.interfaces})
    for name in names:
        before, after = now.interface(name), then.interface(name)
        if before != after:
            found.append(
                f"{interface_words(before) if before else name + ': not set'} → "
                f"{interface_words(after).removeprefix(name + ': ') if after else 'not set'}"
            )
    if now.web != then.web:
        found.append(f"Console ports: {now.web.http}/{now.web.https} → {then.web.http}/{then.web.https}")
    return found
