"""What the device accepts from a passkey ceremony: the browser's answer (`PublicKeyCredential` as JSON, its
binary fields in base64url, as `credential.toJSON()` writes it) and a passkey's name. Fields a browser adds that
the device does not use (client extension results, the public key again) are ignored; every kept one is bounded."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from homeport.http.inputs import Strict

PASSKEY_NAME_MAX = 64
ID_MAX = 1400  # a credential id is at most 1023 bytes: 1364 base64url characters


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)


class CredentialResponseIn(_Lenient):
    clientDataJSON: str = Field(min_length=1, max_length=8192)  # noqa: N815 - WebAuthn's own names
    authenticatorData: str | None = Field(default=None, max_length=8192)  # noqa: N815
    signature: str | None = Field(default=None, max_length=2048)
    userHandle: str | None = Field(default=None, max_length=256)  # noqa: N815
    attestationObject: str | None = Field(default=None, max_length=65536)  # noqa: N815
    transports: list[Annotated[str, Field(max_length=20)]] | None = Field(default=None, max_length=10)


class CredentialIn(_Lenient):
    """A `PublicKeyCredential` from navigator.credentials.create() or get(), as JSON."""

    id: str = Field(min_length=1, max_length=ID_MAX)
    rawId: str = Field(min_length=1, max_length=ID_MAX)  # noqa: N815
    type: Literal["public-key"]
    response: CredentialResponseIn
    authenticatorAttachment: str | None = Field(default=None, max_length=32)  # noqa: N815

    def as_dict(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)


class PasskeyAnswerIn(Strict):
    credential: CredentialIn
    remember: bool = Field(
        default=False,
        description="Do not ask this browser again for 30 days (a second step; when the setting allows it).",
    )


class PasskeyProofIn(Strict):
    credential: CredentialIn


class PasskeyNewIn(Strict):
    name: str = Field(min_length=1, max_length=PASSKEY_NAME_MAX, description="What you call it, e.g. 'Laptop'.")
    credential: CredentialIn


class PasskeyRenameIn(Strict):
    name: str = Field(min_length=1, max_length=PASSKEY_NAME_MAX)
