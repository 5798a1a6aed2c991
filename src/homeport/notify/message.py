"""What a notice looks like when it leaves the device: a plain-text mail, a JSON document, or ntfy's JSON form.
Built only from the notice and the device's public facts, so no secret can be in it."""

from __future__ import annotations

import json
import time
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from urllib.parse import urlsplit

from homeport.notify.models import DeviceFacts, Notice

NTFY_PRIORITY = {"info": 3, "warning": 4, "critical": 5}


def one_line(text: str, limit: int = 150) -> str:
    """A header's text: line breaks and control characters become spaces (no header can be injected)."""
    return " ".join("".join(c if c.isprintable() else " " for c in text).split())[:limit]


def when(at: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(at))


def iso_time(at: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(at))


def mail(notice: Notice, device: DeviceFacts, sender: str, recipients: list[str]) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = one_line(f"[{device.name}] {notice.title}")
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Date"] = formatdate(notice.created_at, usegmt=True)
    message["Message-ID"] = make_msgid("homeport", domain=f"{device.name}.local")
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies to a machine's notice
    message.set_content(
        f"{notice.title}\n\n{notice.body}\n\n"
        f"Device:   {device.name} (serial {device.serial})\n"
        f"Time:     {when(notice.created_at)}\n"
        f"Severity: {notice.severity}\n\n"
        f"Open the console: {device.console_url}\n\n"
        "-- \nSent by Homeport. The notice is also shown on the console's overview until it is marked read.\n"
    )
    return message


def webhook_json(notice: Notice, device: DeviceFacts) -> bytes:
    document = {
        "kind": notice.kind,
        "title": notice.title,
        "body": notice.body,
        "severity": notice.severity,
        "device": device.name,
        "serial": device.serial,
        "time": iso_time(notice.created_at),
        "console": device.console_url,
    }
    return json.dumps(document).encode()


def ntfy_target(url: str) -> tuple[str, str]:
    """ntfy's JSON publishing goes to the server's root with the topic in the body: (root URL, topic)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/", parts.path.strip("/")


def ntfy_json(notice: Notice, device: DeviceFacts, topic: str) -> bytes:
    document = {
        "topic": topic,
        "title": f"{device.name}: {notice.title}",
        "message": notice.body,
        "priority": NTFY_PRIORITY[notice.severity],
        "tags": [notice.severity, notice.kind],
        "click": device.console_url,
    }
    return json.dumps(document).encode()
