"""One-time codes at every edge of their window, replay-safe even for two requests at the same instant."""

from __future__ import annotations

import base64
import threading

import pyotp
import pytest

from homeport.auth.sealing import Sealer
from homeport.auth.totp import STEP_SECONDS, OneTimeCodes, normalise_code
from homeport.services import Services
from homeport.store.db import Database
from tests.support.clock import FakeClock

START = 1_800_000_015.0  # the middle of a 30 s step


@pytest.fixture
def db(services: Services) -> Database:
    """The real store, migrated, with an account (id 7)."""
    with services.db.write() as conn:
        conn.execute("INSERT INTO users (id, name, enabled, created_at, updated_at) VALUES (7, 'carol', 1, 0, 0)")
    return services.db


def enrolled(db: Database, clock: FakeClock) -> tuple[OneTimeCodes, pyotp.TOTP]:
    codes = OneTimeCodes(clock, Sealer(b"k" * 32))
    with db.write() as conn:
        enrolment = codes.begin(conn, 7, "carol", "nas")
    app = pyotp.TOTP(enrolment.secret)
    with db.write() as conn:
        assert codes.confirm(conn, 7, app.at(clock.now()))
    clock.advance(3 * STEP_SECONDS)  # the confirmation's step is out of every window that follows
    return codes, app


def accept(codes: OneTimeCodes, db: Database, code: str) -> bool:
    with db.write() as conn:
        return codes.verify(conn, 7, code)


@pytest.mark.parametrize("offset", [-1, 0, 1])
def test_the_step_before_the_current_and_after_are_accepted(db: Database, offset: int) -> None:
    clock = FakeClock(START)
    codes, app = enrolled(db, clock)
    assert accept(codes, db, app.at(clock.now() + offset * STEP_SECONDS))


@pytest.mark.parametrize("offset", [-2, 2, 3])
def test_two_steps_away_is_refused(db: Database, offset: int) -> None:
    clock = FakeClock(START)
    codes, app = enrolled(db, clock)
    assert not accept(codes, db, app.at(clock.now() + offset * STEP_SECONDS))


def test_the_edges_of_a_step_are_the_same_step(db: Database) -> None:
    clock = FakeClock(START)
    codes, app = enrolled(db, clock)
    step_start = (clock.now() // STEP_SECONDS) * STEP_SECONDS
    clock.advance(step_start + STEP_SECONDS - 0.001 - clock.now())  # the last instant of the step
    assert accept(codes, db, app.at(step_start + STEP_SECONDS))  # +1 step, read at the step's last instant


def test_the_first_instant_of_a_step_still_takes_the_step_before(db: Database) -> None:
    clock = FakeClock(START)
    codes, app = enrolled(db, clock)
    step_start = (clock.now() // STEP_SECONDS) * STEP_SECONDS
    clock.advance(step_start - clock.now())
    assert not accept(codes, db, app.at(step_start - 2 * STEP_SECONDS))
    assert accept(codes, db, app.at(step_start - 1))


def test_a_code_is_accepted_once_and_older_steps_never_after(db: Database) -> None:
    clock = FakeClock(START)
    codes, app = enrolled(db, clock)
    now_code, before = app.at(clock.now()), app.at(clock.now() - STEP_SECONDS)
    assert accept(codes, db, now_code)
    assert not accept(codes, db, now_code)  # the replay
    assert not accept(codes, db, before)  # an older step, though inside the window


def test_two_threads_with_the_same_code_exactly_one_wins(db: Database) -> None:
    clock = FakeClock(START)
    codes, app = enrolled(db, clock)
    code = app.at(clock.now())
    results: list[bool] = []
    barrier = threading.Barrier(8)

    def attempt() -> None:
        barrier.wait()
        results.append(accept(codes, db, code))

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert sorted(results) == [False] * 7 + [True]


def test_the_secret_is_160_bits_and_sealed_at_rest(db: Database) -> None:
    clock = FakeClock(START)
    codes = OneTimeCodes(clock, Sealer(b"k" * 32))
    with db.write() as conn:
        enrolment = codes.begin(conn, 7, "carol", "nas")
    assert len(base64.b32decode(enrolment.secret)) == 20
    assert enrolment.otpauth_uri.startswith("otpauth://totp/") and "secret=" in enrolment.otpauth_uri
    assert enrolment.qr_svg.startswith("<svg") and "<script" not in enrolment.qr_svg
    with db.read() as conn:
        raw = conn.execute("SELECT secret FROM totp_factors").fetchone()[0]
    assert enrolment.secret.encode() not in bytes(raw)
    # Under another key (a copied database without the key file), it does not open.
    other = OneTimeCodes(clock, Sealer(b"x" * 32))
    with db.write() as conn, pytest.raises(Exception, match="does not open with this device"):
        other.confirm(conn, 7, pyotp.TOTP(enrolment.secret).at(clock.now()))


def test_an_unconfirmed_secret_signs_nobody_in(db: Database) -> None:
    clock = FakeClock(START)
    codes = OneTimeCodes(clock, Sealer(b"k" * 32))
    with db.write() as conn:
        enrolment = codes.begin(conn, 7, "carol", "nas")
    assert not accept(codes, db, pyotp.TOTP(enrolment.secret).at(clock.now()))
    with db.read() as conn:
        assert not codes.has(conn, 7)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("123456", "123456"),
        (" 123 456 ", "123456"),
        ("123-456", "123456"),
        ("12345", None),
        ("12345a", None),
        ("", None),
        ("1" * 500, None),
    ],
)
def test_codes_are_read_as_people_type_them(typed: str, expected: str | None) -> None:
    assert normalise_code(typed) == expected
