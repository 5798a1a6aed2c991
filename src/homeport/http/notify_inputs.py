"""What the device accepts for the notification settings (API bodies, and the console's forms through the same
models). Bounds here; notify/rules.py gives the precise, friendly rules."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from homeport.http.inputs import Strict

HOST_MAX = 253
ADDRESS_MAX = 254
URL_MAX = 2000
SECRET_MAX = 1024
FINGERPRINT_MAX = 200


class EmailSettingsIn(Strict):
    enabled: bool | None = None
    host: str | None = Field(default=None, max_length=HOST_MAX, description="The SMTP server's name or address.")
    port: int | None = Field(default=None, ge=1, le=65535, description="587 for STARTTLS, 465 for TLS.")
    security: Literal["starttls", "tls", "none"] | None = Field(
        default=None, description="`none` only to a server on this network (loopback, private or link-local)."
    )
    username: str | None = Field(default=None, max_length=ADDRESS_MAX, description="Empty: no authentication.")
    password: str | None = Field(
        default=None, max_length=SECRET_MAX, description="A new SMTP password (kept sealed, never shown back)."
    )
    clear_password: bool = Field(default=False, description="Forget the stored SMTP password.")
    from_address: str | None = Field(default=None, max_length=ADDRESS_MAX, description="The sender's address.")
    fingerprint: str | None = Field(
        default=None,
        max_length=FINGERPRINT_MAX,
        description="SHA-256 of a self-signed server certificate to accept; empty: the system's trust store.",
    )


class WebhookSettingsIn(Strict):
    enabled: bool | None = None
    url: str | None = Field(default=None, max_length=URL_MAX, description="An http(s) address; POSTed JSON.")
    format: Literal["json", "ntfy"] | None = Field(
        default=None, description="`ntfy`: ntfy's JSON form, the topic taken from the address's path."
    )
    token: str | None = Field(
        default=None, max_length=SECRET_MAX, description="A new bearer token (kept sealed, never shown back)."
    )
    clear_token: bool = Field(default=False, description="Forget the stored token.")
    fingerprint: str | None = Field(default=None, max_length=FINGERPRINT_MAX)


class NotificationSettingsIn(Strict):
    email: EmailSettingsIn | None = None
    webhook: WebhookSettingsIn | None = None
    current_password: str | None = Field(default=None, max_length=SECRET_MAX, description="Needed to save.")


NoticeId = Annotated[int, Field(ge=1, le=2**62)]


class NoticesReadIn(Strict):
    ids: list[NoticeId] | None = Field(
        default=None, max_length=1000, description="The notices to mark read; left out: every unread one."
    )


class NotifyTestIn(Strict):
    channel: Literal["email", "webhook"]
