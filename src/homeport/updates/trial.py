"""The new release's trial: a real HTTPS sign-in to its own console with an account that exists only for the
trial, the sign-in invariant on the real store, then the checks other parts inject (SMB canary sign-in, mDNS,
network unchanged). The first problem found fails the trial."""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import json
import secrets
import ssl
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import structlog

from homeport.accounts.guardrails import sign_in_problem
from homeport.accounts.service import AccountService
from homeport.audit.log import SYSTEM
from homeport.core.errors import HomeportError
from homeport.store.db import Database
from homeport.system.settings import read_value, write_value

_log = structlog.get_logger("homeport.updates")

TrialCheck = Callable[[], Awaitable[str | None]]
"""An extra trial check: None when the service it checks works, else a sentence saying what does not."""
ServiceProbes = Mapping[str, Callable[[], bool]]
"""Service name -> "is it running now?": what ran before the switch must run again in the trial."""
SERVICE_START_SECONDS = 30.0

CANARY_PREFIX = "update-canary-"
# The trial account's exact name, kept in the store from before it is made until it is deleted: only that account
# is removed after a crash (an owner's own account may well be named `update-canary-...`).
TRIAL_ACCOUNT_KEY = "updates.trial_account"
WAIT_FOR_CONSOLE_SECONDS = 30.0
SIGN_IN_TIMEOUT_SECONDS = 15.0


@dataclass(frozen=True)
class ConsoleAddress:
    """Where the trial reaches this daemon's own console: loopback unless it listens only elsewhere."""

    host: str
    port: Callable[[], int]
    ca_file: Path


class Trial:
    def __init__(
        self, db: Database, accounts: AccountService, console: ConsoleAddress, extra: Sequence[TrialCheck],
        probes: ServiceProbes,
    ) -> None:  # fmt: skip
        self._db = db
        self._accounts = accounts
        self._console = console
        self._extra = tuple(extra)
        self.probes = probes

    def add_check(self, check: TrialCheck) -> None:
        """One more check, for parts built after the trial (the self-test's, which need every service)."""
        self._extra = (*self._extra, check)

    def running_now(self) -> dict[str, bool]:
        """Which services run, recorded in the journal before the switch."""
        return {name: probe() for name, probe in self.probes.items()}

    async def run(self, before: Mapping[str, bool]) -> str | None:
        """None when the release passed, else why it failed."""
        problem = await self._sign_in_works()
        if problem is None:
            problem = await asyncio.to_thread(self._invariant)
        if problem is None:
            problem = await self._services_run_again(before)
        for check in self._extra:
            if problem is not None:
                break
            try:
                problem = await check()
            except Exception as exc:  # a check that breaks is a failed check, never a passed one
                problem = f"a trial check failed to run ({type(exc).__name__}: {exc})"
        return problem

    async def _services_run_again(self, before: Mapping[str, bool]) -> str | None:
        """Each service that ran before the switch runs again (a started service may take a few seconds)."""
        for name, was_running in before.items():
            probe = self.probes.get(name)
            if not was_running or probe is None:
                continue
            deadline = time.monotonic() + SERVICE_START_SECONDS
            while not await asyncio.to_thread(probe):
                if time.monotonic() > deadline:
                    return f"{name} ran before the update and does not run now"
                await asyncio.sleep(0.5)
        return None

    def _invariant(self) -> str | None:
        with self._db.read() as conn:
            if read_value(conn, "system.state") in (None, "not-installed", "damaged"):
                return None
            return sign_in_problem(conn)

    async def _sign_in_works(self) -> str | None:
        if not self._installed():
            return None  # nobody can sign in before setup: the console answering is what can be checked
        name = f"{CANARY_PREFIX}{secrets.token_hex(4)}"
        password = secrets.token_urlsafe(48)  # 64 characters, kept only in this frame
        try:
            prepared = await asyncio.to_thread(self._accounts.prepare_user, name, password)
            await asyncio.to_thread(self._remember_account, name)
            await asyncio.to_thread(self._accounts.create_user, SYSTEM, prepared)
        except HomeportError as exc:
            await asyncio.to_thread(self._remember_account, None)
            return f"the trial account could not be made ({exc.message})"
        try:
            return await asyncio.to_thread(self._sign_in, name, password)
        finally:
            await asyncio.to_thread(remove_trial_account, self._db, self._accounts)

    def _remember_account(self, name: str | None) -> None:
        with self._db.write() as conn:
            write_value(conn, TRIAL_ACCOUNT_KEY, name)

    def _installed(self) -> bool:
        with self._db.read() as conn:
            return read_value(conn, "system.state") in ("ready", "recovery")

    def _sign_in(self, name: str, password: str) -> str | None:
        """POST /api/v1/auth/login over real HTTPS, trusting only the device CA, retried while the console starts."""
        deadline = time.monotonic() + WAIT_FOR_CONSOLE_SECONDS
        last = "the console did not answer"
        while time.monotonic() < deadline:
            try:
                status = self._post_login(name, password)
            except (OSError, http.client.HTTPException) as exc:
                last = f"the console did not answer over HTTPS ({type(exc).__name__}: {exc})"
                time.sleep(0.2)
                continue
            if status in (200, 202):  # 202: the password was right and a second step is due
                return None
            return f"a sign-in with a new account's right password was refused (HTTP {status})"
        return last

    def _post_login(self, name: str, password: str) -> int:
        context = ssl.create_default_context(cafile=str(self._console.ca_file))
        connection = http.client.HTTPSConnection(
            self._console.host, self._console.port(), context=context, timeout=SIGN_IN_TIMEOUT_SECONDS
        )
        try:
            body = json.dumps({"username": name, "password": password})
            connection.request("POST", "/api/v1/auth/login", body=body, headers={"content-type": "application/json"})
            answer = connection.getresponse()
            answer.read()
            return answer.status
        finally:
            connection.close()


def remove_trial_account(db: Database, accounts: AccountService) -> None:
    """Delete the trial's account (at its end, or at the next start after a crash), and only that one."""
    with db.read() as conn:
        name = read_value(conn, TRIAL_ACCOUNT_KEY)
    if not name:
        return
    with contextlib.suppress(HomeportError):  # never made (a crash before), or gone already
        accounts.delete_user(SYSTEM, str(name))
    with db.write() as conn:
        write_value(conn, TRIAL_ACCOUNT_KEY, None)
