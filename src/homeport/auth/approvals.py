"""Approving a sign-in from another signed-in session of the same account ("is this you?"), with number
matching: the waiting browser shows a number, the account's open console pages (and root's `homeport approve`)
show three, and only the one the waiting browser shows approves it.

Against push bombing (a stranger who knows the password asking again and again until someone taps "yes"):

    rule                                   value
    a request's life                       REQUEST_SECONDS (2 min)
    pending requests per account           1 (a second waiting sign-in is told to wait or use another method)
    new requests per account               PER_ACCOUNT per RATE_WINDOW (3 per 10 min)
    new requests per address               PER_ADDRESS per RATE_WINDOW (5 per 10 min)
    after "this wasn't me"                 no requests for the account for PAUSE_SECONDS (1 h); the waiting
                                           sign-in ends; administrators are told (audit + console banner)
    a wrong number                         denies the request

Auto block and account protection are checked when a request begins, when it is approved, and again when the
sign-in completes (LoginService.finish). Requests live in memory: a restart forgets them (and the waiting
sign-ins they belong to), so nothing is ever approved by a request from before it.
"""

from __future__ import annotations

import datetime
import re
import secrets
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TypeVar

import structlog

from homeport.accounts import repository
from homeport.audit.log import Actor, AuditLog
from homeport.auth.login import LoginService, Origin, SignIn
from homeport.auth.pending import APPROVAL, Waiting
from homeport.auth.sessions import SessionService
from homeport.auth.throttle import LoginThrottle
from homeport.auth.totp import qr_svg
from homeport.core.agents import describe_agent
from homeport.core.clock import Clock
from homeport.core.errors import Conflict, Forbidden, NotFound, TooManyAttempts
from homeport.core.live import LiveEvent, LiveHub
from homeport.store.db import Database

_log = structlog.get_logger("homeport.auth")

REQUEST_SECONDS = 120
PER_ACCOUNT, PER_ADDRESS, RATE_WINDOW = 3, 5, 600.0
PAUSE_SECONDS = 3600.0
REPORT_SECONDS = 24 * 3600.0  # how long administrators see a report on every console page (the log keeps it)
KEEP_DECIDED_SECONDS = 600.0  # a decided request is kept this long, so its waiting browser can still read it

PENDING, APPROVED, DENIED, EXPIRED, REFUSED, DONE = "pending", "approved", "denied", "expired", "refused", "done"
STATE_MESSAGES = {
    PENDING: "Waiting for you to approve it on your other device.",
    APPROVED: "Approved. Signing you in…",
    DENIED: "The request was denied on your other device.",
    EXPIRED: "Nobody approved it within 2 minutes. Ask again, or use another method.",
    REFUSED: "This sign-in cannot be approved now.",
    DONE: "Signed in.",
}
METHOD_CHANGES = {
    "auth.totp_added": "an authenticator app was added",
    "auth.totp_removed": "the authenticator app was removed",
    "auth.recovery_codes_replaced": "new recovery codes were made (the old ones no longer work)",
    "auth.factors_cleared": "every second factor was removed",
    "auth.factors_resumed": "your sign-in methods were turned back on",
    "auth.passkey_added": "a passkey was added",
    "auth.passkey_removed": "a passkey was removed",
    "auth.passkey_renamed": "a passkey was renamed",
}
METHOD_CHANGE_PREFIXES = ("auth.totp_", "auth.recovery_codes_", "auth.factors_", "auth.passkey_")
K = TypeVar("K")
NOT_WAITING = "This sign-in request is no longer waiting: it was answered, withdrawn, or expired after 2 minutes."


@dataclass
class ApprovalRequest:
    id: str
    user_id: int
    account: str
    waiting_digest: str
    client: str  # the address of the browser that waits
    browser: str  # "Chromium on Linux"
    requested_at: float  # wall clock
    expires: float  # monotonic
    number: int  # what the waiting browser shows; never sent to the approving side
    choices: tuple[int, int, int]  # the number and two others, in random order
    state: str = PENDING
    message: str = STATE_MESSAGES[PENDING]
    decided: float = 0.0  # monotonic

    def seconds_left(self, now: float) -> int:
        return max(0, int(self.expires - now + 0.999)) if self.state == PENDING else 0


@dataclass(frozen=True)
class Report:
    """An owner said a request was not theirs: their password is probably known to someone else."""

    account: str
    client: str
    browser: str
    at: float  # wall clock
    paused_until: float  # wall clock


def user_channel(user_id: int) -> str:
    return f"user:{user_id}"


def waiting_channel(digest: str) -> str:
    return f"waiting:{digest}"


def draw_choices() -> tuple[int, tuple[int, int, int]]:
    """A two-digit number and two decoys, shuffled (all from `secrets`)."""
    picked: list[int] = []
    while len(picked) < 3:
        candidate = 10 + secrets.randbelow(90)
        if candidate not in picked:
            picked.append(candidate)
    number = picked[0]
    shuffled = sorted(picked, key=lambda _: secrets.randbelow(1 << 30))
    return number, (shuffled[0], shuffled[1], shuffled[2])


def origin_of_waiting(waiting: Waiting) -> Origin:
    return Origin(address=waiting.client, user_agent=waiting.user_agent, device_cookie=waiting.device_cookie)


class ApprovalService:
    def __init__(
        self, db: Database, clock: Clock, login: LoginService, sessions: SessionService, throttle: LoginThrottle,
        audit: AuditLog, hub: LiveHub,
    ) -> None:  # fmt: skip
        self._db = db
        self._clock = clock
        self._login = login
        self._sessions = sessions
        self._throttle = throttle
        self._audit = audit
        self.hub = hub
        self.check_seconds = 5.0  # how often an account's live stream checks that its session is still on
        self._lock = threading.Lock()
        self._requests: dict[str, ApprovalRequest] = {}
        self._latest: dict[str, str] = {}  # waiting digest -> its latest request
        self._asked_by_account: dict[int, deque[float]] = {}
        self._asked_by_address: dict[str, deque[float]] = {}
        self._paused: dict[int, tuple[float, float]] = {}  # user id -> (monotonic, wall) end of the pause
        self._reports: list[Report] = []
        self.now_text: Callable[[float], str] = lambda at: datetime.datetime.fromtimestamp(at).strftime("%H:%M:%S")

    # --- whether an account can use it ---------------------------------------------------------------------

    def possible(self, user_id: int) -> bool:
        """LoginService.approval_possible: another live session of the account could approve, and approvals are
        not paused for it."""
        if self.paused_until(user_id) is not None:
            return False
        return any(s.kind == "normal" for s in self._sessions.list(user_id))

    def paused_until(self, user_id: int) -> float | None:
        """The wall-clock end of a pause after "this wasn't me", or None."""
        with self._lock:
            pause = self._paused.get(user_id)
            if pause is not None and pause[0] <= self._clock.monotonic():
                del self._paused[user_id]
                pause = None
        return None if pause is None else pause[1]

    # --- the waiting browser -------------------------------------------------------------------------------

    def begin(self, waiting: Waiting, origin: Origin) -> ApprovalRequest:
        """A request for this waiting sign-in (the same one again while it is pending or approved)."""
        if APPROVAL not in waiting.methods:
            raise Conflict("This sign-in cannot be approved from another device; use one of its other methods.",
                           code="approval_unavailable")  # fmt: skip
        until = self.paused_until(waiting.user_id)
        if until is not None:
            raise Conflict(self.paused_message(until), code="approvals_paused")
        self._admit(waiting, origin)
        now, key = self._clock.monotonic(), self._throttle.key_of(origin.address)
        with self._lock:
            self._tidy(now)
            current = self._requests.get(self._latest.get(waiting.digest, ""))
            if current is not None and current.state in (PENDING, APPROVED):
                return replace(current)
            other = next((r for r in self._requests.values() if r.user_id == waiting.user_id and r.state == PENDING),
                         None)  # fmt: skip
            if other is not None:
                raise Conflict(
                    f"Another sign-in to this account is waiting for approval (for {other.seconds_left(now)} s "
                    "more). Approve or deny it on your other device first, or use another method.",
                    code="approval_pending_elsewhere",
                )
            by_account = self._asked_by_account.setdefault(waiting.user_id, deque())
            by_address = self._asked_by_address.setdefault(key, deque())
            for asked, limit, whom in ((by_account, PER_ACCOUNT, "this account"), (by_address, PER_ADDRESS,
                                                                                  "this address")):  # fmt: skip
                if len(asked) >= limit:
                    raise TooManyAttempts(
                        f"Approval was asked for {limit} times in 10 minutes for {whom}; wait, or use another method.",
                        retry_after=int(asked[0] + RATE_WINDOW - now) + 1, code="approval_rate_limited",
                    )  # fmt: skip
            by_account.append(now)
            by_address.append(now)
            number, choices = draw_choices()
            request = ApprovalRequest(
                id=secrets.token_urlsafe(12), user_id=waiting.user_id, account=waiting.account,
                waiting_digest=waiting.digest, client=origin.address, browser=describe_agent(origin.user_agent),
                requested_at=self._clock.now(), expires=now + REQUEST_SECONDS, number=number, choices=choices,
            )  # fmt: skip
            self._requests[request.id] = request
            self._latest[waiting.digest] = request.id
        self._audit.record_now(
            "auth.approval_requested", Actor(waiting.account, origin.address), target=waiting.account,
            browser=request.browser,
        )  # fmt: skip
        self.hub.publish(user_channel(request.user_id), LiveEvent("approval", self.shown(request)))
        return replace(request)

    def status(self, waiting: Waiting) -> ApprovalRequest | None:
        """The latest request of this waiting sign-in (expired when its time is up), or None."""
        with self._lock:
            self._tidy(self._clock.monotonic())
            found = self._requests.get(self._latest.get(waiting.digest, ""))
            return None if found is None else replace(found)

    def finish(self, waiting: Waiting, origin: Origin) -> SignIn:
        """The approved sign-in completes (auto block and account protection are checked once more)."""
        found = self.status(waiting)
        if found is None:
            raise Conflict("No approval was asked for this sign-in; ask for one first.", code="approval_not_started")
        if found.state == PENDING:
            raise Conflict("Not approved yet: pick the number on your other device first.", code="approval_pending")
        if found.state == EXPIRED:
            raise Conflict(found.message, code="approval_expired")
        if found.state != APPROVED:
            raise Forbidden(found.message, code="approval_denied")
        result = self._login.finish(waiting, origin, APPROVAL)
        self._set_state(found.id, DONE, STATE_MESSAGES[DONE], expect=APPROVED)
        return result

    # --- the approving side --------------------------------------------------------------------------------

    def pending(self, user_id: int | None = None) -> list[ApprovalRequest]:
        """Pending requests of an account (every account's for root), oldest first."""
        now = self._clock.monotonic()
        with self._lock:
            self._tidy(now)
            found = [
                replace(r) for r in self._requests.values()
                if r.state == PENDING and (user_id is None or r.user_id == user_id)
            ]  # fmt: skip
        gone = [r for r in found if self._login.waiting.by_digest(r.waiting_digest) is None]
        for request in gone:  # its sign-in ended another way, or newer ones pushed it out: nothing to approve
            self._set_state(request.id, EXPIRED, STATE_MESSAGES[EXPIRED], expect=PENDING)
        return sorted((r for r in found if r not in gone), key=lambda r: r.requested_at)

    def approve(self, request_id: str, number: int, approver: Actor, user_id: int | None) -> ApprovalRequest:
        """Approve with the number the waiting browser shows; a wrong number denies the request. `user_id` is the
        approver's account (None: root on the machine)."""
        request, waiting = self._pending_of(request_id, user_id)
        if not secrets.compare_digest(str(number).encode(), str(request.number).encode()):
            message = "The wrong number was picked on your other device: the request is denied."
            self._decide(request, DENIED, message, approver, "auth.approval_denied", outcome="failure",
                         reason="wrong_number")  # fmt: skip
            raise Conflict(
                "That is not the number the signing-in browser shows, so the request is denied. If it was you, ask "
                "again from that browser.",
                code="wrong_number",
            )
        try:
            self._admit(waiting, origin_of_waiting(waiting))
        except TooManyAttempts as exc:
            self._decide(request, REFUSED, f"This sign-in cannot be approved now: {exc.message}", approver,
                         "auth.approval_denied", outcome="failure", reason=exc.code)  # fmt: skip
            raise Conflict(
                f"This sign-in was refused, not approved: its address or account is held back now ({exc.code}).",
                code="approval_refused",
            ) from None
        return self._decide(request, APPROVED, STATE_MESSAGES[APPROVED], approver, "auth.approval_granted")

    def deny(self, request_id: str, approver: Actor, user_id: int | None, *, report: bool) -> ApprovalRequest:
        """Deny; `report` ("this wasn't me") also ends the waiting sign-in, pauses approvals for the account and
        tells the administrators."""
        try:
            request, waiting = self._pending_of(request_id, user_id)
        except NotFound:
            # Gone meanwhile (answered, expired, or its sign-in pushed out by newer ones): a plain "deny" has
            # nothing left to do, but "this wasn't me" still pauses approvals and tells the administrators.
            known = self._known_of(request_id, user_id) if report else None
            if known is None:
                raise
            return self._report(known, approver, known)
        if not report:
            return self._decide(request, DENIED, STATE_MESSAGES[DENIED], approver, "auth.approval_denied")
        message = "The account's owner said this sign-in was not theirs. It has ended."
        decided = self._decide(request, DENIED, message, approver, "auth.approval_denied", reason="reported")
        self._login.waiting.close(waiting)
        return self._report(request, approver, decided)

    def _known_of(self, request_id: str, user_id: int | None) -> ApprovalRequest | None:
        """A request of this account still remembered, whatever its state."""
        with self._lock:
            request = self._requests.get(request_id[:64])
            if request is None or (user_id is not None and request.user_id != user_id):
                return None
            return replace(request)

    def _report(self, request: ApprovalRequest, approver: Actor, decided: ApprovalRequest) -> ApprovalRequest:
        mono_until, wall_until = self._clock.monotonic() + PAUSE_SECONDS, self._clock.now() + PAUSE_SECONDS
        found = Report(request.account, request.client, request.browser, self._clock.now(), wall_until)
        with self._lock:
            self._paused[request.user_id] = (mono_until, wall_until)
            self._reports.append(found)
        self._audit.record_now(
            "auth.approval_reported", approver, target=request.account, address=request.client,
            browser=request.browser, paused_until=wall_until,
        )  # fmt: skip
        _log.warning("sign-in approval reported as not the owner's", account=request.account, address=request.client)
        self._tell_administrators(found)
        return decided

    # --- notices -------------------------------------------------------------------------------------------

    def method_changed(self, user_id: int, account: str, action: str, actor: Actor) -> None:
        """FactorService.on_change: the account's other sessions hear of every change of its sign-in methods."""
        if not action.startswith(METHOD_CHANGE_PREFIXES):
            return
        what = METHOD_CHANGES.get(action, action.split(".", 1)[-1].replace("_", " "))
        by = "" if actor.name == account else f" by {actor.name}"
        where = f" from {actor.client}" if actor.client else ""
        message = f"Your sign-in methods changed: {what}{by}{where} at {self.now_text(self._clock.now())}."
        self.hub.publish(user_channel(user_id), LiveEvent("notice", {"message": message, "kind": "methods"}))

    def reports(self) -> list[Report]:
        """Reports of the last REPORT_SECONDS, newest first (for the administrators' banner)."""
        now = self._clock.now()
        with self._lock:
            self._reports = [r for r in self._reports if r.at > now - REPORT_SECONDS][-50:]
            return list(reversed(self._reports))

    def dismiss_reports(self, actor: Actor) -> None:
        with self._lock:
            count, self._reports = len(self._reports), []
        if count:
            self._audit.record_now("auth.approval_reports_read", actor, count=count)

    def paused_message(self, until: float) -> str:
        return (
            "Approval from another device is paused for this account until "
            f"{self.now_text(until)}: a request was reported as not started by its owner. Use another method."
        )

    def shown(self, request: ApprovalRequest) -> dict[str, object]:
        """What the approving side sees: never the number itself."""
        return {
            "id": request.id, "account": request.account, "client": request.client, "browser": request.browser,
            "requested_at": request.requested_at, "expires_in": request.seconds_left(self._clock.monotonic()),
            "choices": list(request.choices),
        }  # fmt: skip

    def state_event(self, request: ApprovalRequest | None) -> LiveEvent:
        """What the waiting browser sees."""
        if request is None:
            return LiveEvent("state", {"state": "none", "message": "No approval was asked for yet.", "expires_in": 0})
        left = request.seconds_left(self._clock.monotonic())
        return LiveEvent("state", {"state": request.state, "message": request.message, "expires_in": left})

    def close(self) -> None:
        """The device stops: every live stream ends now (not after the server's grace period)."""
        self.hub.end()

    # --- inside --------------------------------------------------------------------------------------------

    def _admit(self, waiting: Waiting, origin: Origin) -> None:
        """Auto block and account protection, as for any second step; nothing is counted against anyone."""
        self._login.admit_second_step(waiting, origin)
        self._throttle.abandoned(waiting.account, origin.address)

    def _pending_of(self, request_id: str, user_id: int | None) -> tuple[ApprovalRequest, Waiting]:
        with self._lock:
            self._tidy(self._clock.monotonic())
            request = self._requests.get(request_id[:64])
            if request is None or request.state != PENDING or (user_id is not None and request.user_id != user_id):
                raise NotFound(NOT_WAITING, code="approval_not_found")  # another account's: not even that it exists
            request = replace(request)
        waiting = self._login.waiting.by_digest(request.waiting_digest)
        if waiting is None:  # completed another way, or abandoned
            self._set_state(request.id, EXPIRED, STATE_MESSAGES[EXPIRED], expect=PENDING)
            raise NotFound(NOT_WAITING, code="approval_not_found")
        return request, waiting

    def _decide(
        self, request: ApprovalRequest, state: str, message: str, approver: Actor, action: str,
        outcome: str = "success", **detail: str,
    ) -> ApprovalRequest:  # fmt: skip
        if not self._set_state(request.id, state, message, expect=PENDING):
            raise NotFound(NOT_WAITING, code="approval_not_found")  # someone else answered first
        self._audit.record_now(action, approver, target=request.account, outcome=outcome, address=request.client,
                               **detail)  # fmt: skip
        return replace(request, state=state, message=message)

    def _set_state(self, request_id: str, state: str, message: str, *, expect: str) -> bool:
        """Move a request on (only from `expect`: one decision wins) and tell both sides."""
        with self._lock:
            request = self._requests.get(request_id)
            if request is None or request.state != expect:
                return False
            request.state, request.message, request.decided = state, message, self._clock.monotonic()
            shown = replace(request)
        self._announce(shown)
        return True

    def _announce(self, request: ApprovalRequest) -> None:
        self.hub.publish(waiting_channel(request.waiting_digest), self.state_event(request))
        closed = {"id": request.id, "state": request.state}
        self.hub.publish(user_channel(request.user_id), LiveEvent("approval_closed", closed))

    def _tidy(self, now: float) -> None:
        """Under the lock: expire what is due (and announce it), forget old requests and old counts."""
        expired = []
        for request in list(self._requests.values()):
            if request.state == PENDING and request.expires <= now:
                request.state, request.message, request.decided = EXPIRED, STATE_MESSAGES[EXPIRED], now
                expired.append(replace(request))
            elif request.state != PENDING and request.decided < now - KEEP_DECIDED_SECONDS:
                del self._requests[request.id]
                if self._latest.get(request.waiting_digest) == request.id:
                    del self._latest[request.waiting_digest]
        _forget_old(self._asked_by_account, now)
        _forget_old(self._asked_by_address, now)
        for request in expired:
            self._announce(request)  # the hub only queues: safe under the lock

    def _tell_administrators(self, report: Report) -> None:
        with self._db.read() as conn:
            admins = [u.id for u in repository.list_users(conn) if u.is_admin and u.enabled]
        message = (
            f"{report.account} said a sign-in approval request from {report.client} ({report.browser}) was not "
            f"theirs: their password is probably known to someone else. Approvals for {report.account} are paused "
            f"until {self.now_text(report.paused_until)}."
        )
        for admin in admins:
            self.hub.publish(user_channel(admin), LiveEvent("notice", {"message": message, "kind": "report"}))


def _forget_old(table: dict[K, deque[float]], now: float) -> None:
    for key, asked in list(table.items()):
        while asked and asked[0] <= now - RATE_WINDOW:
            asked.popleft()
        if not asked:
            del table[key]


_HOST = re.compile(r"^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,253})|\[[0-9A-Fa-f:.]{2,45}\])(?::[0-9]{1,5})?$")


def approve_link(host: str, request: ApprovalRequest) -> str:
    """The address a phone signed in to the console opens by scanning the waiting browser's screen: the host
    that browser used (so it is on the same LAN name or address). Never the number: a link that carried it (or
    picked it) could be sent to the owner by whoever typed the password, and one tap would approve them; the
    approver reads the number off the waiting screen."""
    safe = host if _HOST.fullmatch(host or "") else "homeport.local"
    return f"https://{safe}/approve/{request.id}"


def approve_qr(host: str, request: ApprovalRequest) -> str:
    return qr_svg(approve_link(host, request))
