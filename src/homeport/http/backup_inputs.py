"""What the device accepts for configuration backups (API bodies, and the console's forms through the same
models). backups/settings.py and backups/keys.py give the precise, friendly rules."""

from __future__ import annotations

from pydantic import Field

from homeport.backups.keys import PASSPHRASE_MAX
from homeport.http.inputs import PASSWORD_MAX, Strict

TIME_OF_DAY_PATTERN = r"^([01]\d|2[0-3]):[0-5]\d$"


class BackupSettingsIn(Strict):
    daily_at: str | None = Field(default=None, max_length=5, description="The daily backup's local time, HH:MM.")
    keep_daily: int | None = Field(default=None, description="Daily backups kept (1-90).")
    keep_weekly: int | None = Field(default=None, description="Weekly backups kept (0-52).")
    keep_monthly: int | None = Field(default=None, description="Monthly backups kept (0-60).")
    keep_events: int | None = Field(
        default=None, description="Backups made by hand or before a change, kept per volume (1-100)."
    )


class PassphraseIn(Strict):
    passphrase: str = Field(max_length=PASSPHRASE_MAX, description="The new recovery passphrase (12+ characters).")
    current_password: str = Field(default="", max_length=PASSWORD_MAX, description="Your password (not on the CLI).")


class CurrentPasswordIn(Strict):
    current_password: str = Field(default="", max_length=PASSWORD_MAX, description="Your password (not on the CLI).")


class VerifyIn(Strict):
    passphrase: str = Field(
        default="", max_length=PASSPHRASE_MAX, description="The recovery passphrase, to check the keys open too."
    )


class RestoreBackupIn(Strict):
    current_password: str = Field(default="", max_length=PASSWORD_MAX, description="Your password (not on the CLI).")
    confirm: bool = Field(description="true: replace the accounts, settings and shared folders with the backup's.")
