"""Remembered browsers: "do not ask this browser for a second step for 30 days" (an owner's choice at sign-in,
allowed by a setting). The token is random, kept only as a keyed digest, bound to its account, listed on the
account's page and revocable; a password change, any change of sign-in methods and Mode 1 revoke them all."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from homeport.auth.sealing import Sealer
from homeport.core.agents import describe_agent
from homeport.core.clock import Clock
from homeport.core.ids import new_token

REMEMBER_COOKIE = "__Host-homeport_remember"
REMEMBER_DAYS = 30
PURPOSE = "remembered-browser"
PER_ACCOUNT = 20
USER_AGENT_MAX = 200


@dataclass(frozen=True)
class RememberedBrowser:
    id: int
    created_at: float
    expires_at: float
    last_used_at: float | None
    client: str
    user_agent: str

    @property
    def browser(self) -> str:
        return describe_agent(self.user_agent)


class RememberedBrowsers:
    def __init__(self, clock: Clock, sealer: Sealer) -> None:
        self._clock = clock
        self._sealer = sealer

    def _digest(self, user_id: int, token: str) -> str:
        return self._sealer.digest(token, user_id=user_id, purpose=PURPOSE)

    def remember(self, conn: sqlite3.Connection, user_id: int, client: str, user_agent: str) -> str:
        token, now = new_token(), self._clock.now()
        conn.execute(
            "INSERT INTO remembered_browsers (user_id, token_hash, created_at, expires_at, last_used_at, client,"
            " user_agent) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (user_id, self._digest(user_id, token), now, now + REMEMBER_DAYS * 86400, now, client,
             user_agent[:USER_AGENT_MAX]),
        )  # fmt: skip
        conn.execute(
            "DELETE FROM remembered_browsers WHERE user_id = ? AND id NOT IN (SELECT id FROM remembered_browsers"
            " WHERE user_id = ? ORDER BY created_at DESC, id DESC LIMIT ?)",
            (user_id, user_id, PER_ACCOUNT),
        )
        return token

    def recognises(self, conn: sqlite3.Connection, user_id: int, token: str | None) -> bool:
        if not token or len(token) > 100:
            return False
        now = self._clock.now()
        used = conn.execute(
            "UPDATE remembered_browsers SET last_used_at = ? WHERE user_id = ? AND token_hash = ? AND expires_at > ?",
            (now, user_id, self._digest(user_id, token), now),
        ).rowcount
        return used == 1

    def list(self, conn: sqlite3.Connection, user_id: int) -> list[RememberedBrowser]:
        rows = conn.execute(
            "SELECT id, created_at, expires_at, last_used_at, client, user_agent FROM remembered_browsers"
            " WHERE user_id = ? AND expires_at > ? ORDER BY created_at DESC",
            (user_id, self._clock.now()),
        ).fetchall()
        return [RememberedBrowser(int(r[0]), float(r[1]), float(r[2]), r[3], str(r[4]), str(r[5])) for r in rows]

    def forget(self, conn: sqlite3.Connection, user_id: int, browser_id: int) -> bool:
        return (
            conn.execute("DELETE FROM remembered_browsers WHERE user_id = ? AND id = ?", (user_id, browser_id)).rowcount
            > 0
        )

    def forget_all(self, conn: sqlite3.Connection, user_id: int | None = None) -> int:
        if user_id is None:
            return conn.execute("DELETE FROM remembered_browsers").rowcount
        return conn.execute("DELETE FROM remembered_browsers WHERE user_id = ?", (user_id,)).rowcount
