"""The composition root: opens the home and the store, builds every service and adapter, wires their events.

Nothing else constructs adapters, so tests assemble the same services with fakes where hardware is missing.
"""

from __future__ import annotations

import asyncio
import dataclasses
import ipaddress
import json
import os
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import structlog

from homeport import __version__
from homeport.accounts.guardrails import sign_in_problem
from homeport.accounts.models import User
from homeport.accounts.passwords import Argon2Parameters, PasswordHasher, calibrate
from homeport.accounts.service import AccountService
from homeport.advisor.advisor import Advisor
from homeport.advisor.facts import FactGatherer
from homeport.advisor.report import RecoveryReport
from homeport.advisor.timesync import TimeSync, system_time_sync
from homeport.audit.log import SYSTEM, AuditLog
from homeport.auth.approvals import ApprovalService
from homeport.auth.blocklist import BlockList
from homeport.auth.credentials import CredentialService
from homeport.auth.devices import DeviceTokens
from homeport.auth.factors import FactorService
from homeport.auth.login import LoginService
from homeport.auth.passkeys import PasskeyService
from homeport.auth.pending import WaitingSignIns
from homeport.auth.sealing import Sealer
from homeport.auth.sessions import SessionService
from homeport.auth.throttle import LoginThrottle
from homeport.backups.keys import WrapParameters
from homeport.backups.restore import LiveRestore, RestoreParts
from homeport.backups.scheduler import BackupScheduler
from homeport.backups.service import BackupService
from homeport.backups.writer import BackupWriter, WriterParts
from homeport.core.atomic import write_atomic
from homeport.core.clock import Clock, SystemClock
from homeport.core.events import (
    AddressesChanged,
    DeviceRenamed,
    DeviceStateChanged,
    EventBus,
    HostClaimed,
    NoticeRaised,
)
from homeport.core.live import LiveHub
from homeport.discovery.advertiser import Advertiser
from homeport.discovery.finder import Browser
from homeport.discovery.interfaces import Announcement
from homeport.files.service import ShareService
from homeport.hardware.setup import SpecError, button_from, feedback_from
from homeport.home import Home
from homeport.network.backends import NetworkBackend
from homeport.network.backends.networkd import DEFAULT_DIRECTORY as DEFAULT_NETWORKD_DIRECTORY
from homeport.network.backends.networkd import NetworkdBackend
from homeport.network.backends.virtual import VirtualBackend
from homeport.network.dhcp import DhcpEvent
from homeport.network.interfaces import (
    HostInterface,
    HostInterfaces,
    InterfaceReader,
    IpAddress,
    host_addresses,
    primary_mac,
)
from homeport.network.listeners import FixedPorts
from homeport.network.local import LocalNetworks
from homeport.network.service import DEFAULT_CONFIRM_SECONDS, NetworkService, WebListeners
from homeport.notify.dispatcher import Dispatcher
from homeport.notify.models import DeviceFacts
from homeport.notify.service import NotifyService, Outside
from homeport.notify.sources import audit_listener
from homeport.recovery.access import PRESENCE_SECONDS, RecoveryAccess
from homeport.recovery.button import ButtonTimings
from homeport.recovery.driver import ButtonDriver
from homeport.recovery.executor import RecoveryExecutor, RecoveryParts
from homeport.recovery.restore import ConfigurationRestore
from homeport.selftest.checks import run_checks
from homeport.selftest.kept_packages import kept_folder
from homeport.selftest.service import SelfTestPaths, SelfTestService
from homeport.selftest.snapshot import Snapshot, take_snapshot
from homeport.services import Notices, Services
from homeport.smb.layout import SambaLayout
from homeport.smb.service import DEFAULT_SMB_PORT, FileService, SmbMode
from homeport.store.db import Database
from homeport.store.migrations import MIGRATIONS, Migration
from homeport.store.opening import Damage, open_store
from homeport.system.device import DeviceIdentity, DeviceService
from homeport.system.settings import SettingsService, read_value, write_value
from homeport.system.setup import SetupService
from homeport.system.volumes import VolumeService
from homeport.tls.manager import CertificateSubject, Issuer, TlsManager, issue_in_child
from homeport.updates.releases import ReleaseRoot
from homeport.updates.service import DEFAULT_TRIAL_SECONDS, UpdateService
from homeport.updates.trial import ConsoleAddress, Trial, TrialCheck

_log = structlog.get_logger("homeport.daemon")

ARGON2_KEY = "security.argon2"
VIRTUAL_MODEL = "Homeport Virtual"
NetworkKind = Literal["virtual", "netlink", "networkd"]
NEIGHBOUR_REFRESH_SECONDS = 5.0
RECENT_ADDRESS_SECONDS = 3600.0
NOT_MANAGED_BY_DEFAULT = ("lo", "docker", "veth", "br-", "virbr", "ifb", "dummy", "tun", "tap", "wg", "vnet")


@dataclass(frozen=True)
class BuildOptions:
    """What the composition root needs besides the home (tests pass fixed Argon2 parameters)."""

    volumes: tuple[Path, ...] = ()
    argon2: Argon2Parameters | None = None
    hash_workers: int = field(default_factory=lambda: max(1, min(4, os.cpu_count() or 1)))
    model: str = VIRTUAL_MODEL
    migrations: tuple[Migration, ...] = MIGRATIONS
    tls_issuer: Issuer = issue_in_child
    network: NetworkKind = "virtual"
    interfaces: tuple[str, ...] = ()  # managed interfaces; empty: every physical-looking one
    confirm_seconds: int = DEFAULT_CONFIRM_SECONDS
    presence_seconds: float = PRESENCE_SECONDS
    # The reset gesture's timings times this (tests: 0.1 makes the 4 s hold 0.4 s); 1 on real devices.
    button_time_scale: float = 1.0
    resolv_conf: Path = Path("/etc/resolv.conf")
    networkd_dir: Path = DEFAULT_NETWORKD_DIRECTORY
    networkctl: tuple[str, ...] = ("networkctl",)
    discovery: bool = True
    button: str = "virtual"
    buzzer: str = "virtual"
    led: str = "virtual"
    time_sync: TimeSync = system_time_sync  # the Security Advisor's question to the system's time service
    smb: SmbMode = "off"  # `homeport serve` defaults to embedded; in-process tests run without Samba
    smb_port: int = DEFAULT_SMB_PORT
    smb_binds: tuple[str, ...] = ()
    selftest: SelfTestPaths = field(default_factory=SelfTestPaths)  # dpkg's log and apt's cache (tests: own)
    backup_wrap: WrapParameters | None = None  # Argon2id for the recovery passphrase (tests: a cheap one)
    backup_poll_seconds: float = 30.0
    console_binds: tuple[
        str, ...
    ] = ()  # the console's listening addresses (empty: all); the update trial signs in there
    releases: Path | None = None  # where releases live (updates are off without one)
    trial_seconds: float = DEFAULT_TRIAL_SECONDS
    trial_checks: tuple[TrialCheck, ...] = ()  # extra checks of an update's trial (SMB, mDNS, network)


class StartupError(Exception):
    """The daemon cannot be assembled as asked; the message says why."""


def managed_interfaces(links: list[HostInterface], chosen: tuple[str, ...]) -> dict[str, str]:
    """Name -> MAC of the interfaces Homeport manages: those chosen, or every physical-looking one."""
    by_name = {link.name: link.mac for link in links}
    if chosen:
        missing = [name for name in chosen if name not in by_name]
        if missing:
            raise StartupError(
                f"No network interface named {', '.join(missing)} (this host has {', '.join(sorted(by_name))})."
            )
        return {name: by_name[name] for name in chosen}
    return {
        link.name: link.mac for link in links if not link.loopback and not link.name.startswith(NOT_MANAGED_BY_DEFAULT)
    }


def _store_invariant(conn: sqlite3.Connection) -> str | None:
    """The migration invariant: once installed, an administrator must still be able to sign in."""
    state = read_value(conn, "system.state")
    return None if state in (None, "not-installed", "damaged") else sign_in_problem(conn)


def _argon2_parameters(db: Database, fixed: Argon2Parameters | None) -> Argon2Parameters:
    """Chosen by benchmark once per home, then kept (hashes carry their own parameters anyway)."""
    if fixed is not None:
        return fixed
    with db.read() as conn:
        stored = read_value(conn, ARGON2_KEY)
    if stored:
        return Argon2Parameters(**stored)
    params = calibrate()
    with db.write() as conn:
        write_value(conn, ARGON2_KEY, params.as_dict())
    _log.info("argon2id parameters chosen", **params.as_dict())
    return params


def _backend(
    options: BuildOptions, home: Home, managed: dict[str, str], reader: InterfaceReader, bus: EventBus
) -> NetworkBackend:
    if options.network == "netlink":
        from homeport.network.backends.netlink import NetlinkBackend

        return NetlinkBackend(list(managed), home.root / "network", options.resolv_conf, bus.publish)
    if options.network == "networkd":
        return NetworkdBackend(list(managed), reader, options.networkd_dir, options.networkctl)
    return VirtualBackend(reader, list(managed))


def build_services(
    home: Home,
    options: BuildOptions,
    *,
    clock: Clock | None = None,
    interfaces: InterfaceReader | None = None,
    listeners: WebListeners | None = None,
) -> Services:
    clock = clock or SystemClock()
    interfaces = interfaces or HostInterfaces()
    links = interfaces.interfaces()
    managed = managed_interfaces(links, options.interfaces)
    db, damage = open_store(home.db_path, home.backups, home.quarantine, _store_invariant, options.migrations)
    bus = EventBus()
    mac = next((m for m in managed.values() if m), primary_mac(links))
    identity = DeviceIdentity(model=options.model, serial=home.serial(), mac=mac)
    device = DeviceService(db, bus, identity)
    audit = AuditLog(db, clock)
    settings = SettingsService(db, audit)
    hasher = PasswordHasher(_argon2_parameters(db, options.argon2), workers=options.hash_workers)
    sessions = SessionService(db, clock, settings)
    local = LocalNetworks(interfaces, managed)
    bus.subscribe(AddressesChanged, local.invalidate)
    throttle = LoginThrottle(clock, BlockList(db, clock), local.attached)
    sealer = Sealer.in_home(home.root)
    factors = FactorService(db, clock, sealer, audit)
    login = LoginService(
        db, clock, hasher, throttle, sessions, settings, device, audit, DeviceTokens(db, clock), factors,
        WaitingSignIns(clock),
    )  # fmt: skip
    approvals = ApprovalService(db, clock, login, sessions, throttle, audit, LiveHub())
    login.approval_possible = approvals.possible
    factors.on_change = lambda user, actor, action: approvals.method_changed(user.id, user.name, action, actor)
    accounts = AccountService(db, clock, hasher, settings, sessions, audit, sealer)
    setup = SetupService(db, device, accounts, audit)
    tls = TlsManager(home.tls, f"Homeport {identity.serial} local CA", options.tls_issuer)
    if damage is not None:
        _record_damage(db, device, audit, damage)
    backend = _backend(options, home, managed, interfaces, bus)
    listeners = listeners or FixedPorts()
    writer, backups = _backup_services(db, clock, device, audit, bus, home, options, login)
    network = NetworkService(
        db, clock, backend, device, audit, managed, listeners, options.confirm_seconds,
        on_addresses_changed=lambda: bus.publish(AddressesChanged()), before_confirmed_change=backups.before,
    )  # fmt: skip
    bus.subscribe(DhcpEvent, network.record_lease)
    _keep_certificate_current(tls, device, network, interfaces, bus)
    advertiser = neighbours = None
    volume_service, shares, files = _file_services(
        home, options, db, clock, audit, sealer, device, throttle, settings, managed
    )
    if options.discovery:
        advertiser, neighbours = _discovery(device, network, listeners, bus, files)
        files.on_change = advertiser.poke
    try:
        button = button_from(options.button)
        feedback = feedback_from(options.buzzer, options.led)
    except SpecError as exc:
        raise StartupError(str(exc)) from exc
    executor = RecoveryExecutor(RecoveryParts(
        db, clock, device, network, settings, sessions, throttle, audit, volume_service.paths, feedback.play, factors,
        lambda reason, extra: [b.path for b in backups.create(reason, extra=extra)],
    ))  # fmt: skip
    access = RecoveryAccess(
        db, clock, device, accounts, sessions, settings, audit, factors, local, feedback.play,
        options.presence_seconds,
    )  # fmt: skip
    login.recovery = access
    facts = FactGatherer(db, clock, accounts, settings, device, network, tls.expires_at, options.time_sync)
    advisor = Advisor(db, clock, facts)
    _advise_when_back_in_service(advisor, settings, bus)
    _tidy(audit, throttle, sessions)
    return _wire_update_trial(
        Services(
            clock=clock,
            db=db,
            bus=bus,
            device=device,
            settings=settings,
            audit=audit,
            hasher=hasher,
            sessions=sessions,
            throttle=throttle,
            login=login,
            factors=factors,
            approvals=approvals,
            passkeys=PasskeyService(db, clock, audit, login, factors, device),
            accounts=accounts,
            credentials=CredentialService(accounts, login, settings),
            setup=setup,
            volumes=volume_service,
            shares=shares,
            files=files,
            tls=tls,
            network=network,
            advertiser=advertiser,
            neighbours=neighbours,
            recovery=executor,
            recovery_access=access,
            report=RecoveryReport(db, settings, network, accounts, factors, audit, advisor),
            advisor=advisor,
            restore=ConfigurationRestore(db, clock, device, accounts, settings, audit, volume_service.paths),
            button=ButtonDriver(
                button,
                executor,
                feedback.play,
                access.confirm_presence,
                ButtonTimings().scaled(options.button_time_scale),
            ),
            feedback=feedback,
            selftest=SelfTestService(db, clock, audit, bus, _selftest_paths(options.selftest, home)),
            notices=_notices(db, clock, sealer, audit, bus, device, listeners, accounts, login, volume_service),
            updates=_updates(home, options, db, audit, bus, sealer, hasher, accounts, tls, listeners, files, clock),
            started_at=clock.monotonic(),
            backups=backups,
            backup_restore=LiveRestore(
                RestoreParts(db, backups, network, device, settings, sessions, audit, writer.sealing_key_id)
            ),
            backup_scheduler=BackupScheduler(
                backups, clock, lambda: device.state() == "ready", poll_seconds=options.backup_poll_seconds
            ),
        )
    )


def _selftest_paths(paths: SelfTestPaths, home: Home) -> SelfTestPaths:
    """The copies of replaced Samba packages live in the home (selftest/kept_packages.py), unless a test says."""
    if paths.kept is not None:
        return paths
    return dataclasses.replace(paths, kept=kept_folder(home.root))


def _backup_services(
    db: Database, clock: Clock, device: DeviceService, audit: AuditLog, bus: EventBus, home: Home,
    options: BuildOptions, login: LoginService,
) -> tuple[BackupWriter, BackupService]:  # fmt: skip
    """Configuration backups on the data volumes (before the network service, which calls them)."""
    volume_paths = list(options.volumes)
    writer = BackupWriter(WriterParts(db, clock, device, audit, bus, lambda: volume_paths, home.root, home.db_path))
    backups = BackupService(
        db, clock, audit, writer, lambda: volume_paths, login.confirm_password, options.backup_wrap
    )  # fmt: skip
    return writer, backups


def _updates(
    home: Home, options: BuildOptions, db: Database, audit: AuditLog, bus: EventBus, sealer: Sealer,
    hasher: PasswordHasher, accounts: AccountService, tls: TlsManager, listeners: WebListeners, files: FileService,
    clock: Clock,
) -> UpdateService:  # fmt: skip
    """The trial signs in on loopback unless the console listens only on given addresses (then the first)."""
    specific = [b for b in options.console_binds if b not in ("0.0.0.0", "::")]  # noqa: S104
    host = specific[0] if specific else "localhost"
    console = ConsoleAddress(host, lambda: listeners.ports.https, tls.ca_cert_path)
    trial = Trial(db, accounts, console, options.trial_checks, {"The SMB file service": files.running})
    root = ReleaseRoot(options.releases) if options.releases is not None else None
    return UpdateService(
        home.root, root, db, audit, bus, sealer, hasher.params, accounts, trial, trial_seconds=options.trial_seconds,
        clock=clock,
    )  # fmt: skip


UPDATE_SNAPSHOT = "services-before.json"


def _wire_update_trial(services: Services) -> Services:
    """Before an update switches: a configuration backup on every volume (its failures are told by the backups
    part) and a snapshot of what runs. In the new release's trial: the self-test's checks against that snapshot,
    so SMB (with a canary sign-in), mDNS and the network must be as they were. Samba drift is not a reason to roll
    back: the file service repairs it."""

    def before_switch(folder: Path) -> None:
        services.backups.before("update")
        write_atomic(folder / UPDATE_SNAPSHOT, json.dumps(take_snapshot(services).as_dict()).encode())

    async def self_test_passes() -> str | None:
        journal = services.updates.journal() or {}
        saved = Path(str(journal.get("backup", ""))).parent / UPDATE_SNAPSHOT
        before = (
            Snapshot.from_dict(json.loads(saved.read_text())) if journal.get("backup") and saved.is_file() else None
        )
        failed = [r for r in await run_checks(services, before) if not r.ok and r.name != "smb_drift"]
        return "; ".join(f"{r.name}: {r.detail}" for r in failed) or None

    services.updates.before_switch = before_switch
    services.updates.trial.add_check(self_test_passes)
    return services


def _tidy(audit: AuditLog, throttle: LoginThrottle, sessions: SessionService) -> None:
    """At start: old audit records, ended blocks and expired sessions go."""
    audit.prune()
    throttle.blocklist.purge_expired()
    sessions.purge_expired()


def _file_services(
    home: Home, options: BuildOptions, db: Database, clock: Clock, audit: AuditLog, sealer: Sealer,
    device: DeviceService, throttle: LoginThrottle, settings: SettingsService, managed: dict[str, str],
) -> tuple[VolumeService, ShareService, FileService]:  # fmt: skip
    volumes = VolumeService(list(options.volumes))
    shares = ShareService(db, clock, audit, volumes)
    files = FileService(
        db, clock, audit, sealer, shares, device, SambaLayout.in_home(home.root), mode=options.smb,
        port=options.smb_port, binds=options.smb_binds, blocked=throttle.blocklist,
        count_failure=lambda address: _count_smb_failure(throttle, settings, address),
        discovery_interfaces=tuple(managed) if options.discovery else (),
    )  # fmt: skip
    return volumes, shares, files


def _count_smb_failure(throttle: LoginThrottle, settings: SettingsService, address: str) -> None:
    """A failed SMB sign-in counts toward the address's auto block, as a failed console sign-in does."""
    throttle.refused(address, settings.security())


def _keep_certificate_current(
    tls: TlsManager, device: DeviceService, network: NetworkService, interfaces: InterfaceReader, bus: EventBus
) -> None:
    """The certificate names `<name>.local` and the device's addresses, those it has and the static ones it is
    being given: issued now if needed, and again whenever the name or an address changes.

    An address the device had in the last hour stays named: a DHCP address that goes and comes back (a reset,
    a renewal, a cable) must not cost a certificate that, for a moment, is wrong for the browsers using it."""

    serial = threading.Lock()
    seen: dict[IpAddress, float] = {}
    claimed = [""]  # the mDNS host label, when another device had the name first

    def reissue() -> None:
        # One at a time, each reading the addresses only once it runs: a run that read them earlier must not
        # replace a newer certificate with one for the addresses of a moment ago.
        with serial:
            now = time.monotonic()
            for address in {*host_addresses(interfaces.interfaces()), *network.current().static_addresses()}:
                seen[address] = now
            for address in [a for a, at in seen.items() if now - at > RECENT_ADDRESS_SECONDS]:
                del seen[address]
            label = claimed[0] if claimed[0] != device.name() else ""
            tls.ensure(CertificateSubject(device.name(), frozenset(seen), label))

    def reissue_off_loop(_: object) -> None:
        try:
            asyncio.get_running_loop().run_in_executor(None, reissue)
        except RuntimeError:  # not on the event loop (a rename from a worker thread): do it here
            reissue()

    reissue()

    def host_claimed(event: HostClaimed) -> None:
        claimed[0] = event.label
        reissue_off_loop(event)

    bus.subscribe(DeviceRenamed, reissue_off_loop)
    bus.subscribe(AddressesChanged, reissue_off_loop)
    bus.subscribe(HostClaimed, host_claimed)


def _notices(
    db: Database,
    clock: Clock,
    sealer: Sealer,
    audit: AuditLog,
    bus: EventBus,
    device: DeviceService,
    listeners: WebListeners,
    accounts: AccountService,
    login: LoginService,
    volumes: VolumeService,
) -> Notices:
    """The notices: told of audited actions in their transaction and of NoticeRaised on the bus; the dispatcher
    wakes on every commit, so a new notice goes out at once."""
    notify = NotifyService(
        db,
        clock,
        sealer,
        audit,
        Outside(
            device=lambda: _device_facts(device, listeners),
            recipients=lambda: administrator_addresses(accounts.list_users()),
            volumes=volumes.list,
            confirm_password=login.confirm_password,
        ),
    )
    audit.listen(audit_listener(notify.enqueue))
    bus.subscribe(NoticeRaised, notify.notice_raised)
    dispatcher = Dispatcher(notify, clock)
    db.listen_to_commits(dispatcher.poke)
    return Notices(notify, dispatcher)  # fmt: skip


def administrator_addresses(users: list[User]) -> list[str]:
    """Where notices are mailed: every enabled administrator's address, once each."""
    found: dict[str, str] = {}
    for user in users:
        if user.enabled and user.is_admin and user.email.strip():
            found.setdefault(user.email.strip().lower(), user.email.strip())
    return list(found.values())


def _device_facts(device: DeviceService, listeners: WebListeners) -> DeviceFacts:
    port = listeners.ports.https
    suffix = "" if port == 443 else f":{port}"
    return DeviceFacts(device.name(), device.identity.serial, f"https://{device.name()}.local{suffix}/")


def _advise_when_back_in_service(advisor: Advisor, settings: SettingsService, bus: EventBus) -> None:
    """A Security Advisor run whenever the device comes back into service (after a recovery or the first setup),
    off the event loop: a run asks the system's time service, a subprocess."""

    def advise(event: DeviceStateChanged) -> None:
        try:
            settings.invalidate()  # a restore writes the settings to the store directly, then announces the state
            advisor.after_state_change(event.previous, event.current)
        except Exception:
            _log.exception("the security advisor could not run")

    def advise_off_loop(event: DeviceStateChanged) -> None:
        if event.current != "ready":
            return
        try:
            asyncio.get_running_loop().run_in_executor(None, advise, event)
        except RuntimeError:  # not on the event loop (a form or an API call in a worker thread): run it here
            advise(event)

    bus.subscribe(DeviceStateChanged, advise_off_loop)


def _discovery(
    device: DeviceService, network: NetworkService, listeners: WebListeners, bus: EventBus, files: FileService
) -> tuple[Advertiser, Browser]:
    async def describe() -> Announcement:
        live = await network.live()
        addresses = sorted(
            {a.split("/")[0] for i in live for a in i.addresses if ipaddress.ip_interface(a).version == 4},
            key=lambda a: int(ipaddress.ip_address(a)),
        )
        ports = listeners.ports
        return Announcement(
            name=device.name(),
            state=device.state(),
            model=device.identity.model,
            serial=device.identity.serial,
            mac=device.identity.mac,
            version=__version__,
            https_port=ports.https,
            http_port=ports.http,
            addresses=tuple(addresses),
            smb_port=files.port if files.announced() else None,
            time_machine_shares=files.time_machine_shares() if files.announced() else (),
        )

    advertiser = Advertiser(describe)
    neighbours = Browser()

    async def follow(zeroconf: object) -> None:
        if zeroconf is None:
            await neighbours.stop()
        else:
            await neighbours.start(zeroconf.zeroconf, refresh_seconds=NEIGHBOUR_REFRESH_SECONDS)  # type: ignore[attr-defined]

    advertiser.on_new_zeroconf = follow
    advertiser.on_host_claimed = lambda label: bus.publish(HostClaimed(label))
    for event in (DeviceStateChanged, DeviceRenamed, AddressesChanged):
        bus.subscribe(event, lambda _: advertiser.poke())
    return advertiser, neighbours


def _record_damage(db: Database, device: DeviceService, audit: AuditLog, damage: Damage) -> None:
    with db.write() as conn:
        device.mark_damaged(conn, damage.as_dict())
        audit.record(
            conn,
            "store.damaged",
            SYSTEM,
            outcome="failure",
            reason=damage.reason,
            quarantined_to=damage.quarantined_to,
        )


async def start_services(services: Services) -> None:
    """What needs the event loop: apply the network settings, finish an interrupted reset, announce, watch
    the reset button."""
    services.feedback.bind(asyncio.get_running_loop())
    services.recovery_access.bind(asyncio.get_running_loop())
    await services.network.start()
    await services.recovery.resume()
    await asyncio.to_thread(services.selftest.start)
    services.backup_scheduler.start()
    await asyncio.to_thread(services.files.start)
    if services.advertiser is not None:
        await services.advertiser.start()
    services.button.start()
    services.notices.dispatcher.start()
    services.feedback.play("recovery" if services.device.state() == "recovery" else "ready")
    await services.updates.start()


async def stop_services(services: Services) -> None:
    await services.notices.dispatcher.close()
    await services.updates.stop()
    services.approvals.close()
    await services.backup_scheduler.close()
    await asyncio.to_thread(services.files.stop)
    await services.button.close()
    services.recovery.close()
    if services.neighbours is not None:
        await services.neighbours.stop()
    if services.advertiser is not None:
        await services.advertiser.close()
    await services.network.close()


def close_services(services: Services) -> None:
    services.hasher.close()
    services.db.close()
