"""What starting an update takes, shared by the API and the console: the release (its place, or an upload's id)
and the current password.

A console session must give its current password (as for other sensitive actions) and may only choose a release on
one of the device's data volumes; root on the CLI's socket may give any path on the machine."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import Field

from homeport.accounts.models import User
from homeport.audit.log import Actor
from homeport.auth.sessions import Session
from homeport.core.errors import InvalidInput, NotFound
from homeport.http.inputs import PASSWORD_MAX, Strict
from homeport.services import Services

SOURCE_MAX = 4096
UPLOAD_ID_MAX = 64


class UpdateIn(Strict):
    source: str | None = Field(
        default=None, min_length=1, max_length=SOURCE_MAX,
        description="A homeport wheel, or a folder with one and its dependencies, on a data volume of the device.",
    )  # fmt: skip
    upload: str | None = Field(
        default=None, min_length=1, max_length=UPLOAD_ID_MAX,
        description="Instead of `source`: the id of a finished upload (POST /updates/uploads).",
    )  # fmt: skip
    current_password: str | None = Field(default=None, max_length=PASSWORD_MAX)


def start_update(
    svc: Services, user: User | None, session: Session | None, actor: Actor, body: UpdateIn
) -> dict[str, Any]:
    """Check who asks, then build, preflight and switch (tens of seconds: call it from a worker thread).

    An uploaded release is removed once the update was tried with it (switched or refused)."""
    if (body.source is None) == (body.upload is None):
        raise InvalidInput.field("source", "Give either a release's place on a volume or an uploaded release.")
    if body.source is not None and any(ord(c) < 0x20 or ord(c) == 0x7F for c in body.source):  # NUL: os calls raise
        raise InvalidInput.field("source", "A path cannot hold control characters; give the release's path as is.")
    console = user is not None and session is not None  # not root on the socket
    if user is not None and session is not None:
        # Always the password, even just after signing in: an update runs new code as root.
        if not body.current_password:
            raise InvalidInput.field("current_password", "Enter your current password: an update needs it.")
        svc.login.confirm_password(user, body.current_password, actor.client, "current_password")
    uploads = svc.updates.uploads
    if body.upload is not None:
        upload = body.upload
        try:
            source = uploads.release_path(upload)
        except NotFound as exc:
            raise InvalidInput.field("upload", "There is no finished upload with this id; upload it again.") from exc
        with uploads.holding(upload):
            return svc.updates.update(source, actor, prepared=lambda: uploads.discard(upload))
    source = Path(body.source or "")
    if console:
        source = _on_a_volume(svc, source)
    return svc.updates.update(source, actor)


def _on_a_volume(svc: Services, source: Path) -> Path:
    """From the console, a release comes from a data volume (as a shared folder's files do), nowhere else."""
    real = Path(os.path.realpath(source))
    for volume in svc.volumes.paths:
        if real.is_relative_to(os.path.realpath(volume)):
            return real
    raise InvalidInput.field("source", "Choose a release on one of the device's data volumes (a path under one).")
