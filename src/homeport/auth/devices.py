"""Device tokens: "this browser has signed in to this account before".

Given at every successful sign-in in a long-lived cookie, kept in the store only as digests, per account. A
token grants nothing by itself: it exempts its holder from the account-wide pause (which strangers can cause
from many addresses) and lets its sign-ins be checked before others' when the hashing queue is full. The
per-address limits still apply to it. A password change forgets the account's tokens (a thief who once
signed in keeps no exemption); the browser that changed its own password gets a new one.
"""

from __future__ import annotations

import re
import sqlite3

from homeport.core.clock import Clock
from homeport.core.ids import new_token, token_digest
from homeport.store.db import Database

DEVICE_COOKIE = "__Host-homeport_device"
COOKIE_MAX_AGE = 400 * 24 * 3600  # the longest a browser keeps a cookie
TOKENS_PER_COOKIE = 4  # a browser shared by a few accounts keeps one token for each
TOKENS_PER_ACCOUNT = 20
USER_AGENT_MAX = 200
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{40,64}$")


def tokens_in(cookie: str | None) -> list[str]:
    """The well-formed tokens of a cookie value, newest first; anything else in it is ignored."""
    if not cookie or len(cookie) > 400:
        return []
    return [t for t in cookie.split(".") if _TOKEN.fullmatch(t)][:TOKENS_PER_COOKIE]


class DeviceTokens:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock
        # Every digest handed out (from the store at start, then as given): the sign-in gate's check, on the
        # event loop and without a query, that a cookie is one of ours before it may skip the strangers' queue.
        with db.read() as conn:
            self._issued = {str(r[0]) for r in conn.execute("SELECT token_hash FROM device_tokens")}

    def issued(self, cookie: str | None) -> bool:
        """True if the cookie holds a token this device gave out (to any account; maybe forgotten since)."""
        return any(token_digest(t) in self._issued for t in tokens_in(cookie))

    def recognises(self, account: str, cookie: str | None) -> bool:
        """True if the cookie holds a token given to this account's sign-in before."""
        digests = [token_digest(t) for t in tokens_in(cookie)]
        if not digests or not account:
            return False
        marks = ",".join("?" * len(digests))
        where = f"u.name = ? AND d.token_hash IN ({marks})"
        query = f"SELECT 1 FROM device_tokens d JOIN users u ON u.id = d.user_id WHERE {where} LIMIT 1"  # noqa: S608
        with self._db.read() as conn:
            row = conn.execute(query, (account, *digests)).fetchone()
        return row is not None

    def remember(self, conn: sqlite3.Connection, user_id: int, cookie: str | None, user_agent: str) -> str:
        """After a successful sign-in: the cookie value to send back, holding a token of this account."""
        now = self._clock.now()
        presented = tokens_in(cookie)
        for token in presented:
            updated = conn.execute(
                "UPDATE device_tokens SET last_used_at = ? WHERE token_hash = ? AND user_id = ?",
                (now, token_digest(token), user_id),
            ).rowcount
            if updated:
                return ".".join([token, *(t for t in presented if t != token)])
        token = new_token()
        self._issued.add(token_digest(token))
        conn.execute(
            "INSERT INTO device_tokens (user_id, token_hash, created_at, last_used_at, user_agent)"
            " VALUES (?, ?, ?, ?, ?)",
            (user_id, token_digest(token), now, now, user_agent[:USER_AGENT_MAX]),
        )
        conn.execute(
            "DELETE FROM device_tokens WHERE user_id = ? AND id NOT IN"
            " (SELECT id FROM device_tokens WHERE user_id = ? ORDER BY last_used_at DESC, id DESC LIMIT ?)",
            (user_id, user_id, TOKENS_PER_ACCOUNT),
        )
        return ".".join([token, *presented][:TOKENS_PER_COOKIE])

    def count(self, user_id: int) -> int:
        with self._db.read() as conn:
            return int(conn.execute("SELECT COUNT(*) FROM device_tokens WHERE user_id = ?", (user_id,)).fetchone()[0])
