"""The email and webhook settings in the store; the SMTP password and the webhook token only sealed
(auth/sealing.py), opened at the moment a message is sent and never shown back."""

from __future__ import annotations

import json
import sqlite3
from typing import Any, cast

from homeport.auth.sealing import Sealer
from homeport.notify.models import Channel, EmailSettings, SmtpSecurity, WebhookFormat, WebhookSettings

SEAL_PURPOSE = {"email": "smtp password", "webhook": "webhook token"}
SYSTEM_ID = 0  # the sealing context's account: these secrets belong to the device


def _row(conn: sqlite3.Connection, channel: Channel) -> tuple[dict[str, Any], bytes | None]:
    row = conn.execute("SELECT config, secret FROM notice_channels WHERE channel = ?", (channel,)).fetchone()
    if row is None:
        return {}, None
    return dict(json.loads(row["config"])), None if row["secret"] is None else bytes(row["secret"])


def email_settings(conn: sqlite3.Connection) -> EmailSettings:
    config, secret = _row(conn, "email")
    defaults = EmailSettings()
    return EmailSettings(
        enabled=bool(config.get("enabled", defaults.enabled)),
        host=str(config.get("host", defaults.host)),
        port=int(config.get("port", defaults.port)),
        security=cast(SmtpSecurity, config.get("security", defaults.security)),
        username=str(config.get("username", defaults.username)),
        from_address=str(config.get("from_address", defaults.from_address)),
        fingerprint=str(config.get("fingerprint", defaults.fingerprint)),
        password_set=secret is not None,
    )


def webhook_settings(conn: sqlite3.Connection) -> WebhookSettings:
    config, secret = _row(conn, "webhook")
    defaults = WebhookSettings()
    return WebhookSettings(
        enabled=bool(config.get("enabled", defaults.enabled)),
        url=str(config.get("url", defaults.url)),
        format=cast(WebhookFormat, config.get("format", defaults.format)),
        fingerprint=str(config.get("fingerprint", defaults.fingerprint)),
        token_set=secret is not None,
    )


def save(
    conn: sqlite3.Connection, channel: Channel, config: dict[str, object], secret: bytes | None, *, keep_secret: bool
) -> None:
    """Write a channel's settings; with `keep_secret`, the sealed secret stored before stays."""
    text = json.dumps(config, sort_keys=True)
    if keep_secret:
        conn.execute(
            "INSERT INTO notice_channels (channel, config) VALUES (?, ?)"
            " ON CONFLICT(channel) DO UPDATE SET config = excluded.config",
            (channel, text),
        )
    else:
        conn.execute(
            "INSERT INTO notice_channels (channel, config, secret) VALUES (?, ?, ?)"
            " ON CONFLICT(channel) DO UPDATE SET config = excluded.config, secret = excluded.secret",
            (channel, text, secret),
        )


def seal(sealer: Sealer, channel: Channel, secret: str) -> bytes:
    return sealer.seal(secret.encode(), user_id=SYSTEM_ID, purpose=SEAL_PURPOSE[channel])


def open_secret(conn: sqlite3.Connection, sealer: Sealer, channel: Channel) -> str:
    """The channel's secret in plain text, "" for none. Raises SealedSecretUnreadable if the key changed."""
    _, secret = _row(conn, channel)
    if secret is None:
        return ""
    return sealer.open(secret, user_id=SYSTEM_ID, purpose=SEAL_PURPOSE[channel]).decode()


def enabled_channels(conn: sqlite3.Connection) -> list[Channel]:
    enabled: list[Channel] = []
    for row in conn.execute("SELECT channel, config FROM notice_channels ORDER BY channel"):
        if json.loads(row["config"]).get("enabled"):
            enabled.append(cast(Channel, row["channel"]))
    return enabled
