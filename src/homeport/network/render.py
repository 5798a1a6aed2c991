"""NetworkConfig -> systemd-networkd `.network` files. Pure: the same settings always give the same text."""

from __future__ import annotations

from homeport.network.model import InterfaceConfig, NetworkConfig

HEADER = "# Written by Homeport from its network settings; edits here are replaced on the next change."


def file_name(interface: InterfaceConfig) -> str:
    return f"10-homeport-{interface.name}.network"


def render_interface(interface: InterfaceConfig) -> str:
    lines = [HEADER, "[Match]", f"Name={interface.name}"]
    if interface.mac:
        lines.append(f"MACAddress={interface.mac}")
    lines += ["", "[Link]", f"MTUBytes={interface.mtu}", "", "[Network]"]
    if interface.mode == "dhcp":
        lines.append("DHCP=ipv4")
    else:
        lines.append("DHCP=no")
        if interface.address is not None:
            lines.append(f"Address={interface.address}")
        if interface.gateway is not None:
            lines.append(f"Gateway={interface.gateway}")
    lines += [f"DNS={server}" for server in interface.dns]
    lines.append("IPv6AcceptRA=yes")
    if interface.mode == "dhcp":
        # Static DNS servers, when given, replace those the DHCP server offers.
        lines += ["", "[DHCPv4]", f"UseDNS={'no' if interface.dns else 'yes'}", "UseHostname=no", "SendHostname=yes"]
    return "\n".join(lines) + "\n"


def render(config: NetworkConfig) -> dict[str, str]:
    """File name -> content, one file per managed interface."""
    return {file_name(i): render_interface(i) for i in config.interfaces}
