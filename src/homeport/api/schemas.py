"""Request and response bodies of the API, as published in its OpenAPI document."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from homeport.accounts.models import Group, User
from homeport.audit.log import AuditRecord
from homeport.audit.sentences import sentence
from homeport.auth.blocklist import Block
from homeport.auth.sessions import Session

# --- errors -----------------------------------------------------------------------------------------------


class ErrorDetail(BaseModel):
    code: str = Field(description="Stable identifier for scripts, e.g. `last_administrator`.")
    message: str = Field(description="What went wrong and what to do, for people.")
    fields: dict[str, str] | None = Field(default=None, description="Per-field problems, by field path.")


class ErrorBody(BaseModel):
    error: ErrorDetail


# --- system -----------------------------------------------------------------------------------------------


class DamageOut(BaseModel):
    reason: str
    quarantined_to: str
    detected_at: float


class SystemOut(BaseModel):
    state: Literal["not-installed", "ready", "recovery", "migratable", "damaged"]
    name: str
    model: str
    serial: str
    version: str
    mac: str
    damage: DamageOut | None = None
    recovery_window_closes_at: float | None = Field(
        default=None, description="While the state is `recovery`: when the recovery window closes."
    )


class FoundBackupOut(BaseModel):
    id: str
    name: str
    created_at: float
    version: str


class FoundOut(BaseModel):
    backups: list[FoundBackupOut]
    shared_folders: list[str]


class SetupOut(BaseModel):
    state: str
    name: str
    admin: UserOut


# --- accounts ---------------------------------------------------------------------------------------------


class UserOut(BaseModel):
    name: str
    full_name: str
    email: str
    enabled: bool
    builtin: bool
    admin: bool
    groups: list[str]
    has_password: bool
    awaits_password: bool = Field(
        description="No password, and one is needed to sign in (restored from a backup): an administrator sets one."
    )
    must_change_password: bool
    created_at: float
    password_changed_at: float | None

    @classmethod
    def of(cls, user: User) -> UserOut:
        return cls(
            name=user.name,
            full_name=user.full_name,
            email=user.email,
            enabled=user.enabled,
            builtin=user.builtin,
            admin=user.is_admin,
            groups=list(user.groups),
            has_password=user.has_password,
            awaits_password=user.awaits_password,
            must_change_password=user.must_change_password,
            created_at=user.created_at,
            password_changed_at=user.password_changed_at,
        )


class GroupOut(BaseModel):
    name: str
    description: str
    builtin: bool
    members: list[str]

    @classmethod
    def of(cls, group: Group) -> GroupOut:
        return cls(name=group.name, description=group.description, builtin=group.builtin, members=list(group.members))


# --- sign-in and sessions -----------------------------------------------------------------------------------


class LoginOut(BaseModel):
    user: UserOut
    csrf_token: str = Field(description="Send it as `X-CSRF-Token` with every state-changing call.")
    must_change_password: bool
    recovery: bool = Field(default=False, description="A recovery session: it may only set a new password.")
    awaiting_presence: bool = Field(
        default=False, description="A recovery session waiting for a short press of the reset button."
    )
    recovery_codes: list[str] | None = Field(
        default=None, description="New recovery codes (a factor was set up during this sign-in): shown only once."
    )
    recovery_codes_left: int | None = Field(default=None, description="After a sign-in with a recovery code.")


class SecondStepOut(BaseModel):
    methods: list[str] = Field(description="What this account can use: passkey, totp, approval, recovery_code.")
    expires_in: int = Field(description="Seconds left to complete the sign-in.")
    must_enrol: bool = Field(
        description="The policy asks for a second factor and the account has none: set one up now "
        "(POST /auth/enrol/totp) to complete the sign-in."
    )


class PendingLoginOut(BaseModel):
    second_factor: SecondStepOut


class RememberedBrowserOut(BaseModel):
    id: int
    browser: str
    client: str
    created_at: float
    expires_at: float
    last_used_at: float | None


class FactorsOut(BaseModel):
    totp: bool = Field(description="An authenticator app is set up.")
    passkeys: int
    recovery_codes_left: int
    recovery_codes_low: bool = Field(description="2 or fewer recovery codes left while a factor is set up.")
    suspended: bool = Field(description="Suspended by a Mode 1 reset: kept, but not asked for until resumed.")
    required: bool = Field(description="The second-factor policy covers this account.")
    remembered_browsers: list[RememberedBrowserOut]


class UserFactorsOut(BaseModel):
    user: str
    totp: bool
    passkeys: int
    recovery_codes_left: int
    suspended: bool
    required: bool


class TotpEnrolmentOut(BaseModel):
    secret: str = Field(description="The secret as text (base32), for apps that cannot scan.")
    otpauth_uri: str
    qr_svg: str = Field(description="The same as a QR code, an inline SVG.")


class RecoveryCodesOut(BaseModel):
    recovery_codes: list[str] | None = Field(description="Shown only once; each works once.")


class SessionOut(BaseModel):
    id: str
    user: str
    created_at: float
    last_seen: float
    client: str
    user_agent: str
    browser: str = Field(description='The user agent as people name it, e.g. "Chromium on Linux".')
    current: bool

    @classmethod
    def of(cls, session: Session, current_id: str | None) -> SessionOut:
        return cls(
            id=session.id,
            user=session.user_name,
            created_at=session.created_at,
            last_seen=session.last_seen,
            client=session.client,
            user_agent=session.user_agent,
            browser=session.browser,
            current=session.id == current_id,
        )


class MeOut(BaseModel):
    user: UserOut
    session_id: str | None
    restricted: bool = Field(description="True until the password has been changed.")
    recovery: bool = Field(default=False, description="A recovery-window session: it may only set a password.")
    awaiting_presence: bool = Field(
        default=False,
        description="A recovery session that may set its password only after a short press of the reset button.",
    )
    presence_deadline: float | None = Field(
        default=None, description="While waiting: the reset button must be pressed before this time."
    )


# --- log and settings ---------------------------------------------------------------------------------------


class LogEntryOut(BaseModel):
    id: int
    at: float
    action: str
    outcome: str
    actor: str
    client: str
    target: str
    detail: dict[str, Any]

    sentence: str = Field(description="The entry in words, e.g. `alice signed in from 192.168.1.20`.")

    @classmethod
    def of(cls, record: AuditRecord) -> LogEntryOut:
        return cls(**record.__dict__, sentence=sentence(record))


class SecuritySettingsOut(BaseModel):
    password_min_length: int
    session_idle_minutes: int
    session_absolute_hours: int
    auto_block_enabled: bool
    auto_block_attempts: int
    auto_block_window_minutes: int
    auto_block_minutes: int
    account_protection_attempts: int
    account_protection_window_minutes: int
    account_protection_minutes: int
    allow_list: list[str]
    trusted_proxies: list[str]
    proxy_header: str
    recovery_window_minutes: int
    recovery_button_confirmation: bool
    second_factor_required: str
    second_factor_users: list[str]
    second_factor_groups: list[str]
    remember_browser: bool


class PauseOut(BaseModel):
    account: str
    address: str = Field(description="Empty: paused for every address; else delayed for this address only.")
    until: float
    reason: str


class BlockOut(BaseModel):
    address: str
    blocked_at: float
    until: float
    reason: str

    @classmethod
    def of(cls, block: Block) -> BlockOut:
        return cls(address=block.address, blocked_at=block.blocked_at, until=block.until, reason=block.reason)


class FeedbackOut(BaseModel):
    at: float
    device: str
    pattern: str


class HardwareOut(BaseModel):
    button: str
    feedback: list[str]
    recent: list[FeedbackOut] = Field(description="What the virtual buzzer and LED showed last.")


class StatusOut(BaseModel):
    system: SystemOut
    uptime_seconds: float
    urls: list[str]
    ca_certificate: str
    sessions: int
    volumes: list[VolumeOut]
    hardware: HardwareOut


class VolumeOut(BaseModel):
    name: str
    path: str
    available: bool
    total_bytes: int
    free_bytes: int


SetupOut.model_rebuild()
StatusOut.model_rebuild()


class TemperatureOut(BaseModel):
    sensor: str
    celsius: float


class HealthOut(BaseModel):
    uptime_seconds: float
    load: list[float] = Field(description="Load average over 1, 5 and 15 minutes.")
    cpus: int
    memory_total_bytes: int
    memory_available_bytes: int
    temperatures: list[TemperatureOut] = Field(description="Empty where the hardware reports none.")
    volumes: list[VolumeOut]
