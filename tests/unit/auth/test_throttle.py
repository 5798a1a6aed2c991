"""The throttle's windows at their edges, with a hand-moved clock."""

from __future__ import annotations

import pytest

from homeport.auth.blocklist import BlockList, throttle_key
from homeport.auth.throttle import ACCOUNT_CONSECUTIVE_LIMIT, LoginThrottle
from homeport.core.errors import TooManyAttempts
from homeport.services import Services
from homeport.system.settings import SecuritySettings
from tests.support.clock import FakeClock

DEFAULTS = SecuritySettings()


@pytest.fixture
def throttle(services: Services, clock: FakeClock) -> LoginThrottle:
    return LoginThrottle(clock, BlockList(services.db, clock))


def fail(throttle: LoginThrottle, account: str, address: str, times: int = 1) -> None:
    for _ in range(times):
        throttle.admit(account, address, DEFAULTS)
        throttle.failed(account, address, DEFAULTS)


def test_the_fifth_failure_in_a_minute_delays_the_pair(throttle: LoginThrottle, clock: FakeClock) -> None:
    fail(throttle, "bob", "10.0.0.1", 4)
    clock.advance(59)
    fail(throttle, "bob", "10.0.0.1")
    with pytest.raises(TooManyAttempts) as caught:
        throttle.admit("bob", "10.0.0.1", DEFAULTS)
    assert caught.value.code == "account_protection" and caught.value.retry_after == 1801


def test_failures_spread_over_more_than_a_minute_do_not_delay(throttle: LoginThrottle, clock: FakeClock) -> None:
    fail(throttle, "bob", "10.0.0.1", 4)
    clock.advance(60)
    fail(throttle, "bob", "10.0.0.1")
    throttle.admit("bob", "10.0.0.1", DEFAULTS)


def test_the_delay_ends_after_30_minutes(throttle: LoginThrottle, clock: FakeClock) -> None:
    fail(throttle, "bob", "10.0.0.1", 5)
    clock.advance(30 * 60 - 1)
    with pytest.raises(TooManyAttempts):
        throttle.admit("bob", "10.0.0.1", DEFAULTS)
    clock.advance(1)
    throttle.admit("bob", "10.0.0.1", DEFAULTS)


def test_attempts_in_flight_count_so_parallel_guesses_cannot_slip_through(throttle: LoginThrottle) -> None:
    for _ in range(10):
        throttle.admit(f"user{_}", "10.0.0.9", DEFAULTS)  # ten guesses admitted, none finished yet
    for i in range(10):
        throttle.failed(f"user{i}", "10.0.0.9", DEFAULTS)
    with pytest.raises(TooManyAttempts):
        throttle.admit("another", "10.0.0.9", DEFAULTS)


def test_pair_in_flight_attempts_count_too(throttle: LoginThrottle) -> None:
    for _ in range(5):
        throttle.admit("bob", "10.0.0.1", DEFAULTS)
    verdicts = [throttle.failed("bob", "10.0.0.1", DEFAULTS) for _ in range(5)]
    assert verdicts[0].pair_delayed  # the first failure already sees four more in flight


def test_a_success_clears_the_pair_and_the_account_counters(throttle: LoginThrottle) -> None:
    fail(throttle, "bob", "10.0.0.1", 4)
    throttle.admit("bob", "10.0.0.1", DEFAULTS)
    throttle.succeeded("bob", "10.0.0.1")
    fail(throttle, "bob", "10.0.0.1", 4)
    throttle.admit("bob", "10.0.0.1", DEFAULTS)


def test_one_hundred_consecutive_failures_pause_the_account_everywhere(
    throttle: LoginThrottle, clock: FakeClock
) -> None:
    """NIST SP 800-63B: at most 100 consecutive failures; a pause, never a permanent lock."""
    relaxed = SecuritySettings(auto_block_enabled=False, account_protection_attempts=100)
    for i in range(ACCOUNT_CONSECUTIVE_LIMIT):
        address = f"10.1.{i // 200}.{i % 200 + 1}"
        throttle.admit("bob", address, relaxed)
        throttle.failed("bob", address, relaxed)
    with pytest.raises(TooManyAttempts) as caught:
        throttle.admit("bob", "192.168.1.1", relaxed)
    assert caught.value.code == "account_paused"
    clock.advance(15 * 60)
    throttle.admit("bob", "192.168.1.1", relaxed)


def test_routed_global_ipv6_clients_are_counted_per_64() -> None:
    assert throttle_key("2001:db8::1") == throttle_key("2001:db8::ffff:1") == "2001:db8::/64"
    assert throttle_key("2001:db8:0:1::1") != throttle_key("2001:db8::1")
    assert throttle_key("::ffff:192.0.2.1") == "192.0.2.1"
    assert throttle_key("192.0.2.1") == "192.0.2.1"


def test_household_ipv6_clients_are_counted_each_on_its_own() -> None:
    """Directly attached, link-local and unique-local addresses: a home LAN shares one /64."""
    assert throttle_key("2001:db8::1", attached=True) == "2001:db8::1"
    assert throttle_key("fe80::1") == "fe80::1" != throttle_key("fe80::2")
    assert throttle_key("fd00:211::1") == "fd00:211::1" != throttle_key("fd00:211::2")


def test_the_throttle_asks_whether_a_global_address_is_on_the_lan(services: Services, clock: FakeClock) -> None:
    asked: list[str] = []

    def on_lan(address: str) -> bool:
        asked.append(address)
        return address.startswith("2001:db8:1:")

    throttle = LoginThrottle(clock, BlockList(services.db, clock), on_lan)
    assert throttle.key_of("2001:db8:1::5") == "2001:db8:1::5"
    assert throttle.key_of("2001:db8:2::5") == "2001:db8:2::/64"
    assert throttle.key_of("192.0.2.1") == "192.0.2.1" and throttle.key_of("fd00::1") == "fd00::1"
    assert asked == ["2001:db8:1::5", "2001:db8:2::5"]  # only global IPv6 needs the question


def test_one_misbehaving_household_device_does_not_block_the_others(services: Services, clock: FakeClock) -> None:
    throttle = LoginThrottle(clock, BlockList(services.db, clock), lambda a: a.startswith("2001:db8:1:"))
    for n in range(10):
        throttle.admit(f"user{n}", "2001:db8:1::bad", DEFAULTS)
        throttle.failed(f"user{n}", "2001:db8:1::bad", DEFAULTS)
    with pytest.raises(TooManyAttempts):
        throttle.admit("alice", "2001:db8:1::bad", DEFAULTS)
    throttle.admit("alice", "2001:db8:1::900d", DEFAULTS)  # the laptop next to it
    for n in range(10):
        throttle.admit(f"user{n}", "2001:db8:2::bad", DEFAULTS)
        throttle.failed(f"user{n}", "2001:db8:2::bad", DEFAULTS)
    with pytest.raises(TooManyAttempts):
        throttle.admit("alice", "2001:db8:2::beef", DEFAULTS)  # a routed /64 is one remote host


def test_clear_forgets_the_counters_but_keeps_the_block_list(throttle: LoginThrottle) -> None:
    fail(throttle, "x", "10.0.0.5", 1)
    for i in range(10):
        fail(throttle, f"user{i}", "10.0.0.6")
    throttle.clear()
    assert throttle.blocklist.blocked_until("10.0.0.6") is not None
    fail(throttle, "x", "10.0.0.5", 4)
    throttle.admit("x", "10.0.0.5", DEFAULTS)
