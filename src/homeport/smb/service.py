"""The SMB file service: keeps Samba equal to the store, and reports how it is doing.

One worker thread does every Samba call, woken after each commit that touched accounts, groups, shares, blocked
addresses or the SMB settings (a counter bumped by triggers, m0006), and every few minutes for the drift check. It
renders smb.conf and applies it, makes the Unix accounts Samba needs, writes passdb, reads it back and only then
marks passwords in sync. Nothing in the console's sign-in path waits for it: a broken Samba shows here, in the
status, and never locks anyone out of the console.
"""

from __future__ import annotations

import contextlib
import dataclasses
import ipaddress
import os
import signal
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import structlog

from homeport.audit.log import SYSTEM, Actor, AuditLog
from homeport.auth.sealing import Sealer
from homeport.core.clock import Clock
from homeport.core.errors import Conflict
from homeport.files import repository as shares_repository
from homeport.files.access import effective_access, readers_and_writers
from homeport.files.service import ShareService
from homeport.smb import accounts, transient
from homeport.smb.accounts import Confirmed, Drift
from homeport.smb.apply import ConfigRefused, apply_config
from homeport.smb.auth_audit import SmbSignIns, StaleClient
from homeport.smb.config import ServerSection, ShareSection, netbios_name, render
from homeport.smb.confine import helpers_to_hide, is_confined
from homeport.smb.layout import SambaLayout, remove_stale_runtimes
from homeport.smb.passdb import Passdb, PassdbEntry, PassdbUnreadable, remove_leftover_imports
from homeport.smb.server import EmbeddedSmbd, pid_in
from homeport.smb.settings import SMB_KEY, SmbSettings, from_stored, validate_smb
from homeport.smb.tools import SambaTools, SambaUnavailable
from homeport.smb.unix_accounts import HostAccounts, UnixAccounts, WrappedAccounts, systemd_drop_in
from homeport.smb.wsdd import windows_discovery
from homeport.store.db import Database
from homeport.system.device import DeviceService
from homeport.system.settings import read_value, write_value

_log = structlog.get_logger("homeport.smb")

SmbMode = Literal["embedded", "system", "off"]
DEFAULT_SMB_PORT = 445
DRIFT_INTERVAL = 180.0
HEALTH_INTERVAL = 15.0
DROP_IN = Path("/etc/systemd/system/smbd.service.d/homeport.conf")


@dataclass
class Health:
    """What the worker last saw (read by status; written only by the worker)."""

    config_error: str = ""
    passdb_error: str = ""
    unix_problems: list[str] = field(default_factory=list)
    last_sync_at: float | None = None
    last_check_at: float | None = None
    last_drift: dict[str, Any] = field(default_factory=dict)  # what the last repair found, and when
    needs_password: tuple[str, ...] = ()
    pending: tuple[str, ...] = ()


@dataclass(frozen=True)
class SmbStatus:
    mode: SmbMode
    running: bool
    port: int
    version: str
    restarts: int
    last_exit: str
    problems: tuple[str, ...]  # what is wrong now, in words (empty when all is well)
    pending: tuple[str, ...]  # accounts whose password Samba does not hold yet
    needs_password: tuple[str, ...]  # accounts that must sign in (or get a new password) before SMB works
    last_sync_at: float | None
    last_check_at: float | None
    last_drift: dict[str, Any]
    settings: SmbSettings
    stale_clients: tuple[StaleClient, ...] = ()  # devices retrying an old saved password


@dataclass(frozen=True)
class CheckResult:
    drift: Drift
    repaired: bool
    needs_password: tuple[str, ...]
    error: str = ""


class FileService:
    def __init__(
        self, db: Database, clock: Clock, audit: AuditLog, sealer: Sealer, shares: ShareService,
        device: DeviceService, layout: SambaLayout, *, mode: SmbMode, port: int = DEFAULT_SMB_PORT,
        binds: tuple[str, ...] = (), blocked: Any = None, count_failure: Callable[[str], None] | None = None,
        discovery_interfaces: tuple[str, ...] = (),
    ) -> None:  # fmt: skip
        self._db = db
        self._clock = clock
        self._audit = audit
        self._sealer = sealer
        self._shares = shares
        self._device = device
        self.layout = layout
        self.mode = mode
        self.port = port
        self._binds = tuple(b for b in binds if b not in ("0.0.0.0", "::"))  # noqa: S104
        self._blocked = blocked  # BlockList, for `hosts deny`
        self.tools = SambaTools(layout, wrapped_accounts=mode == "embedded")
        self._passdb = Passdb(self.tools)
        self._unix: UnixAccounts = WrappedAccounts(layout) if mode == "embedded" else HostAccounts()
        host = self._binds[0] if self._binds else "127.0.0.1"
        self.server = EmbeddedSmbd(self.tools, port, host) if mode == "embedded" else None
        self.health = Health()
        self._confirmed = Confirmed()
        self._wake = threading.Event()
        self._started = threading.Event()
        self._stopping = threading.Event()
        self._work = threading.Lock()  # one Samba change at a time (worker, on-demand checks)
        self._thread: threading.Thread | None = None
        self._generation = -1
        self._synced = threading.Condition()
        self._passes = 0  # passes finished
        self._begun = 0  # passes begun (each reads the store after it begins)
        self.version = ""
        self.on_change: Callable[[], None] | None = None  # what is announced may have changed (the advertiser)
        self._announced: tuple[bool, tuple[str, ...]] = (False, ())
        self._count_failure = count_failure or (lambda _address: None)
        self.sign_ins: SmbSignIns | None = None
        self.wsdd = windows_discovery(
            discovery_interfaces, lambda: netbios_name(device.name()), lambda: self.settings().workgroup
        )

    # --- lifecycle --------------------------------------------------------------------------------------

    def start(self) -> None:
        if self.mode == "off":
            return
        self.layout.prepare()
        remove_leftover_imports()
        if self.layout.runtime is not None:
            remove_stale_runtimes(self.layout.runtime.parent)
        self.sign_ins = SmbSignIns(
            self.layout.auth_log, self.layout.log_file, self._audit, self._password_changed_at,
            self._count_failure, self._clock.now,
        )  # fmt: skip
        self.sign_ins.start()
        self._db.listen_to_commits(self._wake.set)
        self._thread = threading.Thread(target=self._run, name="homeport-files", daemon=True)
        self._thread.start()

    def _password_changed_at(self, name: str) -> float | None:
        """When the account's password last changed (0 if never recorded); None if there is no such account."""
        with self._db.read() as conn:
            row = conn.execute("SELECT password_changed_at FROM users WHERE name = ?", (name,)).fetchone()
        return None if row is None else float(row[0] or 0)

    def stop(self) -> None:
        if self.sign_ins is not None:
            self.sign_ins.stop()
        if self.wsdd is not None:
            self.wsdd.stop()
        self._stopping.set()
        self._wake.set()
        if self.server is not None:
            self.server.stop()  # first: the worker may be waiting for it to answer
        if self._thread is not None:
            self._thread.join(30)
        if self.server is not None:
            self.server.stop()  # again: a first pass under way may have started it meanwhile
            self.layout.remove_runtime()

    def wait_synced(self, timeout: float) -> bool:
        """Block until the worker has finished a pass that began after this call (tests, the CLI)."""
        with self._synced:
            target = self._begun + 1  # the next pass to begin: it reads the store after this call
            self._wake.set()
            return self._synced.wait_for(lambda: self._passes >= target or self._stopping.is_set(), timeout)

    def wait_started(self, timeout: float) -> bool:
        """Block until the first pass is done and smbd (embedded) answers or gave up (tests, benchmarks)."""
        return self._started.wait(timeout)

    def _first_pass(self) -> None:
        """In the worker, never in the daemon's start: a Samba that hangs must not keep the console from
        listening. The configuration and passdb first, so smbd starts on the current ones."""
        with contextlib.suppress(SambaUnavailable):
            self.version = self.tools.version()
        self._remove_transient_leftovers()
        try:
            self._pass(full=True)
        except Exception:
            _log.exception("the file service could not bring Samba up to date")
        if self.mode == "system":
            self._write_drop_in()
        if self.server is not None:
            if os.geteuid() != 0:
                self.health.config_error = "The embedded SMB server needs root: run Homeport as root, or --smb off."
            elif self.layout.conf.exists() and not self._stopping.is_set():
                self.server.start()
                if self.server.wait_until_answering(10.0):
                    self._tell_if_announcement_changed()
        if self.wsdd is not None and not self._stopping.is_set():
            self.wsdd.start()

    def _remove_transient_leftovers(self) -> None:
        """Before the first drift check (which would call them drift): transient accounts a killed daemon left."""
        if not self.layout.conf.exists():
            return
        try:
            with self._work:
                left = transient.remove_leftovers(self._passdb)
        except SambaUnavailable as exc:
            _log.warning("could not look for left-over temporary SMB accounts", reason=str(exc))
            return
        for name in left:
            self._audit.record_now("smb.transient_account_removed", SYSTEM, target=name)

    def _run(self) -> None:
        try:
            self._first_pass()
        finally:
            self._started.set()
        last_full = time.monotonic()
        while not self._stopping.is_set():
            # A look at smbd's folders and passdb every HEALTH_INTERVAL; the full check every DRIFT_INTERVAL.
            woken = self._wake.wait(HEALTH_INTERVAL)
            self._wake.clear()
            if self._stopping.is_set():
                break
            full = time.monotonic() - last_full >= DRIFT_INTERVAL
            if full:
                last_full = time.monotonic()
            try:
                self._pass(full=full, watch=not woken)
            except Exception:  # never let one bad pass end the worker
                _log.exception("the file service could not bring Samba up to date")

    # --- one pass ---------------------------------------------------------------------------------------

    def _generation_now(self) -> int:
        with self._db.read() as conn:
            row = conn.execute("SELECT value FROM files_generation WHERE id = 1").fetchone()
        return int(row[0]) if row else 0

    def _pass(self, *, full: bool, watch: bool = False) -> None:
        with self._work:
            self._keep_runtime()
            with self._synced:
                self._begun += 1
            generation = self._generation_now()
            if full or generation != self._generation:
                self._apply_configuration()
                self._sync_passdb(reason="check" if full else "change")
                self._generation = generation
            elif watch and (self.server is not None or self.mode == "system"):
                # passdb read every HEALTH_INTERVAL too: Samba 4.17 lets a signed-in SMB account change a password
                # through SAMR (its rpcd cannot be turned off alone); such a change is set back within seconds,
                # audited, and the sessions opened with it end.
                self._sync_passdb(reason="watch")
        self._tell_if_announcement_changed()
        with self._synced:
            self._passes += 1
            self._synced.notify_all()

    def _tell_if_announcement_changed(self) -> None:
        answering = self.running() and self.settings().enabled
        shares = tuple(sorted(s.share.name for s in self._shares.list() if s.share.time_machine and s.available))
        now = (answering, shares if answering else ())
        if now != self._announced:
            self._announced = now
            if self.on_change is not None:
                self.on_change()

    def announced(self) -> bool:
        """Whether `_smb._tcp` is announced: the service answers (as of the worker's last pass)."""
        return self._announced[0]

    def time_machine_shares(self) -> tuple[str, ...]:
        return self._announced[1]

    def _keep_runtime(self) -> None:
        """The volatile folders under /run (locks, messaging sockets) removed under a running smbd (a reboot of
        /run, a clean-up by hand): made again, and smbd restarted on them, or it would refuse every client."""
        runtime = self.layout.runtime
        if runtime is None or runtime.exists():
            return
        self.layout.prepare()
        if self.server is not None and self.server.state().running:
            self.server.restart("its lock folder under /run had been removed")

    def render_now(self) -> tuple[str, list[ShareSection]]:
        settings = self.settings()
        sections = self._sections()
        if not settings.enabled:  # turned off in the settings: every share off, nothing announced
            sections = [dataclasses.replace(s, available=False) for s in sections]
        denied = self._denied()
        server = ServerSection(
            netbios_name=netbios_name(self._device.name()),
            server_string=f"Homeport {self._device.name()}",
            port=self.port,
            binds=self._binds,
            denied=denied,
        )
        return render(self.layout, settings, server, sections), sections

    def _sections(self) -> list[ShareSection]:
        states = self._shares.list()
        with self._db.read() as conn:
            members = shares_repository.memberships(conn)
        sections = []
        for state in states:
            share = state.share
            readers, writers = readers_and_writers(effective_access(share.users, share.groups, members))
            sections.append(
                ShareSection(
                    name=share.name, path=state.path, comment=share.description, browseable=not share.hidden,
                    readers=tuple(readers), writers=tuple(writers), recycle_bin=share.recycle_bin,
                    time_machine=share.time_machine, time_machine_limit_gb=share.time_machine_limit_gb,
                    available=state.available,
                )
            )  # fmt: skip
        return sections

    def _denied(self) -> tuple[str, ...]:
        if self._blocked is None:
            return ()
        denied = []
        for block in self._blocked.active():
            with contextlib.suppress(ValueError):
                network = ipaddress.ip_network(block.address, strict=False)
                denied.append(str(network.network_address) if network.num_addresses == 1 else str(network))
        return tuple(sorted(set(denied)))

    def _apply_configuration(self) -> None:
        text, sections = self.render_now()
        self._end_blocked_connections(self._denied())
        try:
            running = self.server.answers() if self.server is not None else self.mode == "system"
            applied = apply_config(self.tools, text, sections, running=running)
        except (ConfigRefused, SambaUnavailable, OSError) as exc:
            if str(exc) != self.health.config_error:
                _log.error("smb.conf not applied", reason=str(exc))
                self._audit.record_now("smb.config_refused", SYSTEM, outcome="failure", reason=str(exc)[:300])
            self.health.config_error = str(exc)
            return
        self.health.config_error = ""
        if applied.changed:
            _log.info("smb.conf applied", reloaded=applied.reloaded, shares=len(sections))

    def _keep_uids_unused(self) -> None:
        """A store restored from an older backup counts uids from where it was then: the accounts made since still
        own files, so the counter goes past every uid the Unix accounts hold before they are rewritten."""
        highest = self._unix.highest_uid()
        if highest is None:
            return
        with self._db.read() as conn:
            behind = conn.execute("SELECT next_uid <= ? FROM unix_id_counter", (highest,)).fetchone()
        if behind and behind[0]:
            with self._db.write() as conn:
                conn.execute("UPDATE unix_id_counter SET next_uid = MAX(next_uid, ?)", (highest + 1,))
            _log.info("uid counter moved past the existing SMB accounts", next_uid=highest + 1)

    def _sync_passdb(self, reason: str) -> CheckResult:
        """Make passdb equal to the store; differences nobody in Homeport asked for are audited as drift."""
        self._keep_uids_unused()
        with self._db.read() as conn:
            want = accounts.wanted(conn, self._sealer)
        try:
            self.health.unix_problems = self._unix.ensure({e.name: e.uid for e in want.entries.values()})
            try:
                have = self._passdb.entries()
            except PassdbUnreadable as exc:
                have = self._rebuild_passdb(str(exc))
            held = dict(have)
            drift = accounts.compare(want.entries, have, want.needs_password)
            behind_back = self._behind_back(drift, want, have)
            still_enabled = [have[n] for n in want.disabled_without_hash if n in have and not have[n].disabled]
            if still_enabled:  # a disabled account whose hash Homeport cannot read: Samba keeps it, disabled
                self._passdb.write(dataclasses.replace(entry, disabled=True) for entry in still_enabled)
                self._close_sessions(still_enabled)
                have = self._passdb.entries()
            if drift.any:
                self._passdb.write(want.entries[n] for n in (*drift.missing, *drift.wrong_hash, *drift.wrong_flags))
                for name in drift.unexpected:
                    self._passdb.remove(name)
                have = self._passdb.entries()
            if self.server is not None and self.server.holds_old_passdb():
                self.server.restart("its password database had been replaced by a new file")
            left = accounts.compare(want.entries, have, want.needs_password)
            in_sync = {n for n in want.entries if n not in left.names()}
            with self._db.write() as conn:
                accounts.mark_synced(conn, want.sealed, in_sync - set(want.synced), self._clock.now())
                if behind_back.any:
                    self._audit.record(conn, "smb.drift_repaired", SYSTEM, target=reason, detail=behind_back.as_dict())
            self._confirmed.entries = dict(have)
            # Removed, disabled, or with another password (changed, reset, or set back after a change behind
            # Homeport's back): sessions opened before go, as the console's do.
            self._close_sessions(
                [*(held[n] for n in drift.unexpected), *(want.entries[n] for n in drift.wrong_hash),
                 *(want.entries[n] for n in drift.wrong_flags if want.entries[n].disabled)]
            )  # fmt: skip
        except (SambaUnavailable, OSError, sqlite3.Error) as exc:
            self.health.passdb_error = str(exc)
            self.health.pending = tuple(n for n in want.entries if n not in want.synced)
            self.health.needs_password = want.needs_password
            return CheckResult(Drift(), False, want.needs_password, str(exc))
        now = self._clock.now()
        self.health.passdb_error = "" if not left.any else "Samba did not take: " + "; ".join(left.sentences())
        self.health.last_sync_at = now
        self.health.needs_password = want.needs_password
        self.health.pending = tuple(sorted(left.names()))
        if reason == "check":
            self.health.last_check_at = now
        if behind_back.any:
            _log.warning("smb passdb drift repaired", **behind_back.as_dict())
            self.health.last_drift = {"at": now, **behind_back.as_dict()}
        return CheckResult(behind_back, drift.any, want.needs_password)

    def _rebuild_passdb(self, reason: str) -> dict[str, PassdbEntry]:
        """The store holds every account and hash: an unreadable passdb is set aside and made again."""
        kept = self._passdb.set_aside()
        _log.error("smb passdb unreadable; set aside and made again from the store", reason=reason, kept=str(kept))
        self._audit.record_now("smb.passdb_rebuilt", SYSTEM, outcome="failure", reason=reason[:300], kept=str(kept))
        return self._passdb.entries()

    def _behind_back(self, drift: Drift, want: accounts.Wanted, have: dict[str, PassdbEntry]) -> Drift:
        """The differences the store did not cause: passdb changed since this process (or, before its first
        pass, a confirmed sync) last saw it equal to the store."""
        seen = self._confirmed.entries
        if seen is None:
            return Drift(
                missing=tuple(n for n in drift.missing if n in want.synced),
                unexpected=drift.unexpected,
                wrong_hash=tuple(n for n in drift.wrong_hash if n in want.synced),
                wrong_flags=(),
            )
        return Drift(
            missing=tuple(n for n in drift.missing if n in seen),
            # (Not the uid: once an account is deleted, its Unix account goes first and pdbedit lists no uid.)
            unexpected=tuple(n for n in drift.unexpected if n not in seen or _changed(seen[n], have[n])),
            wrong_hash=tuple(n for n in drift.wrong_hash if n in seen and seen[n].nt_hash != have[n].nt_hash),
            wrong_flags=tuple(n for n in drift.wrong_flags if n in seen and seen[n].disabled != have[n].disabled),
        )

    def _close_sessions(self, entries: list[PassdbEntry]) -> None:
        """End the open SMB sessions of these accounts (disabled, removed, or given another password): each client
        has its own smbd. Matched by name and by uid too: once an account's Unix entry is gone, smbstatus names
        its sessions by uid."""
        if not entries:
            return
        names = {e.name for e in entries} | {str(e.uid) for e in entries}
        for pid in self.session_pids(names):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGTERM)
                _log.info("smb session closed", accounts=sorted(e.name for e in entries), pid=pid)

    def session_pids(self, names: set[str]) -> list[int]:
        try:
            status = self.tools.status()
        except SambaUnavailable:
            return []
        pids = set()
        for session in (status.get("sessions") or {}).values():
            if session.get("username") in names or str(session.get("uid")) in names:
                with contextlib.suppress(TypeError, ValueError):
                    pids.add(int(session["server_id"]["pid"]))
        return sorted(pids)

    def _end_blocked_connections(self, denied: tuple[str, ...]) -> None:
        """`hosts deny` stops new connections only: the open ones of a blocked address (which may go on trying
        passwords on them) are ended too."""
        if not denied or self.server is None:
            return
        networks = [ipaddress.ip_network(d, strict=False) for d in denied]
        for pid, address in smbd_connections(self.layout.conf):
            ip = ipaddress.ip_address(address)
            mapped = ip.ipv4_mapped if isinstance(ip, ipaddress.IPv6Address) else None
            if any((mapped or ip) in n for n in networks if n.version == (mapped or ip).version):
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGTERM)
                    _log.info("smb connection of a blocked address ended", client=address, pid=pid)

    # --- asked for --------------------------------------------------------------------------------------

    def check(self, *, repair: bool) -> CheckResult:
        """The drift check on demand: compare passdb with the store; with `repair`, make it match."""
        if self.mode == "off":
            raise Conflict("The SMB service is off (homeport serve --smb off).", code="smb_off")
        self.layout.prepare()
        if repair:
            with self._work:
                self._apply_configuration()
                return self._sync_passdb(reason="check")
        try:
            with self._db.read() as conn:
                want = accounts.wanted(conn, self._sealer)
            have = self._passdb.entries()
        except SambaUnavailable as exc:
            return CheckResult(Drift(), False, (), str(exc))
        return CheckResult(accounts.compare(want.entries, have, want.needs_password), False, want.needs_password)

    @contextlib.contextmanager
    def transient_account(self, name: str, nt_hash: str) -> Iterator[None]:
        """An SMB account in Samba only, for the block (smb/transient.py); the worker waits meanwhile."""
        if not name.startswith(transient.PREFIX):
            raise ValueError(f"a transient SMB account's name starts with {transient.PREFIX}")
        if self.mode == "off":
            raise Conflict("The SMB service is off (homeport serve --smb off).", code="smb_off")
        with self._work:
            with self._db.read() as conn:
                keep = {e.name: e.uid for e in accounts.wanted(conn, self._sealer).entries.values()}
            transient.add(self._unix, self._passdb, keep, name, nt_hash)
            try:
                yield
            finally:
                transient.remove(self._unix, self._passdb, keep, name)

    def settings(self) -> SmbSettings:
        with self._db.read() as conn:
            return from_stored(read_value(conn, SMB_KEY))

    def change_settings(self, actor: Actor, changes: dict[str, Any]) -> SmbSettings:
        with self._db.write() as conn:
            before = from_stored(read_value(conn, SMB_KEY))
            updated = validate_smb(changes, before)
            write_value(conn, SMB_KEY, updated.as_dict())
            changed = sorted(k for k, v in updated.as_dict().items() if before.as_dict()[k] != v)
            if changed:
                self._audit.record(conn, "smb.settings_changed", actor, fields=changed, **updated.as_dict())
        return updated

    def sessions(self) -> list[dict[str, Any]]:
        """Connected clients: who, from where, which protocol, signed or encrypted, which shares."""
        if self.mode == "off":
            return []
        try:
            status = self.tools.status()
        except SambaUnavailable:
            return []
        shares_by_session: dict[str, list[str]] = {}
        for tcon in (status.get("tcons") or {}).values():
            shares_by_session.setdefault(str(tcon.get("session_id")), []).append(str(tcon.get("service")))
        found = []
        for session_id, session in (status.get("sessions") or {}).items():
            found.append(
                {
                    "user": session.get("username", ""),
                    "client": session.get("remote_machine") or session.get("hostname", ""),
                    "protocol": session.get("session_dialect", ""),
                    "encrypted": _in_use(session.get("encryption")),
                    "signed": _in_use(session.get("signing")),
                    "shares": sorted(shares_by_session.get(str(session_id), [])),
                }
            )
        return sorted(found, key=lambda s: (s["user"], s["client"]))

    def addresses_of(self, share: str) -> list[tuple[str, str]]:
        """How a computer on the LAN opens the share: (who uses it, address), empty when SMB is off."""
        if self.mode == "off":
            return []
        host = f"{self._device.name()}.local"
        if self.port == 445:
            return [("Windows", f"\\\\{host}\\{share}"), ("macOS and Linux", f"smb://{host}/{share}")]
        # Windows reaches SMB only on port 445: another port serves the others.
        return [("macOS and Linux", f"smb://{host}:{self.port}/{share}")]

    def accounts_needing_password(self, among: Sequence[str] | None = None) -> list[str]:
        """Accounts with a console password but no SMB copy of it ("SMB needs a new password"): made before the
        file service, or restored without the key. Their next console sign-in or password change fixes it.
        `among`: only these names (a page of a list), so a page never reads every account."""
        query = (
            "SELECT u.name FROM users u LEFT JOIN smb_passwords p ON p.user_id = u.id"
            " WHERE u.password_hash IS NOT NULL AND p.user_id IS NULL"
        )
        names = list(among) if among is not None else []
        if among is not None:
            query += f" AND u.name IN ({', '.join('?' * len(names))})" if names else " AND 0"
        with self._db.read() as conn:
            rows = conn.execute(query + " ORDER BY u.name", names).fetchall()
        return [r[0] for r in rows]

    def status(self) -> SmbStatus:
        health = self.health
        state = self.server.state() if self.server is not None else None
        running = self.running()
        problems = [p for p in (health.config_error, health.passdb_error) if p]
        problems += [f"Unix account {p}" for p in health.unix_problems]
        if self.mode != "off" and not self.settings().enabled:
            problems.insert(0, "SMB is turned off in the settings: no shared folder is served.")
        if self.mode != "off" and not running and not problems:
            problems.append(state.last_exit if state is not None and state.last_exit else "smbd is not running.")
        if running and self.password_service_reachable():
            problems.append(
                "Samba's password-change service (SAMR) is reachable: any SMB account can try other accounts' "
                "passwords through it. Homeport puts back any password changed there; run Homeport as root with "
                "CAP_SYS_ADMIN so that smbd starts without it."
            )
        return SmbStatus(
            mode=self.mode, running=running, port=self.port, version=self.version,
            restarts=state.restarts if state else 0, last_exit=state.last_exit if state else "",
            problems=tuple(problems), pending=health.pending, needs_password=health.needs_password,
            last_sync_at=health.last_sync_at, last_check_at=health.last_check_at, last_drift=dict(health.last_drift),
            settings=self.settings(),
            stale_clients=tuple(self.sign_ins.stale_clients()) if self.sign_ins is not None else (),
        )  # fmt: skip

    def password_service_reachable(self) -> bool:
        """Whether the running smbd could start Samba's SAMR helper (smb/confine.py hides it)."""
        hidden = helpers_to_hide()
        pid = self.server.state().pid if self.server is not None else pid_in(self.layout.folder("pid") / "smbd.pid")
        return bool(hidden) and pid is not None and not is_confined(pid, hidden)

    def running(self) -> bool:
        if self.mode == "off":
            return False
        if self.server is not None:
            return self.server.running()
        try:
            return self.tools.ping()
        except SambaUnavailable:
            return False

    def _write_drop_in(self) -> None:
        if not DROP_IN.parent.parent.is_dir():
            return  # no systemd here: the owner starts smbd with -s themselves
        with contextlib.suppress(OSError):
            DROP_IN.parent.mkdir(exist_ok=True)
            text = systemd_drop_in(self.layout.conf, helpers_to_hide())
            if not DROP_IN.exists() or DROP_IN.read_text() != text:
                DROP_IN.write_text(text)


def smbd_connections(conf: Path) -> list[tuple[int, str]]:
    """(pid, client address) of each client connection of this configuration's smbd: every client has its own
    smbd process, whose TCP socket names the peer (read from /proc: smbstatus lists only signed-in sessions)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            cmdline = (proc / "cmdline").read_bytes().split(b"\0")
            if not cmdline[0].endswith(b"smbd") or str(conf).encode() not in cmdline:
                continue
            links = [os.readlink(fd) for fd in (proc / "fd").iterdir()]
            sockets = {link[8:-1] for link in links if link.startswith("socket:[")}
            for table in ("tcp", "tcp6"):
                for line in (proc / "net" / table).read_text().splitlines()[1:]:
                    fields = line.split()
                    if fields[3] == "01" and fields[9] in sockets:  # ESTABLISHED, one of its own sockets
                        found.append((int(proc.name), _peer(fields[2])))
    return found


def _peer(field: str) -> str:
    """/proc/net/tcp's "0100007F:D431" (little-endian words) as an address."""
    raw = bytes.fromhex(field.split(":", maxsplit=1)[0])
    words = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
    return str(ipaddress.ip_address(words))


def _in_use(protection: object) -> bool:
    """smbstatus's signing or encryption of a session: a cipher, and not "-" (none), for every packet."""
    if not isinstance(protection, dict):
        return False
    cipher, degree = str(protection.get("cipher") or "-"), str(protection.get("degree") or "full")
    return cipher not in ("", "-") and degree not in ("none", "partial")


def _changed(before: PassdbEntry, now: PassdbEntry) -> bool:
    return (before.nt_hash, before.disabled) != (now.nt_hash, now.disabled)
