"""What the second-factor tables (m0005) say, read-only, for the Security Advisor.

The code that writes these tables lives in `auth/`; the advisor reads the rows themselves so that it depends on
the schema, which has shipped, not on a service still being written. The rules read here: a one-time code
(TOTP) counts once `confirmed = 1`; a recovery code is left while `used_at IS NULL`; a Mode 1 reset sets
`users.factors_suspended`, and a suspended account's factors are not asked for.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass


@dataclass(frozen=True)
class UserFactors:
    totp: bool  # a confirmed one-time code app
    passkeys: int
    recovery_codes_left: int
    suspended: bool  # by a Mode 1 reset, until the owner turns them back on

    @property
    def has_second_factor(self) -> bool:
        return not self.suspended and (self.totp or self.passkeys > 0)


NO_FACTORS = UserFactors(totp=False, passkeys=0, recovery_codes_left=0, suspended=False)


@dataclass(frozen=True)
class PasskeyFact:
    user_id: int
    name: str
    rp_id: str
    last_used_at: float  # its creation when it was never used


def user_factors(conn: sqlite3.Connection) -> dict[int, UserFactors]:
    """Every account's factors, by user id (an account without a row here has none)."""
    rows = conn.execute(
        """SELECT u.id,
                  u.factors_suspended,
                  EXISTS (SELECT 1 FROM totp_factors t WHERE t.user_id = u.id AND t.confirmed = 1),
                  (SELECT COUNT(*) FROM passkeys p WHERE p.user_id = u.id),
                  (SELECT COUNT(*) FROM recovery_codes r WHERE r.user_id = u.id AND r.used_at IS NULL)
           FROM users u"""
    ).fetchall()
    return {
        int(row[0]): UserFactors(
            totp=bool(row[2]), passkeys=int(row[3]), recovery_codes_left=int(row[4]), suspended=bool(row[1])
        )
        for row in rows
    }


def passkeys(conn: sqlite3.Connection) -> list[PasskeyFact]:
    rows = conn.execute(
        "SELECT user_id, name, rp_id, COALESCE(last_used_at, created_at) FROM passkeys ORDER BY user_id, id"
    ).fetchall()
    return [PasskeyFact(int(r[0]), str(r[1]), str(r[2]), float(r[3])) for r in rows]
