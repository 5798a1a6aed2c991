"""Answers of the passkey routes, as published in the OpenAPI document."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class PasskeyOptionsOut(BaseModel):
    options: dict[str, Any] = Field(
        description="`PublicKeyCredentialCreationOptionsJSON` or `...RequestOptionsJSON` (binary fields in "
        "base64url): give them to `PublicKeyCredential.parseCreationOptionsFromJSON()` (or "
        "`parseRequestOptionsFromJSON()`), then to navigator.credentials. The answer is due within 2 minutes."
    )


class PasskeyOut(BaseModel):
    id: int
    name: str
    rp_id: str = Field(description="The device name it was registered on (`<name>.local`); it works only there.")
    usable_here: bool = Field(description="Registered on the device's current name (false after a rename).")
    transports: list[str]
    created_at: float
    last_used_at: float | None


class PasskeyAddedOut(BaseModel):
    passkey: PasskeyOut
    recovery_codes: list[str] | None = Field(
        default=None, description="New recovery codes (this was the account's first factor): shown only once."
    )
