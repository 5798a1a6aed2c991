"""Why a message could not be sent: a stable reason for scripts and a sentence that says what to do. Neither
ever holds a secret (the password, the token) or the full webhook address (its path may be a secret)."""

from __future__ import annotations

from typing import Literal

Reason = Literal[
    "not_configured",
    "no_recipients",
    "auth_refused",
    "tls_failed",
    "connection_refused",
    "timeout",
    "name_not_found",
    "not_local",
    "rejected",
    "redirect",
    "http_status",
    "secret_unreadable",
    "failed",
]


class DeliveryFailed(Exception):
    def __init__(self, reason: Reason, message: str) -> None:
        super().__init__(message)
        self.reason: Reason = reason
        self.message = message

    def __str__(self) -> str:
        return self.message


def connection_failure(exc: OSError, server: str, timeout: float) -> DeliveryFailed:
    """A failed connection as what the owner can act on (TLS, refused, no answer, unknown name)."""
    import socket
    import ssl

    if isinstance(exc, ssl.SSLCertVerificationError):
        return DeliveryFailed(
            "tls_failed",
            f"TLS with {server} failed: its certificate is not trusted ({exc.verify_message}). If the server uses a "
            "self-signed certificate, accept it by its SHA-256 fingerprint in the settings.",
        )
    if isinstance(exc, ssl.SSLError):
        return DeliveryFailed("tls_failed", f"TLS with {server} failed ({exc.reason or exc.__class__.__name__}).")
    if isinstance(exc, ConnectionRefusedError):
        return DeliveryFailed("connection_refused", f"{server} refused the connection: is it the right port?")
    if isinstance(exc, TimeoutError):
        return DeliveryFailed("timeout", f"{server} did not answer within {timeout:.0f} s.")
    if isinstance(exc, socket.gaierror):
        return DeliveryFailed("name_not_found", f"The name in {server} could not be resolved.")
    return DeliveryFailed("failed", f"The connection to {server} failed ({exc.__class__.__name__}).")
