"""Brute-force protection, decided before any password is hashed (security-baseline.md, "Brute force").

Three counters, each over a sliding window of failures:
- per client address ("auto block"): N failures in W minutes block the address; each further block within a
  day lasts twice as long as the last (capped at a day). Blocks are counted, not attempts: failures still in
  flight when a block starts do not start another. Persisted in the block list;
- per account and client address ("account protection"): N failures in W minutes delay that pair;
- per account (NIST SP 800-63B 5.2.2): after 100 consecutive failures from anywhere, a 15-minute pause.
  A browser or client that signed in to the account before (it carries a device token) is exempt from the
  pause, so strangers can make guessing expensive but cannot lock the owner out. Administrators see and lift
  pauses and delays.
Attempts in flight count as failures until they succeed, so parallel guesses cannot slip past the limit.
Answers refused for being too many (throttled, or the hashing queue full) count against the address too.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from homeport.auth.blocklist import GLOBAL_UNICAST, Block, BlockList, throttle_key
from homeport.core.addresses import parse_client, within
from homeport.core.clock import Clock
from homeport.core.errors import TooManyAttempts
from homeport.system.settings import SecuritySettings

ACCOUNT_CONSECUTIVE_LIMIT = 100
ACCOUNT_PAUSE_SECONDS = 15 * 60
MAX_BLOCK_SECONDS = 24 * 3600
MAX_TRACKED_KEYS = 50_000

K = TypeVar("K")


@dataclass
class _Window:
    failures: deque[float] = field(default_factory=deque)
    in_flight: int = 0
    until: float = 0.0

    def count(self, now: float, window: float) -> int:
        while self.failures and self.failures[0] <= now - window:
            self.failures.popleft()
        return len(self.failures) + self.in_flight


@dataclass(frozen=True)
class Verdict:
    """What the throttle decided about a finished attempt."""

    blocked: Block | None = None
    pair_delayed: bool = False


class ThrottleListener(Protocol):
    """Told of every block and account pause as it begins, whatever caused it (for the log)."""

    def address_blocked(self, block: Block, address: str) -> None: ...

    def account_paused(self, account: str, until: float) -> None: ...


@dataclass(frozen=True)
class Pause:
    """An account paused for everyone (`address` empty) or delayed for one client address."""

    account: str
    address: str
    until: float  # wall-clock time
    reason: str


class LoginThrottle:
    def __init__(self, clock: Clock, blocklist: BlockList, attached: Callable[[str], bool] | None = None) -> None:
        self._clock = clock
        self.blocklist = blocklist
        self._attached = attached or (lambda _: False)
        self._lock = threading.Lock()
        self._addresses: dict[str, _Window] = {}
        self._pairs: dict[tuple[str, str], _Window] = {}
        self._accounts: dict[str, _Window] = {}
        self._block_counts: dict[str, deque[float]] = {}
        self.listener: ThrottleListener | None = None

    def key_of(self, address: str) -> str:
        """The key an address's failures are counted under (see `throttle_key`)."""
        ip = parse_client(address)
        routed_v6 = ip is not None and ip.version == 6 and ip in GLOBAL_UNICAST  # only then does the LAN matter
        return throttle_key(address, routed_v6 and self._attached(address))

    def admit(self, account: str, address: str, settings: SecuritySettings, *, trusted_device: bool = False) -> None:
        """Raise TooManyAttempts if this attempt may not be checked; else count it as in flight."""
        key, account = self.key_of(address), account.casefold()
        now = self._clock.monotonic()
        until = self.blocklist.blocked_until(key) if settings.auto_block_enabled else None
        if until is not None:
            raise TooManyAttempts(
                "Too many failed sign-ins from this address; it is blocked for now. Try again later "
                "or ask an administrator to remove the block.",
                retry_after=int(until - self._clock.now()) + 1,
                code="address_blocked",
            )
        refusal: TooManyAttempts | None = None
        with self._lock:
            self._prune(now)
            pair = self._pairs.setdefault((account, key), _Window())
            per_account = self._accounts.setdefault(account, _Window())
            if pair.until > now:
                refusal = TooManyAttempts(
                    "Too many failed sign-ins for this account from this address. Wait, then try again.",
                    retry_after=int(pair.until - now) + 1,
                    code="account_protection",
                )
            elif per_account.until > now and not trusted_device:
                refusal = TooManyAttempts(
                    "This account has had too many failed sign-ins. Wait, then try again (from a browser that "
                    "has signed in to it before, you may sign in now).",
                    retry_after=int(per_account.until - now) + 1,
                    code="account_paused",
                )
            else:
                pair.in_flight += 1
                self._addresses.setdefault(key, _Window()).in_flight += 1
                per_account.in_flight += 1
        if refusal is not None:
            # Trying again while told to wait counts against the address like a failure: an address that keeps
            # at it gets auto-blocked, and is then refused before its requests cost anything at all.
            self.refused(address, settings)
            raise refusal

    def refused(self, address: str, settings: SecuritySettings) -> Block | None:
        """Count an answer refused for being too many (throttled, or no room to check it) against the address."""
        key = self.key_of(address)
        with self._lock:
            block_for = self._note_against_address(key, address, self._clock.monotonic(), settings)
        return self._block(key, address, block_for, settings)

    def _note_against_address(self, key: str, address: str, now: float, settings: SecuritySettings) -> float | None:
        """Under the lock: count one failure (or refusal) for the address; how long to block it, if at all."""
        window = self._addresses.setdefault(key, _Window())
        window.failures.append(now)
        if window.until > now:
            return None  # blocked already: attempts that were in flight when it began do not block it again
        over = window.count(now, settings.auto_block_window_minutes * 60) >= settings.auto_block_attempts
        ip = parse_client(address)
        allowed = ip is not None and within(ip, settings.allow_networks)
        if settings.auto_block_enabled and over and not allowed:
            window.failures.clear()
            seconds = self._escalated(key, now, settings.auto_block_minutes * 60)
            window.until = now + seconds
            return seconds
        return None

    def _block(self, key: str, address: str, seconds: float | None, settings: SecuritySettings) -> Block | None:
        if seconds is None:
            return None
        block = self.blocklist.add(key, seconds, f"{settings.auto_block_attempts} failed or refused sign-ins")
        if self.listener is not None:
            self.listener.address_blocked(block, address)
        return block

    def unblock(self, key: str) -> bool:
        """An administrator lifts an address's block; its next failures count from zero."""
        with self._lock:
            window = self._addresses.pop(key, None)
            if window is not None and window.in_flight:
                self._addresses[key] = _Window(in_flight=window.in_flight)
        return self.blocklist.remove(key)

    def succeeded(self, account: str, address: str) -> None:
        key, account = self.key_of(address), account.casefold()
        with self._lock:
            self._release(account, key)
            self._pairs.pop((account, key), None)
            per_account = self._accounts.get(account)
            if per_account is not None:
                per_account.failures.clear()  # the failures in a row end here; a pause goes on for the others
                if per_account.until <= self._clock.monotonic() and not per_account.in_flight:
                    del self._accounts[account]

    def failed(self, account: str, address: str, settings: SecuritySettings) -> Verdict:
        """Record a failure; returns whether it started a block or a delay."""
        key, account = self.key_of(address), account.casefold()
        now = self._clock.monotonic()
        pair_delayed = paused = False
        with self._lock:
            self._release(account, key)
            pair = self._pairs.setdefault((account, key), _Window())
            pair.failures.append(now)
            if pair.count(now, settings.account_protection_window_minutes * 60) >= settings.account_protection_attempts:
                pair.until = now + settings.account_protection_minutes * 60
                pair.failures.clear()
                pair_delayed = True
            per_account = self._accounts.setdefault(account, _Window())
            per_account.failures.append(now)
            if len(per_account.failures) >= ACCOUNT_CONSECUTIVE_LIMIT:
                per_account.until = now + ACCOUNT_PAUSE_SECONDS
                per_account.failures.clear()
                paused = True
            block_for = self._note_against_address(key, address, now, settings)
        if paused and self.listener is not None:
            self.listener.account_paused(account, self._clock.now() + ACCOUNT_PAUSE_SECONDS)
        return Verdict(blocked=self._block(key, address, block_for, settings), pair_delayed=pair_delayed)

    def busy(self, account: str, address: str, settings: SecuritySettings) -> Block | None:
        """The attempt found no room to be checked: forget it, and count the refusal against the address."""
        self.abandoned(account, address)
        return self.refused(address, settings)

    def abandoned(self, account: str, address: str) -> None:
        """The attempt ended without a verdict (or passed one step of a sign-in, not the whole): forget it; the
        failures so far still count."""
        with self._lock:
            self._release(account.casefold(), self.key_of(address))

    def pauses(self) -> list[Pause]:
        """Accounts paused for everyone, and account + address pairs delayed, soonest end first."""
        now, wall = self._clock.monotonic(), self._clock.now()
        found: list[Pause] = []
        with self._lock:
            for account, window in self._accounts.items():
                if window.until > now:
                    reason = f"{ACCOUNT_CONSECUTIVE_LIMIT} failed sign-ins in a row from anywhere"
                    found.append(Pause(account, "", wall + window.until - now, reason))
            for (account, key), window in self._pairs.items():
                if window.until > now:
                    found.append(Pause(account, key, wall + window.until - now, "too many failed sign-ins from here"))
        return sorted(found, key=lambda p: (p.until, p.account, p.address))

    def unpause(self, account: str) -> bool:
        """Lift an account's pause and every delay of it; False if there was none."""
        account, now = account.casefold(), self._clock.monotonic()
        with self._lock:
            windows = [w for (a, _), w in self._pairs.items() if a == account]
            if account in self._accounts:
                windows.append(self._accounts[account])
            lifted = any(w.until > now for w in windows)
            for window in windows:
                window.until = 0.0
                window.failures.clear()
        return lifted

    def clear(self) -> None:
        """Forget every counter and delay (the auto block list itself is kept)."""
        with self._lock:
            self._addresses.clear()
            self._pairs.clear()
            self._accounts.clear()
            self._block_counts.clear()

    def _escalated(self, key: str, now: float, base: float) -> float:
        """Each block within a day of the previous one lasts twice as long, up to a day."""
        history = self._block_counts.setdefault(key, deque())
        while history and history[0] <= now - MAX_BLOCK_SECONDS:
            history.popleft()
        seconds = float(min(base * (2 ** len(history)), MAX_BLOCK_SECONDS))
        history.append(now)
        return seconds

    def _release(self, account: str, key: str) -> None:
        for window in (
            self._pairs.get((account, key)),
            self._addresses.get(key),
            self._accounts.get(account),
        ):
            if window is not None and window.in_flight > 0:
                window.in_flight -= 1

    def _prune(self, now: float) -> None:
        """Bound memory: drop idle counters once there are many (an attacker may use many addresses)."""
        _drop_idle(self._addresses, now)
        _drop_idle(self._pairs, now)
        _drop_idle(self._accounts, now)


def _drop_idle(table: dict[K, _Window], now: float) -> None:
    if len(table) <= MAX_TRACKED_KEYS:
        return
    horizon = now - MAX_BLOCK_SECONDS
    for key in [
        k
        for k, w in table.items()
        if not w.in_flight and w.until < now and (not w.failures or w.failures[-1] < horizon)
    ]:
        del table[key]
