"""The notification settings' rules, with a per-field message that says what to type instead."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import replace
from typing import Any
from urllib.parse import SplitResult, urlsplit

from homeport.core.errors import Problems
from homeport.notify.models import EmailSettings, WebhookSettings
from homeport.notify.smtp import is_lan_address
from homeport.notify.tlspin import normalise_fingerprint

_HOST = re.compile(r"[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*\.?")
_MAILBOX = re.compile(r"[^@\s<>,;\"()\[\]\\]{1,64}@[A-Za-z0-9.-]{1,253}")
FINGERPRINT_HELP = "Enter the certificate's SHA-256 fingerprint: 64 hexadecimal digits (colons allowed)."
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _host_problem(host: str) -> str | None:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return None if _HOST.fullmatch(host) else "Enter a server name such as smtp.example.com, or an address."
    return None


def email_changes(current: EmailSettings, changes: dict[str, Any]) -> EmailSettings:
    """The settings after `changes` (already shaped by EmailSettingsIn), or InvalidInput naming each bad field."""
    problems = Problems()
    updated = replace(current, **{k: v for k, v in changes.items() if k in EmailSettings.__dataclass_fields__})
    host = updated.host.strip()
    fingerprint = normalise_fingerprint(updated.fingerprint)
    if fingerprint is None:
        problems.add("fingerprint", FINGERPRINT_HELP)
    if host and _host_problem(host):
        problems.add("host", str(_host_problem(host)))
    if updated.enabled and not host:
        problems.add("host", "Enter the SMTP server to send through.")
    sender = updated.from_address.strip()
    if sender and not _MAILBOX.fullmatch(sender):
        problems.add("from_address", "Enter one address such as homeport@example.com.")
    if updated.enabled and not sender:
        problems.add("from_address", "Enter the address the mail comes from.")
    if _CONTROL.search(updated.username):
        problems.add("username", "The user name cannot hold line breaks or control characters.")
    if updated.security == "none" and host:
        try:
            literal = ipaddress.ip_address(host)
        except ValueError:
            literal = None
        if literal is not None and not is_lan_address(host):
            problems.add(
                "security", "Unencrypted SMTP is allowed only to a server on this network; choose STARTTLS or TLS."
            )
    problems.check("Some email settings are not valid; see the fields.")
    return replace(updated, host=host, from_address=sender, fingerprint=fingerprint or "")


def _webhook_address_problem(parts: SplitResult) -> str | None:
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port == 0:
        return "The port in the address is not a number from 1 to 65535."
    if parts.scheme == "http":
        host = parts.hostname or ""
        try:
            ipaddress.ip_address(host.split("%", maxsplit=1)[0])
        except ValueError:
            return None  # a name: where it leads is checked when sending (webhook.post)
        if not is_lan_address(host):
            return "Plain http:// is allowed only to an address on this network; use https:// for this server."
    return None


def webhook_changes(current: WebhookSettings, changes: dict[str, Any]) -> WebhookSettings:
    problems = Problems()
    updated = replace(current, **{k: v for k, v in changes.items() if k in WebhookSettings.__dataclass_fields__})
    url = updated.url.strip()
    fingerprint = normalise_fingerprint(updated.fingerprint)
    if fingerprint is None:
        problems.add("fingerprint", FINGERPRINT_HELP)
    if url:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname or _CONTROL.search(url) or " " in url:
            problems.add("url", "Enter an address that starts with https:// (or http:// on this network).")
        elif parts.username or parts.password:
            problems.add("url", "Put no user name or password in the address: use the token field.")
        elif updated.format == "ntfy" and not parts.path.strip("/"):
            problems.add("url", "For ntfy, end the address with the topic, such as https://ntfy.example.com/nas.")
        else:
            problem = _webhook_address_problem(parts)
            if problem:
                problems.add("url", problem)
    elif updated.enabled:
        problems.add("url", "Enter the address to post notices to.")
    problems.check("Some webhook settings are not valid; see the fields.")
    return replace(updated, url=url, fingerprint=fingerprint or "")
