"""Canary credentials: made by the running release, verified by the new one with its own code, before the switch.

A dependency that starts refusing credentials the old code made (a password-hashing library's new major version,
a changed TOTP rounding, a COSE parser that no longer reads a stored key, a sealing change) is caught here, on
fresh test credentials, never on a real account. Every kind is checked, whether or not an account uses it yet:
an account may enrol one tomorrow. Argon2id is checked at every parameter set found in the store.

The file holds test secrets only (random, made for this check) and lives 0600 in the update's private folder,
deleted after the check.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import sqlite3
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import argon2

from homeport.accounts.credentials import NT_HASH_PURPOSE
from homeport.accounts.nt_hash import nt_hash
from homeport.accounts.passwords import Argon2Parameters, encode_password
from homeport.auth.sealing import Sealer
from homeport.core.atomic import write_atomic
from homeport.core.ids import new_token

TOTP_TIMES = (59.0, 1_111_111_109.0, 2_000_000_000.0)  # RFC 6238 appendix B's first times, and one past 2033
CANARY_USER_ID = 0  # no account has id 0: the sealed canary cannot be mistaken for an account's value
CANARY_RP_ID = "canary.homeport.invalid"
CANARY_ORIGIN = "https://canary.homeport.invalid"
UP_UV = 0x05


@dataclass(frozen=True)
class CanaryProblem:
    check: str
    detail: str

    def as_dict(self) -> dict[str, str]:
        return {"check": self.check, "detail": self.detail}


def parameter_sets(conn: sqlite3.Connection, configured: Argon2Parameters) -> list[tuple[int, int, int]]:
    """(m, t, p) of every Argon2id hash in the store, and the ones new passwords get."""
    found = {(configured.memory_kib, configured.time_cost, configured.parallelism)}
    for (encoded,) in conn.execute("SELECT password_hash FROM users WHERE password_hash IS NOT NULL"):
        try:
            params = argon2.extract_parameters(encoded)
        except (argon2.exceptions.InvalidHashError, ValueError):
            continue
        if params.type is argon2.Type.ID:
            found.add((params.memory_cost, params.time_cost, params.parallelism))
    return sorted(found)


def make_canaries(conn: sqlite3.Connection, sealer: Sealer, configured: Argon2Parameters) -> dict[str, Any]:
    """One fresh test credential of every kind, with what the new release must find when it checks it."""
    password = f"Canary {new_token()} \u00e9t\u00e9"  # non-ASCII: NFKC and UTF-16 paths are exercised too
    argon = []
    for memory, time_cost, parallelism in parameter_sets(conn, configured):
        hasher = argon2.PasswordHasher(
            time_cost=time_cost, memory_cost=memory, parallelism=parallelism, hash_len=32, salt_len=16,
            type=argon2.Type.ID,
        )  # fmt: skip
        argon.append({"params": [memory, time_cost, parallelism], "hash": hasher.hash(encode_password(password))})
    secret = base64.b32encode(os.urandom(20)).decode()
    import pyotp

    totp = pyotp.TOTP(secret, digits=6, interval=30)
    nt = nt_hash(password)
    return {
        "password": password,
        "argon2id": argon,
        "totp": {"secret": secret, "codes": [[at, totp.at(at)] for at in TOTP_TIMES]},
        "passkey": _passkey_canary(),
        "nt_hash": {
            "hex": nt.hex(),
            "sealed": base64.b64encode(sealer.seal(nt, user_id=CANARY_USER_ID, purpose=NT_HASH_PURPOSE)).decode(),
        },
    }


def write_canaries(path: Path, canaries: dict[str, Any]) -> None:
    write_atomic(path, json.dumps(canaries).encode(), 0o600)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _cose_p256(x: bytes, y: bytes) -> bytes:
    """The COSE_Key of an ES256 public key, CBOR by hand: {1: 2, 3: -7, -1: 1, -2: x, -3: y} (RFC 9053 7.1.1)."""
    return b"\xa5\x01\x02\x03\x26\x20\x01\x21\x58\x20" + x + b"\x22\x58\x20" + y


def _passkey_canary() -> dict[str, Any]:
    """A P-256 key in the store's format (COSE) and an assertion it signed, as a platform authenticator would."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    numbers = key.public_key().public_numbers()
    challenge = os.urandom(32)
    credential_id = os.urandom(32)
    auth_data = hashlib.sha256(CANARY_RP_ID.encode()).digest() + bytes([UP_UV]) + struct.pack(">I", 7)
    client_data = json.dumps(
        {"type": "webauthn.get", "challenge": _b64url(challenge), "origin": CANARY_ORIGIN, "crossOrigin": False}
    ).encode()
    signature = key.sign(auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256()))
    return {
        "public_key": base64.b64encode(
            _cose_p256(numbers.x.to_bytes(32, "big"), numbers.y.to_bytes(32, "big"))
        ).decode(),
        "challenge": base64.b64encode(challenge).decode(),
        "sign_count": 6,
        "credential": {
            "id": _b64url(credential_id),
            "rawId": _b64url(credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": _b64url(client_data),
                "authenticatorData": _b64url(auth_data),
                "signature": _b64url(signature),
            },
            "clientExtensionResults": {},
        },
    }
