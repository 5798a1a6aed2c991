"""The Notifications page (email and webhook settings, a test message for each with its exact outcome, the delivery
queue, the notices), and marking notices read from the overview's banners."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from homeport.core.errors import NotFound
from homeport.http.notify_inputs import EmailSettingsIn, NotificationSettingsIn, WebhookSettingsIn
from homeport.http.requests import services
from homeport.notify.models import Channel
from homeport.notify.service import SendResult
from homeport.notify.tlspin import shown
from homeport.web.flash import keep, recall
from homeport.web.forms import Submitted, handle, limits, parse
from homeport.web.guard import Viewer, viewer
from homeport.web.render import render

router = APIRouter(include_in_schema=False)
PAGE = "/notifications"
MAX_ID_DIGITS = 18

EMAIL_TEXT = ("host", "port", "security", "username", "password", "from_address", "fingerprint")
WEBHOOK_TEXT = ("url", "format", "token", "fingerprint")
SECURITY_EXPLAINED = {
    "starttls": "STARTTLS (usually port 587): the connection turns encrypted before anything is sent.",
    "tls": "TLS from the first byte (usually port 465).",
    "none": "Unencrypted: only to a mail server on this network (loopback or a private address). Mail and the "
    "password cross the network readable.",
}
FORMAT_EXPLAINED = {
    "json": "A JSON document: kind, title, body, severity, device, serial, time and console address.",
    "ntfy": "ntfy's JSON form: end the address with the topic (https://ntfy.example.com/nas); a token is sent as "
    "a bearer token (an ntfy access token).",
}


@router.get("/notifications")
def notifications_page(request: Request, tested: str = "") -> Response:
    who = viewer(request, admin=True)
    notify = services(request).notices.service
    email, webhook = notify.email_settings(), notify.webhook_settings()
    return render(
        request,
        "notifications.html",
        me=who.user,
        csrf=who.csrf,
        email=email,
        webhook=webhook,
        email_fingerprint=shown(email.fingerprint),
        webhook_fingerprint=shown(webhook.fingerprint),
        tested=recall(request, SendResult, tested),
        queue=notify.queue_summary(limit=30),
        notices=notify.notices(limit=30),
        securities=SECURITY_EXPLAINED,
        formats=FORMAT_EXPLAINED,
        limits={**limits(EmailSettingsIn), **limits(WebhookSettingsIn), **limits(NotificationSettingsIn)},
    )


def _settings_from(form: Submitted) -> NotificationSettingsIn:
    """The form as the API's body: one channel (`part`), boxes as ticked, an empty secret field kept as it was."""
    part = form.text("part")
    names = EMAIL_TEXT if part == "email" else WEBHOOK_TEXT
    channel: dict[str, Any] = form.pick(*names)
    for secret in ("password", "token"):
        if not channel.get(secret):
            channel.pop(secret, None)
    channel["enabled"] = form.checked("enabled")
    if part == "email":
        channel["clear_password"] = form.checked("clear_password")
    else:
        channel["clear_token"] = form.checked("clear_token")
    body = {part if part in ("email", "webhook") else "email": channel, **form.pick("current_password")}
    return parse(NotificationSettingsIn, body, depth=2)


@router.post("/notifications")
async def notifications_save(request: Request) -> Response:
    notify = services(request).notices.service

    def act(who: Viewer, form: Submitted) -> str:
        body = _settings_from(form)
        email = None if body.email is None else body.email.model_dump(exclude_none=True)
        webhook = None if body.webhook is None else body.webhook.model_dump(exclude_none=True)
        notify.change_settings(who.actor, who.user, email, webhook, body.current_password)
        return f"{PAGE}?done=notify-{form.text('part')}-saved"

    return await handle(request, act, back=PAGE, admin=True)


@router.post("/notifications/test")
async def notifications_test(request: Request) -> Response:
    notify = services(request).notices.service

    def act(who: Viewer, form: Submitted) -> str:
        channel: Channel = "webhook" if form.text("channel") == "webhook" else "email"
        result = notify.test(who.actor, channel)
        return f"{PAGE}?tested={keep(request, result)}#test-{channel}"

    return await handle(request, act, back=PAGE, admin=True)


@router.post("/notifications/read")
async def notices_read(request: Request) -> Response:
    """One notice (`id`) or every unread one; back to the page the banner was on."""
    notify = services(request).notices.service

    def act(who: Viewer, form: Submitted) -> str:
        chosen = form.text("id")
        if chosen and not (chosen.isdigit() and len(chosen) <= MAX_ID_DIGITS):
            raise NotFound("There is no such notice.", code="no_notice")
        notify.mark_read(who.actor, [int(chosen)] if chosen else None)
        back = form.text("back")
        return back if back in ("/", PAGE) else "/"

    return await handle(request, act, back="/", admin=True)
