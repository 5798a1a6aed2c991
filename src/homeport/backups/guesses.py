"""Wrong recovery passphrases, counted per client (a browser's address, or `local` for root on the socket):
a verify with a passphrase is an oracle for it, so after a few wrong ones each further guess waits longer
(2 s, doubling, at most 15 minutes). A right passphrase clears the count; a quiet day forgets it."""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass

from homeport.core.clock import Clock
from homeport.core.errors import TooManyAttempts

FREE_FAILURES = 3
MAX_WAIT_SECONDS = 15 * 60
FORGET_AFTER_SECONDS = 24 * 3600
MAX_TRACKED = 10_000


@dataclass
class _Record:
    failures: int = 0
    last: float = 0.0
    until: float = 0.0


def wait_after(failures: int) -> float:
    """Seconds before the next guess after `failures` wrong ones in a row."""
    if failures <= FREE_FAILURES:
        return 0.0
    return float(min(2 ** (failures - FREE_FAILURES), MAX_WAIT_SECONDS))


class PassphraseGuesses:
    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._records: dict[str, _Record] = {}
        self._lock = threading.Lock()

    def check(self, client: str) -> None:
        """TooManyAttempts while `client` must wait; nothing is hashed before this passes."""
        now = self._clock.monotonic()
        with self._lock:
            record = self._records.get(client)
            if record is not None and now - record.last > FORGET_AFTER_SECONDS:
                del self._records[client]
            elif record is not None and now < record.until:
                wait = math.ceil(record.until - now)
                raise TooManyAttempts(
                    f"Too many wrong recovery passphrases from here. Wait {wait} seconds, then try again "
                    "(the wait grows with each wrong one).",
                    retry_after=wait,
                )

    def failed(self, client: str) -> None:
        now = self._clock.monotonic()
        with self._lock:
            if client not in self._records and len(self._records) >= MAX_TRACKED:
                oldest = min(self._records, key=lambda k: self._records[k].last)
                del self._records[oldest]
            record = self._records.setdefault(client, _Record())
            record.failures += 1
            record.last = now
            record.until = now + wait_after(record.failures)

    def succeeded(self, client: str) -> None:
        with self._lock:
            self._records.pop(client, None)
