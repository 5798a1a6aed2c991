"""One-time codes (TOTP, RFC 6238): a 160-bit secret, 6 digits, 30 s steps, one step of drift either way.

A code is accepted once: the step it belongs to is written with `last_step < step` in the same statement that
checks it, so a replay, or a second request with the same code at the same instant, finds the row already moved
on. Secrets are sealed at rest (auth/sealing.py). Enrolment keeps the new secret unconfirmed until a first valid
code proves the authenticator has it.
"""

from __future__ import annotations

import base64
import os
import re
import sqlite3
import time
import urllib.parse
from dataclasses import dataclass

import pyotp

from homeport.auth.sealing import Sealer
from homeport.core.clock import Clock

PURPOSE = "totp"
SECRET_BYTES = 20  # 160 bits (RFC 4226 section 4 recommends it)
DIGITS = 6
STEP_SECONDS = 30
DRIFT_STEPS = 1
ISSUER = "Homeport"
_CODE = re.compile(r"^[0-9]{6}$")


def normalise_code(text: str) -> str | None:
    """Six digits as typed ("123 456", "123-456" are fine), or None when it cannot be a code."""
    code = re.sub(r"[\s-]", "", text or "")[:20]
    return code if _CODE.fullmatch(code) else None


@dataclass(frozen=True)
class Enrolment:
    secret: str  # base32, shown as text beside the QR code
    otpauth_uri: str
    qr_svg: str


def matching_step(secret: str, code: str, now: float) -> int | None:
    """The time step within +-DRIFT_STEPS of `now` whose code is `code`, or None."""
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)
    current = int(now // STEP_SECONDS)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if pyotp.utils.strings_equal(totp.generate_otp(step), code):
            return step
    return None


def qr_svg(text: str) -> str:
    """An inline SVG QR code (no script, no image request), sized by the page's CSS."""
    import segno  # only where a QR code is shown: it is not needed resident in the daemon

    svg: str = segno.make(text, error="m").svg_inline(scale=4, dark="#000", light="#fff", omitsize=True)
    return svg


class OneTimeCodes:
    def __init__(self, clock: Clock, sealer: Sealer) -> None:
        self._clock = clock
        self._sealer = sealer

    def begin(self, conn: sqlite3.Connection, user_id: int, account: str, device_name: str) -> Enrolment:
        """A new unconfirmed secret for `user_id` (replacing an earlier unconfirmed one)."""
        secret = base64.b32encode(os.urandom(SECRET_BYTES)).decode()
        sealed = self._sealer.seal(secret.encode(), user_id=user_id, purpose=PURPOSE)
        conn.execute(
            "INSERT INTO totp_factors (user_id, secret, confirmed, last_step, created_at) VALUES (?, ?, 0, -1, ?)"
            " ON CONFLICT(user_id) DO UPDATE SET secret = excluded.secret, last_step = -1,"
            " created_at = excluded.created_at WHERE totp_factors.confirmed = 0",
            (user_id, sealed, self._clock.now()),
        )
        label = urllib.parse.quote(f"{ISSUER} {device_name}:{account}")
        query = urllib.parse.urlencode(
            {"secret": secret, "issuer": f"{ISSUER} {device_name}", "digits": DIGITS, "period": STEP_SECONDS}
        )
        uri = f"otpauth://totp/{label}?{query}"
        return Enrolment(secret=secret, otpauth_uri=uri, qr_svg=qr_svg(uri))

    def confirm(self, conn: sqlite3.Connection, user_id: int, code: str) -> bool:
        """The first valid code from the authenticator: the secret becomes the account's factor."""
        return self._accept(conn, user_id, code, confirmed=False)

    def verify(self, conn: sqlite3.Connection, user_id: int, code: str) -> bool:
        """A sign-in code: valid, within the drift, and of a step not accepted before."""
        return self._accept(conn, user_id, code, confirmed=True)

    def _accept(self, conn: sqlite3.Connection, user_id: int, code: str, *, confirmed: bool) -> bool:
        normalised = normalise_code(code)
        row = conn.execute(
            "SELECT secret FROM totp_factors WHERE user_id = ? AND confirmed = ?", (user_id, int(confirmed))
        ).fetchone()
        if normalised is None or row is None:
            return False
        secret = self._sealer.open(bytes(row[0]), user_id=user_id, purpose=PURPOSE).decode()
        step = matching_step(secret, normalised, self._clock.now())
        if step is None:
            return False
        moved = conn.execute(
            "UPDATE totp_factors SET last_step = ?, last_used_at = ?, confirmed = 1"
            " WHERE user_id = ? AND confirmed = ? AND last_step < ?",
            (step, self._clock.now(), user_id, int(confirmed), step),
        ).rowcount
        return moved == 1

    def has(self, conn: sqlite3.Connection, user_id: int) -> bool:
        row = conn.execute("SELECT 1 FROM totp_factors WHERE user_id = ? AND confirmed = 1", (user_id,)).fetchone()
        return row is not None

    def remove(self, conn: sqlite3.Connection, user_id: int) -> bool:
        return conn.execute("DELETE FROM totp_factors WHERE user_id = ?", (user_id,)).rowcount > 0


def clock_text(now: float) -> str:
    """The device's clock as an owner compares it with their phone's."""
    return time.strftime("%H:%M:%S UTC on %Y-%m-%d", time.gmtime(now))
