"""Email by SMTP: STARTTLS (RFC 3207), implicit TLS (RFC 8314) or, to the LAN only, none; optional AUTH.
Blocking: the dispatcher runs it in a worker thread."""

from __future__ import annotations

import ipaddress
import smtplib
import socket
from email.message import EmailMessage

from homeport.notify.failures import DeliveryFailed, connection_failure
from homeport.notify.models import EmailSettings
from homeport.notify.tlspin import check_pin, client_context

TIMEOUT_SECONDS = 15.0


def is_lan_address(text: str) -> bool:
    """Loopback, private (RFC 1918, ULA) or link-local: where a plain-text connection stays inside the home."""
    try:
        address = ipaddress.ip_address(text.split("%", maxsplit=1)[0])
    except ValueError:
        return False
    return address.is_loopback or address.is_private or address.is_link_local


def _server_text(exc: smtplib.SMTPResponseException) -> str:
    error = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
    return f"{exc.smtp_code} {error}"[:200]


def _socket(smtp: smtplib.SMTP) -> socket.socket:
    if smtp.sock is None:
        raise DeliveryFailed("failed", "The SMTP connection closed unexpectedly.")
    return smtp.sock


def _connect(settings: EmailSettings, timeout: float) -> smtplib.SMTP:
    context = client_context(settings.fingerprint)
    if settings.security == "tls":
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(settings.host, settings.port, timeout=timeout, context=context)
        check_pin(_socket(smtp), settings.fingerprint)
        return smtp
    smtp = smtplib.SMTP(settings.host, settings.port, timeout=timeout)
    try:
        if settings.security == "none":
            peer = str(_socket(smtp).getpeername()[0])
            if not is_lan_address(peer):
                raise DeliveryFailed(
                    "not_local",
                    f"Unencrypted SMTP is only allowed to a server on this network, and {settings.host} is at "
                    f"{peer}. Choose STARTTLS or TLS.",
                )
            return smtp
        smtp.ehlo()
        if not smtp.has_extn("starttls"):
            raise DeliveryFailed(
                "tls_failed", "The server does not offer STARTTLS. Choose TLS (port 465) or another server."
            )
        smtp.starttls(context=context)
        check_pin(_socket(smtp), settings.fingerprint)
        return smtp
    except BaseException:
        smtp.close()
        raise


def send(
    settings: EmailSettings,
    password: str,
    message: EmailMessage,
    recipients: list[str],
    timeout: float = TIMEOUT_SECONDS,
) -> None:
    """Send `message`; raises DeliveryFailed with what went wrong (the password is never part of it)."""
    if not settings.host or not settings.from_address:
        raise DeliveryFailed("not_configured", "Email is not set up: enter the SMTP server and the sender's address.")
    if not recipients:
        raise DeliveryFailed(
            "no_recipients", "No enabled administrator has an email address. Add one on the administrator's page."
        )
    where = f"{settings.host}:{settings.port}"
    try:
        with _connect(settings, timeout) as smtp:
            smtp.ehlo_or_helo_if_needed()
            if settings.username:
                smtp.login(settings.username, password)
            smtp.send_message(message, settings.from_address, recipients)
    except DeliveryFailed:
        raise
    except smtplib.SMTPAuthenticationError as exc:
        raise DeliveryFailed(
            "auth_refused",
            f"The server refused the user name or password ({_server_text(exc)}). Check them in the email settings.",
        ) from None
    except smtplib.SMTPNotSupportedError:
        raise DeliveryFailed("auth_refused", "The server does not offer authentication on this connection.") from None
    except smtplib.SMTPRecipientsRefused as exc:
        raise DeliveryFailed("rejected", f"The server refused the recipients: {', '.join(exc.recipients)}.") from None
    except smtplib.SMTPResponseException as exc:
        raise DeliveryFailed("rejected", f"The server refused the message ({_server_text(exc)}).") from None
    except OSError as exc:
        raise connection_failure(exc, where, timeout) from None
    except smtplib.SMTPException as exc:
        raise DeliveryFailed("failed", f"Sending to {where} failed ({exc.__class__.__name__}).") from None
