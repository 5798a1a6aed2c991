"""The recovery passphrase and the key material a backup carries, sealed so the device never needs the passphrase
again after it is set.

Setting the passphrase makes an X25519 key pair: the public key stays in the store; the private key is kept only
wrapped (AES-256-GCM under a key derived from the passphrase with Argon2id, random salt, parameters recorded) and
that wrapped copy travels in every backup. Each backup's key material is sealed to the public key: an ephemeral
X25519 exchange, HKDF-SHA256, AES-256-GCM (an ECIES/HPKE-style box). Opening it takes the passphrase and nothing
from this device, so a backup restores on replacement hardware.
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from argon2.low_level import Type, hash_secret_raw

from homeport.core.errors import InvalidInput

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

# `cryptography` is imported where a key is made or opened: the daemon does not load its native module (~10 MB,
# see auth/sealing.py) until the owner sets a passphrase or a backup seals its keys.

KEYS_FORMAT = 1
PASSPHRASE_MIN = 12
PASSPHRASE_MAX = 1024
WRAP_CONTEXT = b"homeport backup passphrase wrap v1"
BOX_CONTEXT = b"homeport backup keys v1"


@dataclass(frozen=True)
class WrapParameters:
    """Argon2id for the passphrase: above OWASP's floor, as it guards every backup's keys (RFC 9106 4.)."""

    memory_kib: int = 65_536
    time_cost: int = 3
    parallelism: int = 1

    def as_dict(self) -> dict[str, int]:
        return {"memory_kib": self.memory_kib, "time_cost": self.time_cost, "parallelism": self.parallelism}


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _unb64(text: object) -> bytes:
    if not isinstance(text, str):
        raise ValueError("not base64 text")
    return base64.b64decode(text, validate=True)


def check_passphrase(passphrase: str) -> bytes:
    encoded = passphrase.encode()
    if len(passphrase) < PASSPHRASE_MIN:
        raise InvalidInput.field(
            "passphrase", f"Choose a recovery passphrase of at least {PASSPHRASE_MIN} characters (a few words)."
        )
    if len(encoded) > PASSPHRASE_MAX:
        raise InvalidInput.field("passphrase", f"Use at most {PASSPHRASE_MAX} bytes.")
    return encoded


def _derive(passphrase: bytes, salt: bytes, params: dict[str, Any]) -> bytes:
    return hash_secret_raw(
        passphrase,
        salt,
        time_cost=int(params["time_cost"]),
        memory_cost=int(params["memory_kib"]),
        parallelism=int(params["parallelism"]),
        hash_len=32,
        type=Type.ID,
    )


def make_recipient(passphrase: str, params: WrapParameters | None = None) -> dict[str, Any]:
    """A new key pair for the backups: what the store keeps (public key, wrapped private key; no secret)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    encoded = check_passphrase(passphrase)
    chosen = (params or WrapParameters()).as_dict()
    private = X25519PrivateKey.generate()
    raw_private = private.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    salt, nonce = os.urandom(16), os.urandom(12)
    wrapped = AESGCM(_derive(encoded, salt, chosen)).encrypt(nonce, raw_private, WRAP_CONTEXT)
    public = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return {
        "format": KEYS_FORMAT,
        "public_key": _b64(public),
        "wrapped_private_key": {
            "kdf": "argon2id",
            **chosen,
            "salt": _b64(salt),
            "nonce": _b64(nonce),
            "ciphertext": _b64(wrapped),
        },
    }


def _box_key(shared: bytes, ephemeral: bytes, recipient: bytes) -> bytes:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    return HKDF(algorithm=hashes.SHA256(), length=32, salt=ephemeral + recipient, info=BOX_CONTEXT).derive(shared)


def seal_material(recipient: dict[str, Any], material: dict[str, bytes]) -> bytes:
    """The `keys.json` of a backup: `material` (file name -> bytes) sealed to the recipient's public key, with
    the wrapped private key beside it so the passphrase alone opens it."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    public = _unb64(recipient["public_key"])
    ephemeral = X25519PrivateKey.generate()
    ephemeral_public = ephemeral.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    key = _box_key(ephemeral.exchange(X25519PublicKey.from_public_bytes(public)), ephemeral_public, public)
    nonce = os.urandom(12)
    plaintext = json.dumps({name: _b64(data) for name, data in sorted(material.items())}).encode()
    document = {
        "format": KEYS_FORMAT,
        "public_key": recipient["public_key"],
        "wrapped_private_key": recipient["wrapped_private_key"],
        "ephemeral_public_key": _b64(ephemeral_public),
        "nonce": _b64(nonce),
        "ciphertext": _b64(AESGCM(key).encrypt(nonce, plaintext, BOX_CONTEXT)),
        "holds": sorted(material),
    }
    return json.dumps(document, sort_keys=True, indent=2).encode()


class WrongPassphrase(InvalidInput):
    """The passphrase does not open the wrapped key (a damaged record reads alike; checksums tell those apart)."""


def unwrap_private_key(wrapped: dict[str, Any], passphrase: str) -> X25519PrivateKey:
    """The private key, or a clear refusal: a wrong passphrase and a damaged record read alike (AES-GCM's tag)."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    try:
        salt, nonce, ciphertext = (_unb64(wrapped[k]) for k in ("salt", "nonce", "ciphertext"))
        if wrapped.get("kdf") != "argon2id":
            raise ValueError("unknown key derivation")
        key = _derive(passphrase.encode(), salt, wrapped)
        raw = AESGCM(key).decrypt(nonce, ciphertext, WRAP_CONTEXT)
        return X25519PrivateKey.from_private_bytes(raw)
    except (InvalidTag, KeyError, ValueError, TypeError) as exc:
        raise WrongPassphrase.field(
            "passphrase", "This recovery passphrase does not open the keys (check it, or restore without keys)."
        ) from exc


def open_material(document: bytes, passphrase: str) -> dict[str, bytes]:
    """A backup's key material, opened with the recovery passphrase that was set when the backup was made."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    try:
        sealed = json.loads(document)
        wrapped = sealed["wrapped_private_key"]
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidInput.field("passphrase", "The backup's key file is damaged: its keys cannot be read.") from exc
    private = unwrap_private_key(wrapped, passphrase)
    try:
        ephemeral = _unb64(sealed["ephemeral_public_key"])
        public = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        shared = private.exchange(X25519PublicKey.from_public_bytes(ephemeral))
        plaintext = AESGCM(_box_key(shared, ephemeral, public)).decrypt(
            _unb64(sealed["nonce"]), _unb64(sealed["ciphertext"]), BOX_CONTEXT
        )
        return {name: _unb64(value) for name, value in json.loads(plaintext).items()}
    except (InvalidTag, KeyError, ValueError, TypeError) as exc:
        raise InvalidInput.field("passphrase", "The backup's key file is damaged: its keys cannot be read.") from exc


def passphrase_opens(recipient: dict[str, Any], passphrase: str) -> bool:
    try:
        unwrap_private_key(recipient["wrapped_private_key"], passphrase)
    except InvalidInput:
        return False
    return True
