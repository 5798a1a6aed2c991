"""The webhook: one JSON POST per notice, 10 s timeout, no redirect followed, the answer's body ignored (at most
4 KiB read). Blocking: the dispatcher runs it in a worker thread."""

from __future__ import annotations

import http.client
import socket
from urllib.parse import urlsplit

from homeport import __version__
from homeport.notify.failures import DeliveryFailed, connection_failure
from homeport.notify.smtp import is_lan_address
from homeport.notify.tlspin import check_pin, client_context

TIMEOUT_SECONDS = 10.0
BODY_READ_MAX = 4096


def where(url: str) -> str:
    """The server part of the address only: the path may hold a secret (many services put one there)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or ''}{f':{parts.port}' if parts.port else ''}"


def refuse_plain_http_off_network(sock: socket.socket, server: str) -> None:
    """Checked on the connected peer, after any name lookup: the token must not leave the home unencrypted."""
    peer = str(sock.getpeername()[0])
    if not is_lan_address(peer):
        raise DeliveryFailed(
            "not_local",
            f"Plain http:// is only allowed to a server on this network, and {server} is at {peer}. "
            "Use an https:// address.",
        )


def post(url: str, body: bytes, token: str, fingerprint: str, timeout: float = TIMEOUT_SECONDS) -> int:
    """POST `body`; the HTTP status on success (2xx), DeliveryFailed otherwise."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    server = where(url)
    if parts.scheme == "https":
        conn: http.client.HTTPConnection = http.client.HTTPSConnection(
            host, parts.port, timeout=timeout, context=client_context(fingerprint)
        )
    else:
        conn = http.client.HTTPConnection(host, parts.port, timeout=timeout)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": f"Homeport/{__version__}",
    }
    if token:
        headers["Authorization"] = f"Bearer {token}"
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        conn.connect()
        if conn.sock is not None:
            check_pin(conn.sock, fingerprint)
            if parts.scheme != "https":
                refuse_plain_http_off_network(conn.sock, server)
        conn.request("POST", target, body=body, headers=headers)
        response = conn.getresponse()
        response.read(BODY_READ_MAX)
        status = response.status
    except DeliveryFailed:
        raise
    except OSError as exc:
        raise connection_failure(exc, server, timeout) from None
    except http.client.HTTPException as exc:
        raise DeliveryFailed("failed", f"Posting to {server} failed ({exc.__class__.__name__}).") from None
    finally:
        conn.close()
    if 200 <= status < 300:
        return status
    if 300 <= status < 400:
        raise DeliveryFailed(
            "redirect", f"{server} answered {status} (a redirect), which is not followed: enter the final address."
        )
    if status in (401, 403):
        raise DeliveryFailed("auth_refused", f"{server} refused the token ({status}). Check the token in the settings.")
    raise DeliveryFailed("http_status", f"{server} answered {status}.")
