"""What the device accepts: the bodies of the API's requests and, parsed through the same models, the console's
forms (so the two cannot drift apart). Bounds here are generous limits against absurd input; the services give
the precise, friendly rules."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

ACCOUNT_NAME_MAX = 32  # user and group names (accounts/names.py)
DEVICE_NAME_MAX = 63  # a DNS label (system/device.py)
TEXT_MAX = 256
PASSWORD_MAX = 4096


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class SetupAdminIn(Strict):
    username: str = Field(min_length=1, max_length=ACCOUNT_NAME_MAX)
    password: str = Field(max_length=PASSWORD_MAX)


class SetupIn(Strict):
    name: str = Field(min_length=1, max_length=DEVICE_NAME_MAX, description="Device name; the LAN sees `<name>.local`.")
    admin: SetupAdminIn


class RestoreIn(Strict):
    backup: str = Field(max_length=256)
    administrator: str = Field(min_length=1, max_length=ACCOUNT_NAME_MAX)
    password: str = Field(max_length=PASSWORD_MAX)


class UserCreateIn(Strict):
    name: str = Field(min_length=1, max_length=ACCOUNT_NAME_MAX)
    password: str = Field(max_length=PASSWORD_MAX)
    full_name: str = Field(default="", max_length=TEXT_MAX)
    email: str = Field(default="", max_length=TEXT_MAX)
    groups: list[str] = Field(default_factory=list, max_length=100)
    must_change_password: bool = Field(
        default=True, description="Ask the user to choose their own password at the first sign-in."
    )


class UserPatchIn(Strict):
    full_name: str | None = Field(default=None, max_length=TEXT_MAX)
    email: str | None = Field(default=None, max_length=TEXT_MAX)
    enabled: bool | None = None
    groups: list[str] | None = Field(default=None, max_length=100)


class PasswordSetIn(Strict):
    password: str = Field(max_length=PASSWORD_MAX)
    admin_password: str = Field(
        default="", max_length=PASSWORD_MAX, description="Your own password, to confirm it is you."
    )
    must_change_password: bool = True


class PasswordChangeIn(Strict):
    current_password: str = Field(max_length=PASSWORD_MAX)
    new_password: str = Field(max_length=PASSWORD_MAX)


class GroupCreateIn(Strict):
    name: str = Field(min_length=1, max_length=ACCOUNT_NAME_MAX)
    description: str = Field(default="", max_length=TEXT_MAX)


class LoginIn(Strict):
    username: str = Field(max_length=TEXT_MAX)
    password: str = Field(max_length=PASSWORD_MAX)


CODE_MAX = 64


class SecondFactorIn(Strict):
    method: Literal["totp", "recovery_code"] = Field(description="An authenticator-app code or a recovery code.")
    code: str = Field(max_length=CODE_MAX)
    remember: bool = Field(
        default=False, description="Do not ask this browser again for 30 days (when the setting allows it)."
    )


class CodeIn(Strict):
    code: str = Field(max_length=CODE_MAX, description="The 6 digits the authenticator app shows now.")


class ProofIn(Strict):
    current_password: str | None = Field(
        default=None, max_length=PASSWORD_MAX,
        description="Needed unless this session entered it (or used a passkey) in the last 5 minutes.",
    )  # fmt: skip


class AdminProofIn(Strict):
    admin_password: str = Field(max_length=PASSWORD_MAX, description="Your own password, to confirm.")


class SecuritySettingsIn(Strict):
    password_min_length: int | None = None
    session_idle_minutes: int | None = None
    session_absolute_hours: int | None = None
    auto_block_enabled: bool | None = None
    auto_block_attempts: int | None = None
    auto_block_window_minutes: int | None = None
    auto_block_minutes: int | None = None
    account_protection_attempts: int | None = None
    account_protection_window_minutes: int | None = None
    account_protection_minutes: int | None = None
    allow_list: list[str] | None = Field(
        default=None, max_length=100, description="Addresses or networks that auto block never blocks."
    )
    trusted_proxies: list[str] | None = Field(
        default=None,
        max_length=20,
        description="Reverse proxies whose `proxy_header` names the client; empty: every header is ignored.",
    )
    proxy_header: str | None = Field(
        default=None,
        max_length=32,
        description="The one header the trusted proxies set: X-Forwarded-For, Forwarded or X-Real-IP.",
    )
    recovery_window_minutes: int | None = Field(
        default=None, description="5-120. Changing it needs `current_password` (a recovery setting)."
    )
    recovery_button_confirmation: bool | None = Field(
        default=None,
        description="A recovery sign-in waits for a short press of the reset button. Changing it needs "
        "`current_password`.",
    )
    second_factor_required: Literal["nobody", "administrators", "everyone", "chosen"] | None = Field(
        default=None,
        description="Who must use a second factor. Making it stricter needs `current_password`; it is refused while "
        "it would leave no administrator able to finish a sign-in.",
    )
    second_factor_users: list[str] | None = Field(
        default=None, max_length=200, description="With `chosen`: these accounts must use a second factor."
    )
    second_factor_groups: list[str] | None = Field(
        default=None, max_length=200, description="With `chosen`: members of these groups must use a second factor."
    )
    remember_browser: bool | None = Field(
        default=None, description="Offer 'remember this browser for 30 days' after a second step."
    )
    current_password: str | None = Field(default=None, max_length=PASSWORD_MAX)


class SnapshotRestoreIn(Strict):
    rename: bool = Field(
        default=False, description="Also give the device back the name the snapshot holds (it keeps its own otherwise)."
    )


class ApprovalNumberIn(Strict):
    number: int = Field(ge=10, le=99, description="The number the signing-in browser shows (one of the three).")


class ApprovalDenyIn(Strict):
    report: bool = Field(
        default=False,
        description="This wasn't me: also end that sign-in, pause approvals for the account for an hour and tell "
        "the administrators.",
    )
