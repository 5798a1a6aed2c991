"""Recovery codes: 10 single-use codes of 80 bits each, for the day every other factor is lost.

The alphabet leaves out look-alikes (0/O, 1/I/L), so a code read off paper is typed right; input is forgiving
about case, spaces and dashes. Only keyed digests are stored (auth/sealing.py); a new set replaces the old one.
"""

from __future__ import annotations

import re
import secrets
import sqlite3

from homeport.auth.sealing import Sealer
from homeport.core.clock import Clock

PURPOSE = "recovery-code"
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # 31 symbols: no 0, 1, I, L, O
LENGTH = 17  # 17 * log2(31) = 84.2 bits
GROUP = 4
COUNT = 10
LOW = 2  # the console warns at this many left


def new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    return "-".join(raw[i : i + GROUP] for i in range(0, LENGTH, GROUP))


def normalise(text: str) -> str:
    return re.sub(r"[\s-]", "", (text or "")[:60]).upper()


class RecoveryCodes:
    def __init__(self, clock: Clock, sealer: Sealer) -> None:
        self._clock = clock
        self._sealer = sealer

    def _digest(self, user_id: int, code: str) -> str:
        return self._sealer.digest(normalise(code), user_id=user_id, purpose=PURPOSE)

    def replace(self, conn: sqlite3.Connection, user_id: int) -> list[str]:
        """A new set (shown once); every earlier code stops working."""
        codes = [new_code() for _ in range(COUNT)]
        now = self._clock.now()
        conn.execute("DELETE FROM recovery_codes WHERE user_id = ?", (user_id,))
        conn.executemany(
            "INSERT INTO recovery_codes (user_id, digest, created_at) VALUES (?, ?, ?)",
            [(user_id, self._digest(user_id, code), now) for code in codes],
        )
        return codes

    def use(self, conn: sqlite3.Connection, user_id: int, code: str) -> bool:
        """True once per code: the update that checks it also spends it."""
        if len(normalise(code)) != LENGTH:
            return False
        return (
            conn.execute(
                "UPDATE recovery_codes SET used_at = ? WHERE user_id = ? AND digest = ? AND used_at IS NULL",
                (self._clock.now(), user_id, self._digest(user_id, code)),
            ).rowcount
            == 1
        )

    def left(self, conn: sqlite3.Connection, user_id: int) -> int:
        row = conn.execute(
            "SELECT COUNT(*) FROM recovery_codes WHERE user_id = ? AND used_at IS NULL", (user_id,)
        ).fetchone()
        return int(row[0])

    def remove(self, conn: sqlite3.Connection, user_id: int) -> None:
        conn.execute("DELETE FROM recovery_codes WHERE user_id = ?", (user_id,))
