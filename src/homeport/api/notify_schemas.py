"""Answers of the notification routes, as published in the OpenAPI document. Secrets appear only as set or not."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from homeport.notify.models import Delivery, EmailSettings, Notice, WebhookSettings
from homeport.notify.service import SendResult

SeverityOut = Literal["info", "warning", "critical"]


class EmailSettingsOut(BaseModel):
    enabled: bool
    host: str
    port: int
    security: Literal["starttls", "tls", "none"]
    username: str
    password_set: bool
    from_address: str
    fingerprint: str

    @classmethod
    def of(cls, settings: EmailSettings) -> EmailSettingsOut:
        return cls(
            enabled=settings.enabled,
            host=settings.host,
            port=settings.port,
            security=settings.security,
            username=settings.username,
            password_set=settings.password_set,
            from_address=settings.from_address,
            fingerprint=settings.fingerprint,
        )


class WebhookSettingsOut(BaseModel):
    enabled: bool
    url: str
    format: Literal["json", "ntfy"]
    token_set: bool
    fingerprint: str

    @classmethod
    def of(cls, settings: WebhookSettings) -> WebhookSettingsOut:
        return cls(
            enabled=settings.enabled,
            url=settings.url,
            format=settings.format,
            token_set=settings.token_set,
            fingerprint=settings.fingerprint,
        )


class NotificationSettingsOut(BaseModel):
    email: EmailSettingsOut
    webhook: WebhookSettingsOut

    @classmethod
    def of(cls, email: EmailSettings, webhook: WebhookSettings) -> NotificationSettingsOut:
        return cls(email=EmailSettingsOut.of(email), webhook=WebhookSettingsOut.of(webhook))


class NoticeOut(BaseModel):
    id: int
    kind: str
    title: str
    body: str
    severity: SeverityOut
    created_at: float
    read_at: float | None

    @classmethod
    def of(cls, notice: Notice) -> NoticeOut:
        return cls(**notice.__dict__)


class NoticesOut(BaseModel):
    unread: int
    notices: list[NoticeOut]


class MarkedOut(BaseModel):
    marked: int


class DeliveryOut(BaseModel):
    id: int
    notice_id: int
    title: str
    channel: Literal["email", "webhook"]
    state: Literal["pending", "sent", "failed"]
    attempts: int
    next_attempt_at: float
    last_error: str
    finished_at: float | None

    @classmethod
    def of(cls, delivery: Delivery) -> DeliveryOut:
        return cls(
            id=delivery.id,
            notice_id=delivery.notice.id,
            title=delivery.notice.title,
            channel=delivery.channel,
            state=delivery.state,
            attempts=delivery.attempts,
            next_attempt_at=delivery.next_attempt_at,
            last_error=delivery.last_error,
            finished_at=delivery.finished_at,
        )


class QueueOut(BaseModel):
    pending: int
    failed: int
    sent: int
    deliveries: list[DeliveryOut]


class SendResultOut(BaseModel):
    channel: Literal["email", "webhook"]
    ok: bool
    reason: str | None
    message: str

    @classmethod
    def of(cls, result: SendResult) -> SendResultOut:
        return cls(channel=result.channel, ok=result.ok, reason=result.reason, message=result.message)
