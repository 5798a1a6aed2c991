"""The composition root: opens the home and the store, builds every service and adapter, starts listeners.

Nothing else constructs adapters, so tests assemble the same services with fakes where hardware is missing.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

import structlog

from homeport.accounts.guardrails import sign_in_problem
from homeport.accounts.passwords import Argon2Parameters, PasswordHasher, calibrate
from homeport.accounts.service import AccountService
from homeport.audit.log import SYSTEM, AuditLog
from homeport.auth.blocklist import BlockList
from homeport.auth.credentials import CredentialService
from homeport.auth.login import LoginService
from homeport.auth.sessions import SessionService
from homeport.auth.throttle import LoginThrottle
from homeport.core.clock import Clock, SystemClock
from homeport.core.events import DeviceRenamed, EventBus
from homeport.home import Home
from homeport.network.interfaces import HostInterfaces, InterfaceReader, host_addresses, primary_mac
from homeport.services import Services
from homeport.store.db import Database
from homeport.store.migrations import MIGRATIONS, Migration
from homeport.store.opening import Damage, open_store
from homeport.system.device import DeviceIdentity, DeviceService
from homeport.system.settings import SettingsService, read_value, write_value
from homeport.system.setup import SetupService
from homeport.system.volumes import VolumeService
from homeport.tls.manager import CertificateSubject, Issuer, TlsManager, issue_in_child

_log = structlog.get_logger("homeport.daemon")

ARGON2_KEY = "security.argon2"
VIRTUAL_MODEL = "Homeport Virtual"


@dataclass(frozen=True)
class BuildOptions:
    """What the composition root needs besides the home (tests pass fixed Argon2 parameters)."""

    volumes: tuple[Path, ...] = ()
    argon2: Argon2Parameters | None = None
    hash_workers: int = field(default_factory=lambda: max(1, min(4, os.cpu_count() or 1)))
    model: str = VIRTUAL_MODEL
    migrations: tuple[Migration, ...] = MIGRATIONS
    tls_issuer: Issuer = issue_in_child


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


def build_services(
    home: Home,
    options: BuildOptions,
    *,
    clock: Clock | None = None,
    interfaces: InterfaceReader | None = None,
) -> Services:
    clock = clock or SystemClock()
    interfaces = interfaces or HostInterfaces()
    db, damage = open_store(home.db_path, home.backups, home.quarantine, _store_invariant, options.migrations)
    bus = EventBus()
    links = interfaces.interfaces()
    identity = DeviceIdentity(model=options.model, serial=home.serial(), mac=primary_mac(links))
    device = DeviceService(db, bus, identity)
    audit = AuditLog(db, clock)
    settings = SettingsService(db, audit)
    hasher = PasswordHasher(_argon2_parameters(db, options.argon2), workers=options.hash_workers)
    sessions = SessionService(db, clock, settings)
    throttle = LoginThrottle(clock, BlockList(db, clock))
    login = LoginService(db, clock, hasher, throttle, sessions, settings, device, audit)
    accounts = AccountService(db, clock, hasher, settings, sessions, audit)
    setup = SetupService(db, device, accounts, audit)
    tls = TlsManager(home.tls, f"Homeport {identity.serial} local CA", options.tls_issuer)
    if damage is not None:
        _record_damage(db, device, audit, damage)

    tls.ensure(CertificateSubject(device.name(), frozenset(host_addresses(links))))

    def reissue(_: DeviceRenamed) -> None:
        """The certificate names `<name>.local`: a new device name needs a new certificate."""
        tls.ensure(CertificateSubject(device.name(), frozenset(host_addresses(interfaces.interfaces()))))

    bus.subscribe(DeviceRenamed, reissue)
    audit.prune()
    throttle.blocklist.purge_expired()
    sessions.purge_expired()
    return Services(
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
        accounts=accounts,
        credentials=CredentialService(accounts, login),
        setup=setup,
        volumes=VolumeService(list(options.volumes)),
        tls=tls,
        started_at=clock.monotonic(),
    )


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


def close_services(services: Services) -> None:
    services.hasher.close()
    services.db.close()
