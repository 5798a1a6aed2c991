"""Brute-force protection, decided before any password is hashed (security-baseline.md, "Brute force").

Three counters, each over a sliding window of failures:
- per client address ("auto block"): N failures in W minutes block the address, each repeat block twice as
  long as the last (capped at a day); persisted in the block list;
- per account and client address ("account protection"): N failures in W minutes delay that pair;
- per account (NIST SP 800-63B 5.2.2): after 100 consecutive failures from anywhere, a 15-minute pause.
  Never permanent: a stranger can slow an account down but not lock its owner out for good.
Attempts in flight count as failures until they succeed, so parallel guesses cannot slip past the limit.
"""

from __future__ import annotations

import ipaddress
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import TypeVar

from homeport.auth.blocklist import Block, BlockList, throttle_key
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
    """What the throttle decided about a finished attempt (for the audit log)."""

    blocked: Block | None = None
    pair_delayed: bool = False


def _allowed(address: str, allow_list: tuple[str, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(net) for net in allow_list)


class LoginThrottle:
    def __init__(self, clock: Clock, blocklist: BlockList) -> None:
        self._clock = clock
        self.blocklist = blocklist
        self._lock = threading.Lock()
        self._addresses: dict[str, _Window] = {}
        self._pairs: dict[tuple[str, str], _Window] = {}
        self._accounts: dict[str, _Window] = {}
        self._block_counts: dict[str, deque[float]] = {}

    def admit(self, account: str, address: str, settings: SecuritySettings) -> None:
        """Raise TooManyAttempts if this attempt may not be checked; else count it as in flight."""
        key, account = throttle_key(address), account.casefold()
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
            elif per_account.until > now:
                refusal = TooManyAttempts(
                    "This account has had too many failed sign-ins. Wait, then try again.",
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
            self._count_against_address(key, address, now, settings)
            raise refusal

    def _count_against_address(self, key: str, address: str, now: float, settings: SecuritySettings) -> Block | None:
        with self._lock:
            block_for = self._note_against_address(key, address, now, settings)
        return self._block(key, block_for, settings)

    def _note_against_address(self, key: str, address: str, now: float, settings: SecuritySettings) -> float | None:
        """Under the lock: count one failure (or refusal) for the address; how long to block it, if at all."""
        window = self._addresses.setdefault(key, _Window())
        window.failures.append(now)
        over = window.count(now, settings.auto_block_window_minutes * 60) >= settings.auto_block_attempts
        if settings.auto_block_enabled and over and not _allowed(address, settings.allow_list):
            window.failures.clear()
            return self._escalated(key, now, settings.auto_block_minutes * 60)
        return None

    def _block(self, key: str, seconds: float | None, settings: SecuritySettings) -> Block | None:
        if seconds is None:
            return None
        return self.blocklist.add(key, seconds, f"{settings.auto_block_attempts} failed or refused sign-ins")

    def succeeded(self, account: str, address: str) -> None:
        key, account = throttle_key(address), account.casefold()
        with self._lock:
            self._release(account, key)
            self._pairs.pop((account, key), None)
            self._accounts.pop(account, None)

    def failed(self, account: str, address: str, settings: SecuritySettings) -> Verdict:
        """Record a failure; returns whether it started a block or a delay."""
        key, account = throttle_key(address), account.casefold()
        now = self._clock.monotonic()
        pair_delayed = False
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
            block_for = self._note_against_address(key, address, now, settings)
        return Verdict(blocked=self._block(key, block_for, settings), pair_delayed=pair_delayed)

    def abandoned(self, account: str, address: str) -> None:
        """The attempt ended without a verdict (e.g. the hashing queue was full): forget it."""
        with self._lock:
            self._release(account.casefold(), throttle_key(address))

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
