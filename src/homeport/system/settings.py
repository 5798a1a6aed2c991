"""Settings kept in the store as JSON values, read through a cache (they are read on every request)."""

from __future__ import annotations

import dataclasses
import functools
import ipaddress
import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from homeport.accounts.policy import DEFAULT_MIN_LENGTH, MIN_LENGTH_RANGE, check_min_length_setting
from homeport.audit.log import Actor, AuditLog
from homeport.core.cache import Cached
from homeport.core.errors import Problems
from homeport.store.db import Database

SECURITY_KEY = "security"
PROXY_HEADERS = ("x-forwarded-for", "forwarded", "x-real-ip")
# Settings that decide who may come back in through the reset button: changing one needs the current password.
RECOVERY_SETTINGS = ("recovery_window_minutes", "recovery_button_confirmation")
# Settings that decide how strongly accounts sign in: the same proof is asked for.
SECOND_FACTOR_SETTINGS = ("second_factor_required", "second_factor_users", "second_factor_groups", "remember_browser")
NETWORK_LISTS = ("allow_list", "trusted_proxies")
NAME_LISTS = ("second_factor_users", "second_factor_groups")
LIST_SETTINGS = NETWORK_LISTS + NAME_LISTS
# No entry of these lists is longer: the longest address or network is 49 characters, names are refused beyond.
LIST_ENTRY_MAX = 64
SECOND_FACTOR_POLICIES = ("nobody", "administrators", "everyone", "chosen")
NAME_LIST_MAX = 200
IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class SecuritySettings:
    """Sign-in, session and brute-force settings (security-baseline.md); defaults are the baseline's."""

    password_min_length: int = DEFAULT_MIN_LENGTH
    session_idle_minutes: int = 15
    session_absolute_hours: int = 12
    auto_block_enabled: bool = True
    auto_block_attempts: int = 10
    auto_block_window_minutes: int = 5
    auto_block_minutes: int = 30
    account_protection_attempts: int = 5
    account_protection_window_minutes: int = 1
    account_protection_minutes: int = 30
    allow_list: tuple[str, ...] = ()
    # Reverse proxies whose forwarding header names the client (never the same thing as the allow list).
    trusted_proxies: tuple[str, ...] = ()
    proxy_header: str = "x-forwarded-for"
    recovery_window_minutes: int = 30
    # A recovery sign-in must be confirmed by a short press of the reset button (physical presence).
    recovery_button_confirmation: bool = True
    # Who must have a second factor (auth/factors.py): nobody, administrators, everyone, or the chosen
    # accounts and groups. Someone covered who has none enrols right after the password.
    second_factor_required: str = "nobody"
    second_factor_users: tuple[str, ...] = ()
    second_factor_groups: tuple[str, ...] = ()
    # Whether a browser may be remembered for 30 days after a second step (auth/remembered.py).
    remember_browser: bool = False

    def allows_everyone(self) -> list[str]:
        """Allow-list entries that cover every address: auto block would then never block anyone."""
        return [str(net) for net in self.allow_networks if net.prefixlen == 0]

    def as_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        for name in LIST_SETTINGS:
            data[name] = list(data[name])
        return data

    @functools.cached_property
    def proxy_networks(self) -> tuple[IpNetwork, ...]:
        return tuple(ipaddress.ip_network(net) for net in self.trusted_proxies)

    @functools.cached_property
    def allow_networks(self) -> tuple[IpNetwork, ...]:
        return tuple(ipaddress.ip_network(net) for net in self.allow_list)


# The whole-number settings and their ranges (the page shows them; validation enforces them).
RANGES: dict[str, tuple[int, int]] = {
    "session_idle_minutes": (5, 24 * 60),
    "session_absolute_hours": (1, 7 * 24),
    "auto_block_attempts": (3, 100),
    "auto_block_window_minutes": (1, 24 * 60),
    "auto_block_minutes": (1, 7 * 24 * 60),
    "account_protection_attempts": (3, 100),
    "account_protection_window_minutes": (1, 24 * 60),
    "account_protection_minutes": (1, 24 * 60),
    "recovery_window_minutes": (5, 120),
}
SHOWN_RANGES = {"password_min_length": MIN_LENGTH_RANGE, **RANGES}


def merged_with(changes: dict[str, Any], current: Any, problems: Problems) -> dict[str, Any]:
    """A settings dataclass's values with `changes` over them; a name it does not have is a problem."""
    known = {f.name for f in dataclasses.fields(current)}
    for name in changes:
        if name not in known:
            problems.add(name, "Unknown setting.")
    return {**current.as_dict(), **{k: v for k, v in changes.items() if k in known}}


def validate_security(changes: dict[str, Any], current: SecuritySettings) -> SecuritySettings:
    """Apply `changes` to `current`, or raise InvalidInput naming every wrong field."""
    problems = Problems()
    merged = merged_with(changes, current, problems)
    for name, (low, high) in RANGES.items():
        value = merged[name]
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            problems.add(name, f"Choose a whole number from {low} to {high}.")
    with problems.collect():
        check_min_length_setting(merged["password_min_length"])
    for name in ("auto_block_enabled", "recovery_button_confirmation", "remember_browser"):
        if not isinstance(merged[name], bool):
            problems.add(name, "Choose true or false.")
    header = merged["proxy_header"]
    merged["proxy_header"] = header.strip().lower() if isinstance(header, str) else header
    if merged["proxy_header"] not in PROXY_HEADERS:
        problems.add("proxy_header", f"Choose one of {', '.join(PROXY_HEADERS)}.")
    _check_second_factor(merged, problems)
    for name in NETWORK_LISTS:
        try:
            merged[name] = _networks(merged[name])
        except ValueError as exc:
            problems.add(name, str(exc))
    wide = [] if "trusted_proxies" in problems else [n for n in merged["trusted_proxies"] if _too_wide(n)]
    if wide:
        problems.add(
            "trusted_proxies",
            (
                f"{wide[0]} is too wide for a proxy: every client there could choose the address it signs in from. "
                "List your proxy's own address (or a small network: at most /16 for IPv4, /64 for IPv6)."
            ),
        )
    problems.check("Some settings are not valid; see the fields.")
    return SecuritySettings(**merged)


def _networks(entries: object) -> tuple[str, ...]:
    """Addresses or networks, normalised (IPv4-mapped IPv6 as IPv4, as clients are seen), sorted and without
    duplicates; ValueError names a wrong entry."""
    normalised: set[str] = set()
    for entry in entries if isinstance(entries, list | tuple) else [None]:
        text = str(entry).strip()
        try:
            if "%" in text:
                raise ValueError("a zone")
            network = ipaddress.ip_network(text, strict=False)
        except ValueError:
            shown = ascii(text[:60])[1:-1]  # what was typed, safely printable whatever it holds
            raise ValueError(
                f"'{shown}' is not an address or network such as 192.168.1.10 or 10.0.0.0/24 (without a %zone)."
            ) from None
        mapped = network.network_address.ipv4_mapped if isinstance(network, ipaddress.IPv6Network) else None
        if mapped is not None and network.prefixlen >= 96:
            network = ipaddress.ip_network(f"{mapped}/{network.prefixlen - 96}", strict=False)
        normalised.add(str(network))
    return tuple(sorted(normalised))


def _check_second_factor(merged: dict[str, Any], problems: Problems) -> None:
    if merged["second_factor_required"] not in SECOND_FACTOR_POLICIES:
        problems.add("second_factor_required", f"Choose one of {', '.join(SECOND_FACTOR_POLICIES)}.")
    for name in NAME_LISTS:
        try:
            merged[name] = _names(merged[name])
        except ValueError as exc:
            problems.add(name, str(exc))


def _names(entries: object) -> tuple[str, ...]:
    """Account or group names, trimmed, sorted, without duplicates (whether each exists is the caller's check)."""
    if not isinstance(entries, list | tuple) or len(entries) > NAME_LIST_MAX:
        raise ValueError(f"Give a list of at most {NAME_LIST_MAX} names.")
    names = {str(entry).strip() for entry in entries if str(entry).strip()}
    bad = [n for n in names if len(n) > LIST_ENTRY_MAX or not n.isprintable()]
    if bad:
        raise ValueError(f"'{ascii(bad[0][:40])[1:-1]}' is not a user or group name.")
    return tuple(sorted(names, key=str.lower))


def _too_wide(text: str) -> bool:
    """Wider than a proxy's own small network could be."""
    network = ipaddress.ip_network(text)
    return network.prefixlen < (16 if network.version == 4 else 64)


def guarded_changes(changes: dict[str, Any], current: SecuritySettings) -> list[str]:
    """The recovery and second-factor settings that `changes` would really change (these need the current
    password). Lists compare as sets, so re-sending the same names in another order is no change."""

    def same(name: str) -> bool:
        old, new = getattr(current, name), changes[name]
        if isinstance(old, tuple) and isinstance(new, list | tuple):
            return {str(n).strip().lower() for n in new} == {n.lower() for n in old}
        return bool(new == old)

    names = RECOVERY_SETTINGS + SECOND_FACTOR_SETTINGS
    return [name for name in names if name in changes and not same(name)]


def read_value(conn: sqlite3.Connection, key: str) -> Any:
    row = conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
    return None if row is None else json.loads(row[0])


def write_value(conn: sqlite3.Connection, key: str, value: Any) -> None:
    conn.execute(
        "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (key, json.dumps(value, sort_keys=True)),
    )


class SettingsService:
    def __init__(self, db: Database, audit: AuditLog) -> None:
        self._db = db
        self._audit = audit
        self._security = Cached(self._load_security)

    def _load_security(self) -> SecuritySettings:
        with self._db.read() as conn:
            stored = read_value(conn, SECURITY_KEY) or {}
        known = {f.name for f in dataclasses.fields(SecuritySettings)}
        values = {k: v for k, v in stored.items() if k in known}
        for name in LIST_SETTINGS:
            if name in values:
                values[name] = tuple(values[name])
        return SecuritySettings(**values)

    def security(self) -> SecuritySettings:
        return self._security.get()

    def invalidate(self) -> None:
        """Forget cached values (after a change made to the store directly, such as a factory reset)."""
        self._security.invalidate()

    def update_security(self, conn: sqlite3.Connection, changes: dict[str, Any]) -> SecuritySettings:
        """Validate and save within the caller's transaction; readers see it once it has committed."""
        updated = validate_security(changes, self.security())
        write_value(conn, SECURITY_KEY, updated.as_dict())
        self._security.invalidate()
        self._db.after_transaction(self._security.invalidate)
        return updated

    def change_security(self, actor: Actor, changes: dict[str, Any]) -> SecuritySettings:
        """An administrator's change, saved with its audit record."""
        with self._db.write() as conn:
            before = self.security()
            updated = self.update_security(conn, changes)
            changed = sorted(name for name in changes if getattr(before, name, None) != getattr(updated, name, None))
            if changed:
                self._audit.record(conn, "settings.security_changed", actor, fields=changed)
        return updated
