"""The services the API, the web console and the CLI socket share; built only by the composition root."""

from __future__ import annotations

from dataclasses import dataclass

from homeport.accounts.passwords import PasswordHasher
from homeport.accounts.service import AccountService
from homeport.advisor.advisor import Advisor
from homeport.advisor.report import RecoveryReport
from homeport.audit.log import AuditLog
from homeport.auth.approvals import ApprovalService
from homeport.auth.credentials import CredentialService
from homeport.auth.factors import FactorService
from homeport.auth.login import LoginService
from homeport.auth.passkeys import PasskeyService
from homeport.auth.sessions import SessionService
from homeport.auth.throttle import LoginThrottle
from homeport.backups.restore import LiveRestore
from homeport.backups.scheduler import BackupScheduler
from homeport.backups.service import BackupService
from homeport.core.clock import Clock
from homeport.core.events import EventBus
from homeport.discovery.advertiser import Advertiser
from homeport.discovery.finder import Browser
from homeport.discovery.records import Sighting
from homeport.files.service import ShareService
from homeport.hardware.setup import FeedbackPanel
from homeport.network.service import NetworkService
from homeport.notify.dispatcher import Dispatcher
from homeport.notify.service import NotifyService
from homeport.recovery.access import RecoveryAccess
from homeport.recovery.driver import ButtonDriver
from homeport.recovery.executor import RecoveryExecutor
from homeport.recovery.restore import ConfigurationRestore
from homeport.selftest.service import SelfTestService
from homeport.smb.service import FileService
from homeport.store.db import Database
from homeport.system.device import DeviceService
from homeport.system.settings import SettingsService
from homeport.system.setup import SetupService
from homeport.system.volumes import VolumeService
from homeport.tls.manager import TlsManager
from homeport.updates.service import UpdateService


@dataclass(frozen=True)
class Notices:
    """The notice service (notices, settings, sending) and the task that works through its queue."""

    service: NotifyService
    dispatcher: Dispatcher


@dataclass(frozen=True)
class Services:
    clock: Clock
    db: Database
    bus: EventBus
    device: DeviceService
    settings: SettingsService
    audit: AuditLog
    hasher: PasswordHasher
    sessions: SessionService
    throttle: LoginThrottle
    login: LoginService
    factors: FactorService
    approvals: ApprovalService
    passkeys: PasskeyService
    accounts: AccountService
    credentials: CredentialService
    setup: SetupService
    volumes: VolumeService
    shares: ShareService
    files: FileService
    tls: TlsManager
    network: NetworkService
    advertiser: Advertiser | None
    neighbours: Browser | None
    recovery: RecoveryExecutor
    recovery_access: RecoveryAccess
    report: RecoveryReport
    advisor: Advisor
    restore: ConfigurationRestore
    button: ButtonDriver
    feedback: FeedbackPanel
    selftest: SelfTestService
    notices: Notices
    updates: UpdateService
    started_at: float
    backups: BackupService
    backup_restore: LiveRestore
    backup_scheduler: BackupScheduler

    def other_homeports(self) -> list[Sighting]:
        """Every Homeport seen on the LAN but this one."""
        found = self.neighbours.sorted() if self.neighbours is not None else []
        return [s for s in found if s.serial != self.device.identity.serial]
