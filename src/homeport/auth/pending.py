"""Sign-ins waiting for their second step, kept on the server (not in the browser).

The browser holds only a random token in a short-lived `__Host-` cookie, which no other route accepts as a
session. A waiting sign-in is bound to the address it came from, lasts five minutes, and is forgotten at a
restart (the owner then types the password again: nothing is skipped). One account may have several waiting
browsers, but their number is bounded, as is the whole table, so a flood cannot grow memory.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from homeport.core.clock import Clock
from homeport.core.ids import new_token, token_digest

PREAUTH_COOKIE = "__Host-homeport_preauth"
LIFETIME_SECONDS = 300
PER_ACCOUNT = 5
MAX_WAITING = 10_000

# The second-step methods, in the order a page offers them.
TOTP, RECOVERY_CODE, PASSKEY, APPROVAL = "totp", "recovery_code", "passkey", "approval"
METHODS = (PASSKEY, TOTP, APPROVAL, RECOVERY_CODE)


@dataclass
class Waiting:
    """A sign-in whose password (or nothing, for an enrolment) was right and whose second step is due."""

    digest: str
    user_id: int
    account: str
    client: str
    user_agent: str
    device_cookie: str | None
    remember_cookie: str | None
    methods: tuple[str, ...]
    must_enrol: bool  # the policy requires a factor and the account has none: it enrols now
    started: float
    expires: float
    data: dict[str, object] = field(default_factory=dict)  # per-method state (a WebAuthn challenge, ...)

    def seconds_left(self, now: float) -> int:
        return max(0, int(self.expires - now))


class WaitingSignIns:
    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._waiting: dict[str, Waiting] = {}

    def open(
        self,
        *,
        user_id: int,
        account: str,
        client: str,
        user_agent: str,
        device_cookie: str | None,
        remember_cookie: str | None,
        methods: tuple[str, ...],
        must_enrol: bool,
    ) -> tuple[str, Waiting]:
        token = new_token()
        now = self._clock.monotonic()
        waiting = Waiting(
            digest=token_digest(token), user_id=user_id, account=account, client=client, user_agent=user_agent,
            device_cookie=device_cookie, remember_cookie=remember_cookie, methods=methods, must_enrol=must_enrol,
            started=now, expires=now + LIFETIME_SECONDS,
        )  # fmt: skip
        with self._lock:
            self._drop_expired(now)
            mine = sorted((w for w in self._waiting.values() if w.user_id == user_id), key=lambda w: w.started)
            for old in mine[: max(0, len(mine) - PER_ACCOUNT + 1)]:
                self._waiting.pop(old.digest, None)
            if len(self._waiting) >= MAX_WAITING:
                oldest = min(self._waiting.values(), key=lambda w: w.started)
                self._waiting.pop(oldest.digest, None)
            self._waiting[waiting.digest] = waiting
        return token, waiting

    def find(self, token: str | None, client: str) -> Waiting | None:
        """The waiting sign-in of this cookie, if it is still current and from the same address."""
        if not token or len(token) > 100:
            return None
        now = self._clock.monotonic()
        with self._lock:
            waiting = self._waiting.get(token_digest(token))
            if waiting is None or waiting.expires <= now:
                self._waiting.pop(token_digest(token), None)
                return None
        return waiting if waiting.client == client else None

    def by_digest(self, digest: str) -> Waiting | None:
        now = self._clock.monotonic()
        with self._lock:
            waiting = self._waiting.get(digest)
        return waiting if waiting is not None and waiting.expires > now else None

    def close(self, waiting: Waiting) -> bool:
        """Done (or abandoned); True if it was still waiting, so only one completion wins."""
        with self._lock:
            return self._waiting.pop(waiting.digest, None) is not None

    def close_for_user(self, user_id: int) -> None:
        with self._lock:
            for digest in [d for d, w in self._waiting.items() if w.user_id == user_id]:
                del self._waiting[digest]

    def _drop_expired(self, now: float) -> None:
        for digest in [d for d, w in self._waiting.items() if w.expires <= now]:
            del self._waiting[digest]
