"""`homeport network show|set|snapshots|restore|renew`."""

from __future__ import annotations

import datetime
from typing import Annotated, Any

import typer

from homeport.cli.client import DaemonClient
from homeport.cli.options import DEFAULT, HomeOption, JsonOption
from homeport.cli.output import INVALID, NOT_FOUND, emit_json, fail, say, table

network_app = typer.Typer(help="Network settings and their snapshots.", no_args_is_help=True)


def _when(timestamp: float) -> str:
    return datetime.datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M:%S")


@network_app.command("show")
def show(home: HomeOption = DEFAULT, as_json: JsonOption = False) -> None:
    """The settings, and what the interfaces have now (addresses, link, DHCP leases)."""
    with DaemonClient(home, as_json=as_json) as daemon:
        data = daemon.call("GET", "/network")
    if as_json:
        emit_json(data)
        return
    config = data["config"]
    fixed = " (fixed by the daemon's command line)" if data["ports_fixed"] else ""
    say(f"Host name: {config['hostname']}   backend: {data['backend']}   ports: "
        f"{config['web']['http']}/{config['web']['https']}{fixed}")  # fmt: skip
    live = {i["name"]: i for i in data["live"]}
    rows = []
    for i in config["interfaces"]:
        now = live.get(i["name"], {})
        lease = now.get("lease") or {}
        setting = "DHCP" if i["mode"] == "dhcp" else f"{i['address']} via {i['gateway'] or '-'}"
        rows.append([
            i["name"], setting, str(i["mtu"]), ", ".join(i["dns"]) or "-", "\n".join(now.get("addresses", [])) or "-",
            "up" if now.get("up") else "down",
            f"{lease['address']} ({lease['lease_seconds']} s)" if lease else "-",
        ])  # fmt: skip
    table("Interfaces", ["Name", "Setting", "MTU", "DNS", "Now", "Link", "Lease"], rows)
    pending = data["pending"]
    if pending:
        say(f"A change (#{pending['snapshot']}) waits for confirmation until {_when(pending['deadline'])}.")


def _edit(config: dict[str, Any], interface: str | None, changes: dict[str, Any], as_json: bool) -> dict[str, Any]:
    body = {k: config[k] for k in ("hostname", "interfaces", "web")}
    body["interfaces"] = [{k: v for k, v in i.items() if k != "mac"} for i in config["interfaces"]]
    if interface is None:
        if any(v is not None for v in changes.values()):
            fail("Name the interface these settings are for with --interface.", INVALID, as_json=as_json)
        return body
    target = next((i for i in body["interfaces"] if i["name"] == interface), None)
    if target is None:
        managed = ", ".join(i["name"] for i in body["interfaces"]) or "none"
        fail(f"Homeport does not manage an interface named {interface} (it manages: {managed}).", NOT_FOUND,
             as_json=as_json)  # fmt: skip
    for key, value in changes.items():
        if value is not None:
            target[key] = value
    if target["mode"] == "dhcp":
        target["address"] = target["gateway"] = None
    return body


@network_app.command("set")
def set_(
    home: HomeOption = DEFAULT,
    hostname: Annotated[str | None, typer.Option("--hostname", help="The device's name on the LAN.")] = None,
    interface: Annotated[str | None, typer.Option("--interface", "-i", help="The interface to change.")] = None,
    dhcp: Annotated[bool, typer.Option("--dhcp", help="Get the address from DHCP.")] = False,
    static: Annotated[
        str | None, typer.Option("--static", help="Static address with prefix, e.g. 192.168.1.20/24.")
    ] = None,
    gateway: Annotated[str | None, typer.Option("--gateway", help="Default gateway (with --static).")] = None,
    dns: Annotated[list[str] | None, typer.Option("--dns", help="A DNS server (repeatable).")] = None,
    mtu: Annotated[int | None, typer.Option("--mtu", help="The interface's MTU (576-9216; 1500 is usual).")] = None,
    http_port: Annotated[int | None, typer.Option("--http-port", help="The console's HTTP port.")] = None,
    https_port: Annotated[int | None, typer.Option("--https-port", help="The console's HTTPS port.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Change the settings; what is not given stays as it is. Applied at once (root on the machine)."""
    if dhcp and static:
        fail("Choose --dhcp or --static, not both.", INVALID, as_json=as_json)
    mode = "dhcp" if dhcp else ("static" if static else None)
    changes = {"mode": mode, "address": static, "gateway": gateway, "dns": dns, "mtu": mtu}
    with DaemonClient(home, as_json=as_json) as daemon:
        body = _edit(daemon.call("GET", "/network")["config"], interface, changes, as_json)
        if hostname is not None:
            body["hostname"] = hostname
        if http_port is not None:
            body["web"]["http"] = http_port
        if https_port is not None:
            body["web"]["https"] = https_port
        result = daemon.call("PUT", "/network", json=body)
    emit_json(result) if as_json else say(f"Applied as snapshot #{result['snapshot']}.")


@network_app.command("snapshots")
def list_snapshots(home: HomeOption = DEFAULT, as_json: JsonOption = False) -> None:
    """Every applied configuration, newest first."""
    with DaemonClient(home, as_json=as_json) as daemon:
        found = daemon.call("GET", "/network/snapshots")
    if as_json:
        emit_json(found)
        return
    rows = []
    for s in found:
        summary = "; ".join(
            f"{i['name']}: {'DHCP' if i['mode'] == 'dhcp' else i['address']}" for i in s["config"]["interfaces"]
        )
        rows.append([str(s["id"]), _when(s["at"]), s["actor"], s["reason"], summary])
    table("Network snapshots", ["#", "When", "Who", "Why", "Settings"], rows)


@network_app.command("restore")
def restore(
    snapshot: Annotated[int, typer.Argument(help="The snapshot number.")],
    home: HomeOption = DEFAULT,
    as_json: JsonOption = False,
) -> None:
    """Apply an earlier snapshot again."""
    with DaemonClient(home, as_json=as_json) as daemon:
        result = daemon.call("POST", f"/network/snapshots/{snapshot}/restore")
    emit_json(result) if as_json else say(f"Snapshot #{snapshot} applied again as #{result['snapshot']}.")


@network_app.command("renew")
def renew(
    interface: Annotated[str, typer.Argument(help="The interface whose DHCP lease to renew.")],
    home: HomeOption = DEFAULT,
    as_json: JsonOption = False,
) -> None:
    """Ask the DHCP client to renew its lease now."""
    with DaemonClient(home, as_json=as_json) as daemon:
        daemon.call("POST", f"/network/interfaces/{interface}/renew")
    emit_json({"renewing": interface}) if as_json else say(f"Renewing the lease on {interface}.")
