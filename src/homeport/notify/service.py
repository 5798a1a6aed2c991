"""The notice service: keeps notices and queues their deliveries, holds the channel settings, sends one delivery
(or a test message) when the dispatcher asks. Sending is never done in the transaction of the action told of."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import structlog

from homeport.accounts.models import User
from homeport.audit.log import Actor, AuditLog
from homeport.auth.sealing import SealedSecretUnreadable, Sealer
from homeport.core.clock import Clock
from homeport.core.errors import InvalidInput, NotFound
from homeport.core.events import NoticeRaised
from homeport.notify import channels, message, queue, rules, smtp, volumes, webhook
from homeport.notify.failures import DeliveryFailed, Reason
from homeport.notify.models import (
    Channel,
    Delivery,
    DeviceFacts,
    EmailSettings,
    Notice,
    NoticeDraft,
    QueueSummary,
    WebhookSettings,
)
from homeport.store.db import Database
from homeport.system.volumes import Volume

_log = structlog.get_logger("homeport.notify")

KIND_MAX, TITLE_MAX, BODY_MAX = 100, 200, 2000  # a notice is a sentence or two, whoever raises it


class PasswordCheck(Protocol):
    def __call__(self, user: User, password: str, client: str, field: str) -> None: ...


@dataclass(frozen=True)
class Outside:
    """What the service asks of the rest of the device (wired by the daemon)."""

    device: Callable[[], DeviceFacts]
    recipients: Callable[[], list[str]]  # the enabled administrators' email addresses
    volumes: Callable[[], list[Volume]]
    confirm_password: PasswordCheck


@dataclass(frozen=True)
class SendResult:
    channel: Channel
    ok: bool
    reason: Reason | None = None
    message: str = ""


class NotifyService:
    def __init__(self, db: Database, clock: Clock, sealer: Sealer, audit: AuditLog, outside: Outside) -> None:
        self._db = db
        self._clock = clock
        self._sealer = sealer
        self._audit = audit
        self._outside = outside

    # --- notices -----------------------------------------------------------------------------------

    def enqueue(self, conn: sqlite3.Connection, draft: NoticeDraft) -> int:
        """Keep a notice and queue a delivery per enabled channel, in the caller's transaction."""
        return queue.add_notice(conn, draft, self._clock.now(), channels.enabled_channels(conn))

    def raise_notice(self, draft: NoticeDraft) -> int:
        with self._db.write() as conn:  # joins the publisher's transaction if it is in one
            return self.enqueue(conn, draft)

    def notice_raised(self, event: NoticeRaised) -> None:
        """The bus's NoticeRaised, from any domain."""
        title = message.one_line(event.title, TITLE_MAX)
        self.raise_notice(NoticeDraft(event.kind[:KIND_MAX], title, event.body[:BODY_MAX], event.severity))

    def notices(self, *, unread_only: bool = False, limit: int = 100) -> list[Notice]:
        with self._db.read() as conn:
            return queue.notices(conn, unread_only=unread_only, limit=limit)

    def unread_count(self) -> int:
        with self._db.read() as conn:
            return queue.unread_count(conn)

    def mark_read(self, actor: Actor, ids: list[int] | None = None) -> int:
        """The notices `ids` (or every unread one) marked read; audited."""
        now = self._clock.now()
        with self._db.write() as conn:
            if ids is None:
                count = queue.mark_read(conn, now)
            else:
                missing = [i for i in ids if not queue.notice_exists(conn, i)]
                if missing:
                    raise NotFound(f"There is no notice {missing[0]}.", code="no_notice")
                count = sum(queue.mark_read(conn, now, i) for i in ids)
            if count:
                self._audit.record(conn, "notify.notices_read", actor, count=count, every=ids is None)
        return count

    def check_volumes(self) -> None:
        found = self._outside.volumes()
        with self._db.write() as conn:
            volumes.check(conn, found, self._clock.now(), self.enqueue)

    def prune(self) -> int:
        with self._db.write() as conn:
            return queue.prune(conn, self._clock.now())

    # --- settings ----------------------------------------------------------------------------------

    def email_settings(self) -> EmailSettings:
        with self._db.read() as conn:
            return channels.email_settings(conn)

    def webhook_settings(self) -> WebhookSettings:
        with self._db.read() as conn:
            return channels.webhook_settings(conn)

    def change_settings(
        self,
        actor: Actor,
        acting_user: User | None,
        email: dict[str, Any] | None,
        webhook_changes: dict[str, Any] | None,
        current_password: str | None,
    ) -> tuple[EmailSettings, WebhookSettings]:
        """Validate every value, then ask for the current password (root on the machine has none), then save."""
        email = dict(email or {})
        hook = dict(webhook_changes or {})
        new_password, clear_password = email.pop("password", None), email.pop("clear_password", False)
        new_token, clear_token = hook.pop("token", None), hook.pop("clear_token", False)
        with self._db.read() as conn:
            email_now, hook_now = channels.email_settings(conn), channels.webhook_settings(conn)
        email_next = rules.email_changes(email_now, email)
        hook_next = rules.webhook_changes(hook_now, hook)
        if acting_user is not None:
            if not current_password:
                raise InvalidInput.field("current_password", "Enter your current password to save these settings.")
            self._outside.confirm_password(acting_user, current_password, actor.client, "current_password")
        changed: list[str] = []
        with self._db.write() as conn:
            if email or new_password or clear_password:
                secret = channels.seal(self._sealer, "email", new_password) if new_password else None
                keep = not new_password and not clear_password
                channels.save(conn, "email", email_next.as_config(), secret, keep_secret=keep)
                changed += [f"email.{k}" for k in sorted(email)] + (["email.password"] if not keep else [])
            if hook or new_token or clear_token:
                secret = channels.seal(self._sealer, "webhook", new_token) if new_token else None
                keep = not new_token and not clear_token
                channels.save(conn, "webhook", hook_next.as_config(), secret, keep_secret=keep)
                changed += [f"webhook.{k}" for k in sorted(hook)] + (["webhook.token"] if not keep else [])
            self._audit.record(conn, "notify.settings_changed", actor, fields=changed)
            return channels.email_settings(conn), channels.webhook_settings(conn)

    # --- sending -----------------------------------------------------------------------------------

    def send(self, channel: Channel, notice: Notice) -> None:
        """Send one notice now (blocking: a worker thread calls it); DeliveryFailed says why it did not go."""
        with self._db.read() as conn:
            try:
                secret = channels.open_secret(conn, self._sealer, channel)
            except SealedSecretUnreadable:
                raise DeliveryFailed(
                    "secret_unreadable",
                    f"The stored {channels.SEAL_PURPOSE[channel]} does not open with this device's key: enter it "
                    "again.",
                ) from None
            email, hook = channels.email_settings(conn), channels.webhook_settings(conn)
        device = self._outside.device()
        if channel == "email":
            recipients = self._outside.recipients()
            smtp.send(email, secret, message.mail(notice, device, email.from_address, recipients), recipients)
            return
        if not hook.url:
            raise DeliveryFailed("not_configured", "The webhook has no address: enter one in the settings.")
        if hook.format == "ntfy":
            root, topic = message.ntfy_target(hook.url)
            webhook.post(root, message.ntfy_json(notice, device, topic), secret, hook.fingerprint)
        else:
            webhook.post(hook.url, message.webhook_json(notice, device), secret, hook.fingerprint)

    def deliver(self, delivery: Delivery) -> None:
        """One queued delivery: sent, or its failure recorded with the next try (blocking). A channel turned off
        since the notice was queued sends nothing more: its deliveries are given up."""
        with self._db.write() as conn:
            if delivery.channel not in channels.enabled_channels(conn):
                queue.give_up(conn, delivery.id, "Not sent: the channel was turned off.", self._clock.now())
                return
        try:
            self.send(delivery.channel, delivery.notice)
        except Exception as exc:  # an unexpected one too: it must not hold up the deliveries behind it
            failure = exc if isinstance(exc, DeliveryFailed) else DeliveryFailed("failed", "An internal error.")
            if not isinstance(exc, DeliveryFailed):
                _log.exception("sending a notice failed unexpectedly", channel=delivery.channel)
            with self._db.write() as conn:
                state = queue.mark_failed_attempt(conn, delivery, failure.message, self._clock.now())
            _log.warning("notice not delivered", channel=delivery.channel, reason=failure.reason, state=state)
            return
        with self._db.write() as conn:
            queue.mark_sent(conn, delivery.id, self._clock.now())

    def due(self) -> list[Delivery]:
        with self._db.read() as conn:
            return queue.due(conn, self._clock.now())

    def next_due_at(self) -> float | None:
        with self._db.read() as conn:
            return queue.next_due_at(conn)

    def test(self, actor: Actor, channel: Channel) -> SendResult:
        """A test message through the saved settings, now, not queued: success or the exact failure. Audited."""
        notice = Notice(
            0, "notify.test", "A test message from Homeport",
            f"{actor.name} asked for this test message. Notices of this device will arrive like this one.",
            "info", self._clock.now(), None,
        )  # fmt: skip
        try:
            self.send(channel, notice)
        except DeliveryFailed as exc:
            result = SendResult(channel, False, exc.reason, exc.message)
        else:
            result = SendResult(channel, True, None, "Sent.")
        self._audit.record_now(
            "notify.test_sent", actor, target=channel, outcome="success" if result.ok else "failure",
            reason=result.reason or "",
        )  # fmt: skip
        return result

    def queue_summary(self, limit: int = 50) -> QueueSummary:
        with self._db.read() as conn:
            counted = queue.counts(conn)
            recent = queue.deliveries(conn, limit=limit)
        return QueueSummary(counted["pending"], counted["failed"], counted["sent"], recent)
