"""Notifications: the email and webhook settings, the notices (the overview's banners), test messages and the
delivery queue."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from homeport.api.deps import Admin, ServicesDep
from homeport.api.errors import documented
from homeport.api.notify_schemas import (
    DeliveryOut,
    MarkedOut,
    NoticeOut,
    NoticesOut,
    NotificationSettingsOut,
    QueueOut,
    SendResultOut,
)
from homeport.http.notify_inputs import NoticesReadIn, NotificationSettingsIn, NotifyTestIn

router = APIRouter(prefix="/notifications", tags=["notifications"])


@router.get("/settings", response_model=NotificationSettingsOut, responses=documented(401, 403))
def get_settings(_: Admin, svc: ServicesDep) -> NotificationSettingsOut:
    notify = svc.notices.service
    return NotificationSettingsOut.of(notify.email_settings(), notify.webhook_settings())


@router.put(
    "/settings",
    response_model=NotificationSettingsOut,
    responses=documented(400, 401, 403, 422, 429, 503),
    summary="Change the email and webhook settings (what is left out stays); needs `current_password`. A new SMTP "
    "password or webhook token is kept sealed and never shown back",
)
def put_settings(body: NotificationSettingsIn, caller: Admin, svc: ServicesDep) -> NotificationSettingsOut:
    email = None if body.email is None else body.email.model_dump(exclude_none=True)
    webhook = None if body.webhook is None else body.webhook.model_dump(exclude_none=True)
    updated = svc.notices.service.change_settings(caller.actor, caller.user, email, webhook, body.current_password)
    return NotificationSettingsOut.of(*updated)


@router.get("/notices", response_model=NoticesOut, responses=documented(401, 403, 422), summary="Newest first")
def list_notices(
    _: Admin,
    svc: ServicesDep,
    unread: Annotated[bool, Query(description="Only those not marked read")] = False,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> NoticesOut:
    notify = svc.notices.service
    found = notify.notices(unread_only=unread, limit=limit)
    return NoticesOut(unread=notify.unread_count(), notices=[NoticeOut.of(n) for n in found])


@router.post(
    "/notices/read",
    response_model=MarkedOut,
    responses=documented(400, 401, 403, 404, 422),
    summary="Mark notices read (`ids`), or every unread one (no body, or no `ids`)",
)
def mark_read(caller: Admin, svc: ServicesDep, body: NoticesReadIn | None = None) -> MarkedOut:
    ids = None if body is None else body.ids
    return MarkedOut(marked=svc.notices.service.mark_read(caller.actor, ids))


@router.post(
    "/test",
    response_model=SendResultOut,
    responses=documented(400, 401, 403, 422),
    summary="Send a test message through the saved settings now; `ok` false with the exact failure (auth refused, "
    "TLS failed, connection refused, timeout...)",
)
def send_test(body: NotifyTestIn, caller: Admin, svc: ServicesDep) -> SendResultOut:
    return SendResultOut.of(svc.notices.service.test(caller.actor, body.channel))


@router.get("/queue", response_model=QueueOut, responses=documented(401, 403), summary="Deliveries: waiting first")
def get_queue(_: Admin, svc: ServicesDep) -> QueueOut:
    summary = svc.notices.service.queue_summary()
    return QueueOut(
        pending=summary.pending,
        failed=summary.failed,
        sent=summary.sent,
        deliveries=[DeliveryOut.of(d) for d in summary.recent],
    )
