"""What a notice is, where it goes, and how a delivery is doing."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Severity = Literal["info", "warning", "critical"]
Channel = Literal["email", "webhook"]
CHANNELS: tuple[Channel, ...] = ("email", "webhook")
SEVERITIES: tuple[Severity, ...] = ("info", "warning", "critical")
DeliveryState = Literal["pending", "sent", "failed"]
SmtpSecurity = Literal["starttls", "tls", "none"]
SMTP_SECURITIES: tuple[SmtpSecurity, ...] = ("starttls", "tls", "none")
WebhookFormat = Literal["json", "ntfy"]
WEBHOOK_FORMATS: tuple[WebhookFormat, ...] = ("json", "ntfy")


@dataclass(frozen=True)
class NoticeDraft:
    """A notice before it is stored. `title` and `body` are plain sentences and never hold a secret."""

    kind: str
    title: str
    body: str
    severity: Severity = "info"


@dataclass(frozen=True)
class Notice:
    id: int
    kind: str
    title: str
    body: str
    severity: Severity
    created_at: float
    read_at: float | None


@dataclass(frozen=True)
class Delivery:
    id: int
    notice: Notice
    channel: Channel
    state: DeliveryState
    attempts: int
    next_attempt_at: float
    last_error: str
    finished_at: float | None


@dataclass(frozen=True)
class EmailSettings:
    """SMTP delivery. `fingerprint` (SHA-256 of the server's certificate, hex) accepts that one self-signed
    certificate; empty: the system's trust store decides."""

    enabled: bool = False
    host: str = ""
    port: int = 587
    security: SmtpSecurity = "starttls"
    username: str = ""
    from_address: str = ""
    fingerprint: str = ""
    password_set: bool = False

    def as_config(self) -> dict[str, object]:
        return {
            "enabled": self.enabled,
            "host": self.host,
            "port": self.port,
            "security": self.security,
            "username": self.username,
            "from_address": self.from_address,
            "fingerprint": self.fingerprint,
        }


@dataclass(frozen=True)
class WebhookSettings:
    """A JSON POST per notice; `ntfy` posts ntfy's JSON form (topic taken from the URL's path)."""

    enabled: bool = False
    url: str = ""
    format: WebhookFormat = "json"
    fingerprint: str = ""
    token_set: bool = False

    def as_config(self) -> dict[str, object]:
        return {"enabled": self.enabled, "url": self.url, "format": self.format, "fingerprint": self.fingerprint}


@dataclass(frozen=True)
class DeviceFacts:
    """What a message says about the device: its name, serial, and where its console is."""

    name: str
    serial: str
    console_url: str


@dataclass(frozen=True)
class QueueSummary:
    pending: int = 0
    failed: int = 0
    sent: int = 0
    recent: list[Delivery] = field(default_factory=list)
