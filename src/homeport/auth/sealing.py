"""Secrets at rest: sealed with AES-GCM under a key kept in a 0600 file in the home, outside the database.

A copy of the database alone (a backup, a disk sent for repair) then reveals no one-time code secret. Each sealed
value carries its account and purpose as associated data, so a value moved to another account or field fails to
open. What only needs comparing (recovery codes, remembered-browser tokens) is kept as a keyed digest made with
a subkey of the same key. The key never leaves the home: a Mode 2 configuration backup on a volume holds no key,
so it stays restorable (accounts, groups, settings) while second factors come back empty, as passwords of
administrators do: each account enrols again at its next sign-in when the policy asks for one.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
from pathlib import Path
from typing import TYPE_CHECKING

from homeport.core import pycryptodome
from homeport.core.errors import Conflict

if TYPE_CHECKING:
    from Crypto.Cipher._mode_gcm import GcmMode

KEY_FILE = "secrets.key"
KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16


class SealedSecretUnreadable(Conflict):
    """A sealed value does not open with this device's key (another key, or tampered with): the account's other
    methods, a recovery code or an administrator's "remove second factors" still work."""

    code = "sealed_secret_unreadable"


def load_or_create_key(path: Path) -> bytes:
    """The key in `path`, made (0600, written once, never replaced) when there is none."""
    with contextlib.suppress(FileNotFoundError):
        key = path.read_bytes()
        if len(key) != KEY_BYTES:
            raise SealedSecretUnreadable(f"{path} is not a Homeport key ({len(key)} bytes); restore it from a backup.")
        return key
    key = os.urandom(KEY_BYTES)
    temporary = path.with_name(f".{path.name}.new")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    try:
        os.write(fd, key)
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(temporary, path)  # fails if another process made one first: theirs is kept
    except FileExistsError:
        os.unlink(temporary)
        return load_or_create_key(path)
    os.unlink(temporary)
    return key


def _gcm(key: bytes, nonce: bytes) -> GcmMode:
    # pycryptodome (also the file service's MD4): loaded when a secret is first sealed or opened, and ~10 MB
    # lighter in the daemon than cryptography's native module.
    pycryptodome.load()
    from Crypto.Cipher import AES

    return AES.new(key, AES.MODE_GCM, nonce=nonce, mac_len=TAG_BYTES)


class Sealer:
    def __init__(self, key: bytes) -> None:
        self._key = key
        # A subkey for digests (HMAC as the PRF of a one-block HKDF-Expand, RFC 5869 section 2.3): digests and
        # sealed values never share a key.
        self._digest_key = hmac.new(key, b"homeport digest\x01", hashlib.sha256).digest()

    @classmethod
    def in_home(cls, home_root: Path) -> Sealer:
        return cls(load_or_create_key(home_root / KEY_FILE))

    @staticmethod
    def _context(user_id: int, purpose: str) -> bytes:
        return f"homeport:{purpose}:{user_id}".encode()

    def seal(self, plaintext: bytes, *, user_id: int, purpose: str) -> bytes:
        """nonce (12 bytes) + ciphertext + tag (16 bytes): AES-256-GCM's usual layout."""
        nonce = os.urandom(NONCE_BYTES)
        cipher = _gcm(self._key, nonce)
        cipher.update(self._context(user_id, purpose))
        ciphertext, tag = cipher.encrypt_and_digest(plaintext)
        return nonce + ciphertext + tag

    def open(self, sealed: bytes, *, user_id: int, purpose: str) -> bytes:
        try:
            if len(sealed) < NONCE_BYTES + TAG_BYTES:
                raise ValueError("too short")
            cipher = _gcm(self._key, sealed[:NONCE_BYTES])
            cipher.update(self._context(user_id, purpose))
            body, tag = sealed[NONCE_BYTES:-TAG_BYTES], sealed[-TAG_BYTES:]
            return bytes(cipher.decrypt_and_verify(body, tag))
        except Exception as exc:  # a wrong tag (another key, tampered with), or a value too short
            raise SealedSecretUnreadable(
                f"A stored {purpose} secret does not open with this device's key (secrets.key in the home was "
                "replaced?). Use another sign-in method or a recovery code, or ask an administrator to remove your "
                "second factors and set them up again."
            ) from exc

    def digest(self, value: str, *, user_id: int, purpose: str) -> str:
        """A keyed digest: comparable, not reversible, and useless without the key file."""
        message = self._context(user_id, purpose) + b"\0" + value.encode()
        return hmac.new(self._digest_key, message, hashlib.sha256).hexdigest()
