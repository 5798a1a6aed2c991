"""`homeport notify status|test`: how the notification channels and their queue are doing, and a test message."""

from __future__ import annotations

import datetime
from enum import StrEnum
from typing import Annotated, Any

import typer

from homeport.cli.client import DaemonClient
from homeport.cli.options import DEFAULT, HomeOption, JsonOption
from homeport.cli.output import FAILED, CliExit, emit_json, say, table

notify_app = typer.Typer(help="Notifications: channel status, the queue, test messages.", no_args_is_help=True)


class ChannelChoice(StrEnum):
    email = "email"
    webhook = "webhook"


def _when(at: float | None) -> str:
    if at is None:
        return "-"
    return datetime.datetime.fromtimestamp(at).strftime("%Y-%m-%d %H:%M:%S")


def _email_line(email: dict[str, Any]) -> str:
    if not email["enabled"]:
        return "off"
    auth = f"as {email['username']} (password {'set' if email['password_set'] else 'not set'})"
    return f"on, {email['host']}:{email['port']} ({email['security']}), {auth if email['username'] else 'no sign-in'}"


def _webhook_line(webhook: dict[str, Any]) -> str:
    if not webhook["enabled"]:
        return "off"
    return f"on, {webhook['format']} to {webhook['url']} (token {'set' if webhook['token_set'] else 'not set'})"


@notify_app.command("status")
def notify_status(home: HomeOption = DEFAULT, as_json: JsonOption = False) -> None:
    """The channels' settings (secrets only as set or not), unread notices and the delivery queue."""
    with DaemonClient(home, as_json=as_json) as daemon:
        settings = daemon.call("GET", "/notifications/settings")
        notices = daemon.call("GET", "/notifications/notices?unread=true&limit=20")
        queue = daemon.call("GET", "/notifications/queue")
    if as_json:
        emit_json({"settings": settings, "notices": notices, "queue": queue})
        return
    say(f"Email:    {_email_line(settings['email'])}")
    say(f"Webhook:  {_webhook_line(settings['webhook'])}")
    say(f"Queue:    {queue['pending']} waiting, {queue['failed']} given up, {queue['sent']} sent")
    say(f"Unread:   {notices['unread']} notice{'s' if notices['unread'] != 1 else ''}")
    for notice in notices["notices"]:
        say(f"  [{notice['severity']}] {_when(notice['created_at'])} {notice['title']}")
    waiting = [d for d in queue["deliveries"] if d["state"] != "sent"]
    if waiting:
        rows = [
            [d["title"], d["channel"], d["state"], str(d["attempts"]), _when(d["next_attempt_at"]), d["last_error"]]
            for d in waiting
        ]
        table("Deliveries not sent", ["Notice", "Channel", "State", "Tries", "Next try", "Last error"], rows)


@notify_app.command("test")
def notify_test(
    home: HomeOption = DEFAULT,
    channel: Annotated[
        ChannelChoice | None, typer.Option("--channel", help="Only this channel (default: every enabled one).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Send a test message now through the saved settings. Exit code 0 when every one was sent, 1 otherwise
    (the message says what failed: auth refused, TLS failed, connection refused, timeout...)."""
    with DaemonClient(home, as_json=as_json) as daemon:
        if channel is None:
            settings = daemon.call("GET", "/notifications/settings")
            chosen = [name for name in ("email", "webhook") if settings[name]["enabled"]] or ["email", "webhook"]
        else:
            chosen = [channel.value]
        results = [daemon.call("POST", "/notifications/test", json={"channel": name}) for name in chosen]
    if as_json:
        emit_json(results)
    else:
        for result in results:
            outcome = "sent" if result["ok"] else f"NOT SENT ({result['reason']}): {result['message']}"
            say(f"{result['channel'].capitalize()}: {outcome}")
    if not all(r["ok"] for r in results):
        raise CliExit(FAILED)
