"""The recovery passphrase wraps the backups' private key; key material sealed to the public key opens only with it."""

from __future__ import annotations

import base64
import json

import pytest

from homeport.backups.keys import WrapParameters, make_recipient, open_material, passphrase_opens, seal_material
from homeport.core.errors import InvalidInput

CHEAP = WrapParameters(memory_kib=64, time_cost=1)
PHRASE = "correct kettle harbour lamp"


def test_the_passphrase_wraps_and_unwraps_and_the_store_keeps_no_secret() -> None:
    recipient = make_recipient(PHRASE, CHEAP)
    assert passphrase_opens(recipient, PHRASE) and not passphrase_opens(recipient, PHRASE + "!")
    assert PHRASE not in json.dumps(recipient)
    wrapped = recipient["wrapped_private_key"]
    assert wrapped["kdf"] == "argon2id" and wrapped["memory_kib"] == 64 and len(base64.b64decode(wrapped["salt"])) == 16
    again = make_recipient(PHRASE, CHEAP)
    assert again["public_key"] != recipient["public_key"] and again["wrapped_private_key"]["salt"] != wrapped["salt"]


def test_sealed_material_opens_with_the_passphrase_only() -> None:
    recipient = make_recipient(PHRASE, CHEAP)
    material = {"secrets.key": bytes(range(32)), "tls/ca.key": b"-----BEGIN PRIVATE KEY-----"}
    sealed = seal_material(recipient, material)
    assert bytes(range(32)) not in sealed and b"PRIVATE KEY" not in sealed
    assert open_material(sealed, PHRASE) == material
    with pytest.raises(InvalidInput) as wrong:
        open_material(sealed, "another passphrase entirely")
    assert "passphrase" in wrong.value.fields and "does not open" in wrong.value.message


def test_tampered_or_damaged_key_files_fail_cleanly() -> None:
    sealed = json.loads(seal_material(make_recipient(PHRASE, CHEAP), {"secrets.key": b"k" * 32}))
    body = bytearray(base64.b64decode(sealed["ciphertext"]))
    body[0] ^= 1
    sealed["ciphertext"] = base64.b64encode(bytes(body)).decode()
    with pytest.raises(InvalidInput, match="damaged"):
        open_material(json.dumps(sealed).encode(), PHRASE)
    with pytest.raises(InvalidInput, match="damaged"):
        open_material(b"not json", PHRASE)


def test_a_short_passphrase_is_refused_with_what_to_do() -> None:
    with pytest.raises(InvalidInput) as short:
        make_recipient("too short", CHEAP)
    assert "at least 12 characters" in short.value.fields["passphrase"]
