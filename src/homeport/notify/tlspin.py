"""TLS for the channels: the system's trust store, or one self-signed certificate the owner accepted by its
SHA-256 fingerprint (as an SSH host key is accepted)."""

from __future__ import annotations

import hashlib
import re
import socket
import ssl

from homeport.notify.failures import DeliveryFailed

_HEX64 = re.compile(r"[0-9a-f]{64}")


def normalise_fingerprint(text: str) -> str | None:
    """`AB:CD:...` or `abcd...` as 64 lower-case hex digits; "" stays ""; None if it is not a SHA-256 fingerprint."""
    cleaned = re.sub(r"[\s:]", "", text).lower()
    if cleaned.startswith("sha256"):
        cleaned = cleaned[6:].lstrip("=")
    if not cleaned:
        return ""
    return cleaned if _HEX64.fullmatch(cleaned) else None


def shown(fingerprint: str) -> str:
    """As certificate viewers show it: AB:CD:..."""
    return ":".join(fingerprint[i : i + 2] for i in range(0, len(fingerprint), 2)).upper()


def client_context(fingerprint: str) -> ssl.SSLContext:
    """Verified by the trust store and the host name; with a fingerprint, that certificate alone is accepted
    (checked by `check_pin` right after the handshake, before anything secret is sent)."""
    context = ssl.create_default_context()
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if fingerprint:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def peer_fingerprint(sock: socket.socket) -> str:
    if not isinstance(sock, ssl.SSLSocket):
        return ""
    der = sock.getpeercert(binary_form=True)
    return hashlib.sha256(der).hexdigest() if der else ""


def check_pin(sock: socket.socket, fingerprint: str) -> None:
    if not fingerprint:
        return
    presented = peer_fingerprint(sock)
    if presented != fingerprint:
        raise DeliveryFailed(
            "tls_failed",
            "The server's certificate is not the one accepted in the settings (it presented SHA-256 "
            f"{shown(presented) or 'none'}). If the server's certificate was replaced, accept the new fingerprint.",
        )
