"""The WebAuthn ceremonies' server side: who the relying party is, the challenges waiting for an answer, the
options a browser is given, and the checks of its answer.

A challenge is 32 random bytes kept on the server, bound to one browser (its key: a session, a waiting
sign-in, or a short-lived cookie of its own), to the client address and to one purpose; it is taken on first
use and lasts two minutes. Attestation is `none`: the device trusts what the owner registers after proving
who they are, not a vendor's certificate. The `webauthn` package (py_webauthn) checks the answers; it is
imported on first use, since it pulls in OpenSSL bindings that an idle device does not need.
"""

from __future__ import annotations

import base64
import binascii
import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from homeport.core.clock import Clock
from homeport.core.errors import Busy, Unauthenticated

CHALLENGE_BYTES = 32
CHALLENGE_SECONDS = 120
MAX_CHALLENGES = 10_000
PER_CLIENT = 16  # challenges one address may have waiting: a stranger's flood only evicts its own
TIMEOUT_MS = CHALLENGE_SECONDS * 1000
RP_NAME = "Homeport"
ES256, EDDSA, RS256 = -7, -8, -257  # COSE algorithms, the widely supported first

# Purposes a challenge is made for: the answer must come back to the same one.
REGISTER, ENROL, SIGN_IN, SECOND_STEP, PROOF = "register", "enrol", "sign-in", "second-step", "proof"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def from_b64url(text: str) -> bytes:
    """Base64url without padding (as WebAuthn writes it); ValueError when it is not."""
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ValueError("not base64url") from exc


@dataclass(frozen=True)
class RelyingParty:
    """The name passkeys are bound to (`<label>.local`) and the web origin the browser shows for it."""

    rp_id: str
    origin: str


@dataclass(frozen=True)
class Challenge:
    value: bytes
    purpose: str
    rp: RelyingParty
    client: str
    expires: float
    user_id: int | None = None


class PasskeyRefused(Unauthenticated):
    """An answer that does not pass; `reason` is a fixed phrase (never text the browser sent)."""

    def __init__(self, reason: str, *, counter: bool = False) -> None:
        super().__init__(
            f"This passkey was not accepted: {reason}. Try again, or use another way to sign in.",
            code="passkey_refused",
        )
        self.reason = reason
        self.counter = counter  # the signature counter went backwards: maybe a copied authenticator


class Challenges:
    """Challenges waiting for their answer, in memory, bounded (a flood of requests cannot grow it)."""

    def __init__(self, clock: Clock, limit: int = MAX_CHALLENGES) -> None:
        self._clock = clock
        self._limit = limit
        self._lock = threading.Lock()
        self._waiting: OrderedDict[str, Challenge] = OrderedDict()

    def new(self, key: str, purpose: str, rp: RelyingParty, client: str, user_id: int | None = None) -> Challenge:
        """A fresh challenge for `key`, replacing any earlier one of it."""
        now = self._clock.monotonic()
        challenge = Challenge(
            secrets.token_bytes(CHALLENGE_BYTES), purpose, rp, client, now + CHALLENGE_SECONDS, user_id
        )
        with self._lock:
            self._waiting.pop(key, None)
            while self._waiting and next(iter(self._waiting.values())).expires <= now:
                self._waiting.popitem(last=False)
            mine = [k for k, c in self._waiting.items() if c.client == client]
            for old in mine[: max(0, len(mine) - PER_CLIENT + 1)]:
                del self._waiting[old]  # this address's oldest goes first, nobody else's
            if len(self._waiting) >= self._limit:
                raise Busy("Too many passkey requests are waiting right now; try again in a minute.", retry_after=60)
            self._waiting[key] = challenge
        return challenge

    def take(self, key: str, purpose: str, rp: RelyingParty, client: str) -> Challenge:
        """The challenge for this answer, removed whatever the outcome (single use); a refusal otherwise."""
        with self._lock:
            challenge = self._waiting.pop(key, None)
        if challenge is None or challenge.purpose != purpose or challenge.client != client:
            raise PasskeyRefused("it answers no request of this browser (or one answered already)")
        if challenge.expires <= self._clock.monotonic():
            raise PasskeyRefused("the request was more than 2 minutes old")
        if challenge.rp != rp:
            raise PasskeyRefused("the request was made on another web address of the device")
        return challenge

    def __len__(self) -> int:
        with self._lock:
            return len(self._waiting)


# --- options given to the browser (PublicKeyCredentialCreationOptions / RequestOptions as JSON) ---------------


def creation_options(
    challenge: Challenge, user_handle: bytes, account: str, display: str, exclude: list[str]
) -> dict[str, Any]:
    return {
        "rp": {"id": challenge.rp.rp_id, "name": RP_NAME},
        "user": {"id": b64url(user_handle), "name": account, "displayName": display or account},
        "challenge": b64url(challenge.value),
        "pubKeyCredParams": [{"type": "public-key", "alg": alg} for alg in (ES256, EDDSA, RS256)],
        "timeout": TIMEOUT_MS,
        "excludeCredentials": [{"type": "public-key", "id": c} for c in exclude],
        "authenticatorSelection": {
            "residentKey": "preferred",
            "requireResidentKey": False,
            "userVerification": "preferred",
        },
        "attestation": "none",
    }


def request_options(challenge: Challenge, allow: list[tuple[str, list[str]]], verification: str) -> dict[str, Any]:
    """`allow`: credential ids with their transports (empty: the authenticator offers its own passkeys)."""
    return {
        "challenge": b64url(challenge.value),
        "timeout": TIMEOUT_MS,
        "rpId": challenge.rp.rp_id,
        "allowCredentials": [{"type": "public-key", "id": c, **({"transports": t} if t else {})} for c, t in allow],
        "userVerification": verification,
    }


# --- checking the answers ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewCredential:
    credential_id: str  # base64url
    public_key: bytes  # COSE
    sign_count: int
    user_verified: bool


@dataclass(frozen=True)
class Assertion:
    sign_count: int
    user_verified: bool


# The library's messages (by how they begin), mapped to what the owner reads: its own text may quote what the
# browser sent.
_REASONS = (
    ("client data challenge", "it answers another (or an old) request"),
    ("unexpected client data origin", "it was made on another web address"),
    ("unexpected rp id hash", "it belongs to another device name"),
    ("user was not present", "the authenticator did not see you (no touch)"),
    ("user presence was required", "the authenticator did not see you (no touch)"),
    ("user verification is required", "the authenticator did not verify you (PIN, fingerprint or face)"),
    ("response sign count", "its signature counter went backwards (the key may have been copied)"),
)


def _refusal(exc: Exception) -> PasskeyRefused:
    text = str(exc).lower()
    for start, reason in _REASONS:
        if text.startswith(start):
            return PasskeyRefused(reason, counter=start == "response sign count")
    return PasskeyRefused("its signature or format is wrong")


def verify_new(credential: dict[str, Any], challenge: Challenge) -> NewCredential:
    """A registration answer (navigator.credentials.create) for this challenge."""
    # Imported here: the package pulls in OpenSSL bindings (about 6 MB) that an idle device never needs.
    import webauthn
    from webauthn.helpers.exceptions import WebAuthnException

    try:
        verified = webauthn.verify_registration_response(
            credential=credential, expected_challenge=challenge.value, expected_rp_id=challenge.rp.rp_id,
            expected_origin=challenge.rp.origin, require_user_verification=False,
            supported_pub_key_algs=_algorithms(),
        )  # fmt: skip
    except (WebAuthnException, ValueError, KeyError, TypeError) as exc:  # a malformed answer too (4xx, never 500)
        raise _refusal(exc) from None
    _check_public_key(verified.credential_public_key)
    return NewCredential(
        credential_id=b64url(verified.credential_id), public_key=verified.credential_public_key,
        sign_count=verified.sign_count, user_verified=verified.user_verified,
    )  # fmt: skip


def verify_assertion(
    credential: dict[str, Any], challenge: Challenge, public_key: bytes, sign_count: int, *, require_uv: bool
) -> Assertion:
    """An authentication answer (navigator.credentials.get) for this challenge, by this stored credential."""
    import webauthn
    from webauthn.helpers.exceptions import WebAuthnException

    try:
        verified = webauthn.verify_authentication_response(
            credential=credential, expected_challenge=challenge.value, expected_rp_id=challenge.rp.rp_id,
            expected_origin=challenge.rp.origin, credential_public_key=public_key,
            credential_current_sign_count=sign_count, require_user_verification=require_uv,
        )  # fmt: skip
    except (WebAuthnException, ValueError, KeyError, TypeError) as exc:  # a malformed answer too (4xx, never 500)
        raise _refusal(exc) from None
    return Assertion(sign_count=verified.new_sign_count, user_verified=verified.user_verified)


def _check_public_key(public_key: bytes) -> None:
    """The key a registration brings must load as a key (not the EC point (0, 0), an RSA modulus of 1, ...): it
    is what every later sign-in is checked against."""
    from webauthn.helpers import decode_credential_public_key, decoded_public_key_to_cryptography

    try:
        decoded_public_key_to_cryptography(decode_credential_public_key(public_key))
    except Exception as exc:  # whatever the decoders raise for a key that is not one
        raise PasskeyRefused("its public key is not a valid key") from exc


def _algorithms() -> list[Any]:
    from webauthn.helpers.cose import COSEAlgorithmIdentifier

    return [COSEAlgorithmIdentifier(alg) for alg in (ES256, EDDSA, RS256)]
