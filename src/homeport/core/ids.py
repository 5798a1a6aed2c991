"""Random identifiers and secrets, all from `secrets` (ASVS 7.2.3: session tokens of at least 128 bits)."""

from __future__ import annotations

import hashlib
import hmac
import secrets

_SERIAL_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud from a sticker


def new_token() -> str:
    """A 256-bit bearer secret, URL-safe."""
    return secrets.token_urlsafe(32)


def new_id() -> str:
    """A public 128-bit identifier (e.g. a session's id, which is not its token)."""
    return secrets.token_hex(16)


def token_digest(token: str) -> str:
    """What the store keeps of a bearer token: a stolen database must not yield usable sessions."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def same_secret(a: str, b: str) -> bool:
    """Constant-time comparison of two secrets."""
    return hmac.compare_digest(a.encode("utf-8", "surrogatepass"), b.encode("utf-8", "surrogatepass"))


def new_serial() -> str:
    """A device serial number such as `HP7K2M9QX4TB`: generated once, kept for the life of the home."""
    return "HP" + "".join(secrets.choice(_SERIAL_ALPHABET) for _ in range(10))
