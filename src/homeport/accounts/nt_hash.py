"""The NT hash SMB clients sign in with: MD4 of the password as UTF-16LE, exactly as typed.

Not normalised: an SMB client sends the code points the owner typed, while the console's Argon2id hash is made from
the NFKC form (accounts/policy.py). Both come from the one plaintext given when the password is set.
"""

from __future__ import annotations

from homeport.core import pycryptodome

NT_HASH_BYTES = 16


def nt_hash(password: str) -> bytes:
    # hashlib's MD4 is gone under OpenSSL 3; pycryptodome's agrees with Samba, beyond the BMP too.
    pycryptodome.load()
    from Crypto.Hash import MD4

    # MD4 is what SMB (NTLMv2) signs in with; Homeport keeps it sealed, and it is never used for anything else.
    return bytes(MD4.new(password.encode("utf-16-le", "surrogatepass")).digest())  # noqa: S303
