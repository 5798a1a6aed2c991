"""Second factors set up the way an owner does it: an authenticator app enrolled through the API, its codes
computed by pyotp at the device's (fake) time."""

from __future__ import annotations

import pyotp
from starlette.testclient import TestClient

from tests.support.api import ADMIN_PASSWORD
from tests.support.clock import FakeClock


def code_at(secret: str, clock: FakeClock) -> str:
    """The app's code now; the clock moves on a step first, so no code is used twice (replay protection)."""
    clock.advance(30)
    return str(pyotp.TOTP(secret).at(clock.now()))


def enrol_totp(client: TestClient, clock: FakeClock, password: str = ADMIN_PASSWORD) -> tuple[str, list[str]]:
    """Turn on an authenticator app for the signed-in account; returns its secret and the recovery codes."""
    begun = client.post("/api/v1/me/totp", json={"current_password": password})
    assert begun.status_code == 201, begun.text
    secret: str = begun.json()["secret"]
    confirmed = client.post("/api/v1/me/totp/confirm", json={"code": code_at(secret, clock)})
    assert confirmed.status_code == 200, confirmed.text
    codes: list[str] = confirmed.json()["recovery_codes"] or []
    return secret, codes
