"""A real release (this checkout's wheel and every dependency, as a .zip for an offline update) uploaded to a real
daemon over HTTPS in chunks by a signed-in administrator, then updated to: committed, and the upload removed."""

from __future__ import annotations

import http.client
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.integration.test_updates import (  # noqa: F401  (fixtures used below)
    ADMIN,
    MIGRATES,
    PASSWORD,
    base_release,
    current_version,
    device,
    journal_state,
    signs_in,
    wait_answering,
    wait_for,
    wheelhouse,
)
from tests.support.releases import ReleaseDaemon, Wheelhouse

pytestmark = pytest.mark.integration


class Session:
    """A signed-in administrator's requests: the session cookie and the CSRF token on each."""

    def __init__(self, daemon: ReleaseDaemon) -> None:
        self.device = daemon
        status, body, headers = daemon.request("POST", "/api/v1/auth/login", {"username": ADMIN, "password": PASSWORD})
        assert status == 200, body
        self.cookie = headers["set-cookie"].split(";")[0]
        self.csrf = str(body["csrf_token"])

    def send(self, method: str, path: str, body: bytes, kind: str, **extra: str) -> tuple[int, Any, dict[str, str]]:
        connection = http.client.HTTPSConnection(
            "localhost", self.device.https_port, context=self.device.tls_context(), timeout=30
        )
        try:
            headers = {"Content-Type": kind, "Cookie": self.cookie, "X-CSRF-Token": self.csrf, **extra}
            connection.request(method, path, body=body, headers=headers)
            answer = connection.getresponse()
            raw = answer.read()
            return answer.status, json.loads(raw) if raw else None, {k.lower(): v for k, v in answer.getheaders()}
        finally:
            connection.close()

    def json(self, method: str, path: str, body: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        return self.send(method, path, json.dumps(body).encode(), "application/json")


def zipped(folder: Path) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as archive:  # wheels are compressed already
        for wheel in sorted(folder.glob("*.whl")):
            archive.write(wheel, wheel.name)
    return out.getvalue()


def test_a_release_uploaded_as_a_zip_is_updated_to_and_removed(
    device: ReleaseDaemon,  # noqa: F811
    wheelhouse: Wheelhouse,  # noqa: F811
) -> None:
    data = zipped(wheelhouse.variant("migrates", "0.2.0", MIGRATES))
    admin = Session(device)
    status, started, _ = admin.json(
        "POST", "/api/v1/updates/uploads", {"name": "homeport-0.2.0.zip", "size": len(data)}
    )
    assert status == 201, started
    chunk, offset, answer = int(started["chunk_size"]), 0, None
    for _ in range(len(data) // chunk + 2):
        status, answer, _ = admin.send(
            "PUT", f"/api/v1/updates/uploads/{started['id']}", data[offset : offset + chunk],
            "application/octet-stream", **{"X-Upload-Offset": str(offset)},
        )  # fmt: skip
        assert status == 200, answer
        offset = int(answer["received"])
        if answer["finished"]:
            break
    assert answer is not None
    assert answer["finished"] is True
    assert "homeport-0.2.0-py3-none-any.whl" in answer["wheels"]
    assert len(answer["wheels"]) > 10  # every dependency came along

    status, body, _ = admin.json("POST", "/api/v1/updates", {"upload": started["id"], "current_password": PASSWORD})
    assert status == 202, body
    wait_for("the update's commit", lambda: journal_state(device) == "committed", device=device)
    wait_answering(device)
    assert current_version(device) == "0.2.0"
    assert signs_in(device)
    assert not list((device.home / "updates" / "uploads").iterdir())
