"""SMB sign-ins as Samba reports them (its JSON authentication audit, and the log line of a share refused), brought
into Homeport's audit log with their reason, and counted toward auto block per address like console sign-ins.

A client that signed in before a password change and now keeps failing with a wrong password is most likely
retrying the old saved password (a mapped drive, a phone app): it is shown as such, so the owner knows which device
to update before its retries get the address blocked.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import structlog

from homeport.accounts.names import NAME_PATTERN
from homeport.audit.log import Actor, AuditLog
from homeport.core.addresses import parse_client

_log = structlog.get_logger("homeport.smb")

REASONS = {
    "NT_STATUS_WRONG_PASSWORD": "wrong password",
    "NT_STATUS_NO_SUCH_USER": "unknown account",
    "NT_STATUS_ACCOUNT_DISABLED": "account disabled",
    "NT_STATUS_ACCOUNT_LOCKED_OUT": "account locked",
    "NT_STATUS_LOGON_FAILURE": "wrong name or password",
    "NT_STATUS_ACCESS_DENIED": "access denied",
    "NT_STATUS_NTLM_BLOCKED": "NTLMv1 refused (the client is too old or misconfigured)",
    "NT_STATUS_WRONG_CREDENTIAL_HANDLE": "wrong password",
}
SHARE_REFUSED = re.compile(r"user '([^']+)' \(from session setup\) not permitted to access this share \((.+)\)")
OLD_PASSWORD_FORGIVEN = 50  # retries of an old saved password not counted toward auto block, per device
RECORD_INTERVAL = 60.0  # at most one audit record a minute per account, address and reason (retries add up)
POLL_SECONDS = 1.0
READ_LIMIT = 1 << 20


@dataclass(frozen=True)
class SmbFailure:
    account: str  # as the client sent it
    address: str
    reason: str
    at: float
    old_password: bool = False


@dataclass
class StaleClient:
    """A client that keeps failing with a wrong password after the account's password changed."""

    account: str
    address: str
    failures: int
    first_at: float
    last_at: float


def client_address(remote: str) -> str:
    """Samba's "ipv4:192.168.1.20:52946" or "ipv6:fe80::1:52946" as an address."""
    kind, _, rest = remote.partition(":")
    if kind not in ("ipv4", "ipv6"):
        return ""
    host = rest.rsplit(":", 1)[0].strip("[]")
    parsed = parse_client(host)
    return str(parsed) if parsed is not None else ""


def event_time(record: dict[str, Any], fallback: float) -> float:
    """When Samba saw it (its own timestamp): read up to a second later, it must still compare rightly with the
    moment a password changed."""
    try:
        return datetime.strptime(str(record.get("timestamp")), "%Y-%m-%dT%H:%M:%S.%f%z").timestamp()
    except ValueError:
        return fallback


class Follower:
    """The new lines of a file that grows (and is rotated to `.old` by Samba when it is too big)."""

    def __init__(self, path: Path, *, from_end: bool = True) -> None:
        self.path = path
        stat = path.stat() if path.exists() else None
        self._offset = stat.st_size if from_end and stat is not None else 0
        self._inode = stat.st_ino if stat is not None else None
        self._partial = b""

    def lines(self) -> list[str]:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            self._offset, self._partial, self._inode = 0, b"", None
            return []
        size = stat.st_size
        if stat.st_ino != self._inode or size < self._offset:  # rotated (a new file), or cut short
            self._offset, self._partial, self._inode = 0, b"", stat.st_ino
        if size == self._offset:
            return []
        with self.path.open("rb") as handle:
            handle.seek(self._offset)
            data = handle.read(READ_LIMIT)
        self._offset += len(data)
        data = self._partial + data
        *complete, self._partial = data.split(b"\n")
        return [line.decode("utf-8", "replace") for line in complete if line.strip()]


class SmbSignIns:
    def __init__(
        self, auth_log: Path, smbd_log: Path, audit: AuditLog, known_account: Callable[[str], float | None],
        count_failure: Callable[[str], None], now: Callable[[], float],
    ) -> None:  # fmt: skip
        """`known_account(name)` is the account's last password change (None: no such account);
        `count_failure(address)` counts one failure toward auto block."""
        self._auth = Follower(auth_log)
        self._smbd = Follower(smbd_log)
        self._audit = audit
        self._known_account = known_account
        self._count_failure = count_failure
        self._now = now
        self._signed_in: dict[tuple[str, str], float] = {}  # (account, address) -> last success
        self._recorded: dict[tuple[str, str, str], tuple[float, int]] = {}
        self.stale: dict[tuple[str, str], StaleClient] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_address: dict[str, str] = {}  # account -> address of its last sign-in (for share refusals)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="homeport-smb-audit", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)

    def _run(self) -> None:
        while not self._stop.wait(POLL_SECONDS):
            try:
                self.read_new()
            except Exception:
                _log.exception("the SMB sign-in audit could not be read")

    def read_new(self) -> list[SmbFailure]:
        failures = []
        for line in self._auth.lines():
            failure = self._authentication(line)
            if failure is not None:
                failures.append(failure)
        for line in self._smbd.lines():
            self._share_refused(line)
        return failures

    def stale_clients(self) -> list[StaleClient]:
        return sorted(self.stale.values(), key=lambda s: -s.last_at)

    def _authentication(self, line: str) -> SmbFailure | None:
        try:
            record: dict[str, Any] = json.loads(line)
            event: dict[str, Any] = record.get("Authentication") or {}
        except (ValueError, AttributeError):
            return None
        status = str(event.get("status", ""))
        account = str(event.get("clientAccount") or "").strip().lower()
        address = client_address(str(event.get("remoteAddress") or ""))
        now = event_time(record, self._now())
        if not status:
            return None
        if status == "NT_STATUS_OK":
            if account and address:
                self._signed_in[(account, address)] = now
                self._last_address[account] = address
                self.stale.pop((account, address), None)
            return None
        reason = REASONS.get(status, status.removeprefix("NT_STATUS_").replace("_", " ").lower())
        changed_at = self._known_account(account) if account else None
        old_password = (
            status in ("NT_STATUS_WRONG_PASSWORD", "NT_STATUS_LOGON_FAILURE")
            and changed_at is not None
            and self._signed_in.get((account, address), float("inf")) < changed_at
        )
        failure = SmbFailure(account, address, reason, now, old_password)
        forgiven = False
        if old_password:
            stale = self.stale.setdefault((account, address), StaleClient(account, address, 0, now, now))
            stale.failures += 1
            stale.last_at = now
            # A saved old password retried (a mapped drive) must not get the owner's own address blocked, the
            # console included; past a generous number it counts again, like any guessing.
            forgiven = stale.failures <= OLD_PASSWORD_FORGIVEN
        if address and not forgiven:
            self._count_failure(address)
        self._record(failure, known=changed_at is not None)
        return failure

    def _record(self, failure: SmbFailure, *, known: bool) -> None:
        # Names that are no account are taken together per address: a flood of invented names is one record
        # a minute, not one per name.
        key = (failure.account if known else "", failure.address, failure.reason)
        last, count = self._recorded.get(key, (float("-inf"), 0))
        if failure.at - last < RECORD_INTERVAL:
            self._recorded[key] = (last, count + 1)
            return
        if len(self._recorded) > 10_000:
            self._recorded.clear()
        self._recorded[key] = (failure.at, 0)
        detail: dict[str, Any] = {"reason": failure.reason, "repeats_since_last_record": count}
        if failure.old_password:
            detail["old_password_suspected"] = True
        if not known and NAME_PATTERN.fullmatch(failure.account):
            detail["tried"] = failure.account  # a name, never something that looks like a typed password
        self._audit.record_now(
            "smb.sign_in",
            Actor(failure.account if known else "", failure.address),
            target=failure.account if known else "",
            outcome="failure",
            **detail,
        )
        _log.info("smb sign-in failed", account=failure.account if known else "", client=failure.address,
                  reason=failure.reason, old_password=failure.old_password)  # fmt: skip

    def _share_refused(self, line: str) -> None:
        found = SHARE_REFUSED.search(line)
        if found is None:
            return
        account, share = found.group(1).lower(), found.group(2)
        address = self._last_address.get(account, "")
        failure = SmbFailure(account, address, f"no access to the shared folder {share}", self._now())
        self._record(failure, known=self._known_account(account) is not None)
