"""Numbered snapshots of every applied network configuration, and the DHCP lease history (SQL only)."""

from __future__ import annotations

import ipaddress
import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from homeport.network.model import InterfaceConfig, NetworkConfig, WebPorts

LEASES_KEPT = 200


@dataclass(frozen=True)
class Snapshot:
    id: int
    at: float
    actor: str
    reason: str
    config: NetworkConfig


def config_from_dict(data: dict[str, Any]) -> NetworkConfig:
    interfaces = tuple(
        InterfaceConfig(
            name=i["name"],
            mac=i.get("mac", ""),
            mode=i.get("mode", "dhcp"),
            address=ipaddress.IPv4Interface(i["address"]) if i.get("address") else None,
            gateway=ipaddress.IPv4Address(i["gateway"]) if i.get("gateway") else None,
            dns=tuple(ipaddress.ip_address(d) for d in i.get("dns", [])),
            mtu=int(i.get("mtu", 1500)),
        )
        for i in data.get("interfaces", [])
    )
    web = data.get("web", {})
    return NetworkConfig(
        hostname=data["hostname"],
        interfaces=interfaces,
        web=WebPorts(http=int(web.get("http", 5000)), https=int(web.get("https", 5001))),
    )


def insert(conn: sqlite3.Connection, at: float, actor: str, reason: str, config: NetworkConfig) -> int:
    cursor = conn.execute(
        "INSERT INTO network_snapshots (at, actor, reason, config) VALUES (?, ?, ?, ?)",
        (at, actor, reason, json.dumps(config.as_dict(), sort_keys=True)),
    )
    return int(cursor.lastrowid or 0)


def _snapshot(row: sqlite3.Row) -> Snapshot:
    return Snapshot(
        id=int(row["id"]),
        at=float(row["at"]),
        actor=str(row["actor"]),
        reason=str(row["reason"]),
        config=config_from_dict(json.loads(row["config"])),
    )


def find(conn: sqlite3.Connection, snapshot_id: int) -> Snapshot | None:
    row = conn.execute("SELECT * FROM network_snapshots WHERE id = ?", (snapshot_id,)).fetchone()
    return None if row is None else _snapshot(row)


def newest(conn: sqlite3.Connection, limit: int) -> list[Snapshot]:
    rows = conn.execute("SELECT * FROM network_snapshots ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
    return [_snapshot(row) for row in rows]


def record_lease(
    conn: sqlite3.Connection,
    *,
    at: float,
    interface: str,
    event: str,
    address: str,
    router: str,
    dns: tuple[str, ...],
    server: str,
    lease_seconds: int,
) -> None:
    conn.execute(
        "INSERT INTO dhcp_leases (at, interface, event, address, router, dns, server, lease_seconds)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (at, interface, event, address, router, " ".join(dns), server, lease_seconds),
    )
    conn.execute("DELETE FROM dhcp_leases WHERE id <= (SELECT MAX(id) FROM dhcp_leases) - ?", (LEASES_KEPT,))


def lease_history(conn: sqlite3.Connection, limit: int) -> list[dict[str, Any]]:
    rows = conn.execute("SELECT * FROM dhcp_leases ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
    return [dict(row) for row in rows]
