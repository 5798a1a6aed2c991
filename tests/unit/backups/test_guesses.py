"""Wrong recovery passphrases: a few are free, then each further guess waits longer, per client."""

from __future__ import annotations

import pytest

from homeport.backups.guesses import FREE_FAILURES, MAX_WAIT_SECONDS, PassphraseGuesses, wait_after
from homeport.core.errors import TooManyAttempts
from tests.support.clock import FakeClock


def test_the_wait_doubles_after_the_free_typos_up_to_a_cap() -> None:
    assert [wait_after(n) for n in range(1, FREE_FAILURES + 4)] == [0.0] * FREE_FAILURES + [2.0, 4.0, 8.0]
    assert wait_after(100) == MAX_WAIT_SECONDS


def test_a_client_waits_alone_and_a_right_passphrase_clears_its_count() -> None:
    clock = FakeClock()
    guesses = PassphraseGuesses(clock)
    for failures in range(1, FREE_FAILURES + 3):
        guesses.check("192.168.1.9")
        guesses.failed("192.168.1.9")
        if failures < FREE_FAILURES + 2:
            clock.advance(wait_after(failures))
    with pytest.raises(TooManyAttempts) as error:
        guesses.check("192.168.1.9")
    assert error.value.retry_after == 4
    guesses.check("192.168.1.10")  # another device is not held up
    clock.advance(4)
    guesses.check("192.168.1.9")
    guesses.failed("192.168.1.9")
    with pytest.raises(TooManyAttempts) as error:
        guesses.check("192.168.1.9")
    assert error.value.retry_after == 8
    clock.advance(8)
    guesses.succeeded("192.168.1.9")
    guesses.failed("192.168.1.9")
    guesses.check("192.168.1.9")
