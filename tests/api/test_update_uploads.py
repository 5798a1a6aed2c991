"""A release uploaded in chunks: who may, what names and sizes, chunks at the right place (and resuming after a
409), .zip releases unpacked safely (no paths, no links, bounded), nothing half-written, and an update started
from the upload (which is removed once the update was tried)."""

from __future__ import annotations

import io
import stat
import struct
import zipfile
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from homeport.core.errors import NotFound
from homeport.services import Services
from homeport.updates.uploads import CHUNK_SIZE, MAX_SIZE, STALE_SECONDS
from tests.api.test_updates import PROOF_SECONDS, with_releases  # noqa: F401  (a fixture used below)
from tests.support.api import ADMIN_PASSWORD, create_user, error_code, setup_device, sign_in
from tests.support.clock import FakeClock

UPLOADS = "/api/v1/updates/uploads"
WHEEL = "homeport-9.0.0-py3-none-any.whl"


def a_wheel(size: int = 1000) -> bytes:
    """A zip archive as a wheel is (not installable: the update refuses it at its build)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("homeport/__init__.py", b"#" * size)
    return out.getvalue()


def a_zip(entries: dict[str, bytes], *, links: tuple[str, ...] = ()) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
        for name in links:
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, "/etc/passwd")
    return out.getvalue()


def declaring(archive: bytes, sizes: int) -> bytes:
    """The archive with every central-directory entry declaring `sizes` unpacked bytes (a zip bomb's header)."""
    data = bytearray(archive)
    at = data.find(b"PK\x01\x02")
    while at != -1:
        struct.pack_into("<I", data, at + 24, sizes)
        at = data.find(b"PK\x01\x02", at + 4)
    return bytes(data)


def start(client: TestClient, name: str, size: int) -> Any:
    return client.post(UPLOADS, json={"name": name, "size": size})


def put(client: TestClient, upload_id: str, offset: int, data: bytes, **headers: str) -> Any:
    sent = {"Content-Type": "application/octet-stream", "X-Upload-Offset": str(offset), **headers}
    return client.put(f"{UPLOADS}/{upload_id}", content=data, headers=sent)


def upload(client: TestClient, name: str, data: bytes) -> Any:
    """Start and send every chunk; the last answer."""
    started = start(client, name, len(data))
    assert started.status_code == 201, started.text
    assert started.json()["chunk_size"] == CHUNK_SIZE
    upload_id = started.json()["id"]
    answer = None
    for offset in range(0, len(data), CHUNK_SIZE):
        answer = put(client, upload_id, offset, data[offset : offset + CHUNK_SIZE])
        if answer.status_code != 200:
            return answer
    return answer


@pytest.fixture
def admin(client: TestClient) -> TestClient:
    setup_device(client)
    sign_in(client)
    return client


def uploads_folder(services: Services) -> Path:
    return services.updates.uploads.folder


def audited(services: Services, action: str) -> list[str]:
    return [r.target for r in services.audit.query(action=action)]


def test_a_wheel_in_chunks_is_kept_whole(admin: TestClient, services: Services) -> None:
    data = a_wheel(3 * CHUNK_SIZE)  # more than three chunks
    started = start(admin, WHEEL, len(data)).json()
    folder = uploads_folder(services) / started["id"]
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    first = put(admin, started["id"], 0, data[:CHUNK_SIZE])
    assert first.status_code == 200
    assert first.json() | {"started_at": 0} == {
        "id": started["id"], "name": WHEEL, "size": len(data), "received": CHUNK_SIZE, "finished": False,
        "wheels": [], "started_at": 0,
    }  # fmt: skip
    assert admin.get(UPLOADS).json() == []  # only a finished upload is offered
    assert not (folder / WHEEL).exists()
    assert (folder / f"{WHEEL}.partial").stat().st_size == CHUNK_SIZE
    last = None
    for offset in range(CHUNK_SIZE, len(data), CHUNK_SIZE):
        last = put(admin, started["id"], offset, data[offset : offset + CHUNK_SIZE])
    assert last is not None
    assert last.json()["finished"] is True
    assert last.json()["wheels"] == [WHEEL]
    assert (folder / WHEEL).read_bytes() == data
    assert not (folder / f"{WHEEL}.partial").exists()
    listed = admin.get(UPLOADS).json()
    assert [u["id"] for u in listed] == [started["id"]]
    assert audited(services, "update.upload_started") == [WHEEL]
    assert audited(services, "update.uploaded") == [WHEEL]
    assert put(admin, started["id"], len(data), b"x").status_code == 409  # finished: nothing more is taken


@pytest.mark.parametrize(
    ("name", "size", "field", "said"),
    [
        ("notes.txt", 10, "name", "a .whl, or a .zip"),
        ("../homeport-1.0-py3-none-any.whl", 10, "name", "without a folder"),
        ("a/b.whl", 10, "name", "without a folder"),
        (".hidden.whl", 10, "name", "without a folder"),
        ("release.tar.gz", 10, "name", "a .whl, or a .zip"),
        (WHEEL, 0, "size", "empty"),
        (WHEEL, MAX_SIZE + 1, "size", "at most 1024 MiB"),
    ],
)
def test_names_and_sizes_that_are_refused(
    admin: TestClient, services: Services, name: str, size: int, field: str, said: str
) -> None:
    answer = start(admin, name, size)
    assert answer.status_code == 422, answer.text
    assert said in answer.json()["error"]["fields"][field]
    assert not uploads_folder(services).exists() or not any(uploads_folder(services).iterdir())


def test_an_upload_larger_than_the_free_space_is_refused(admin: TestClient, services: Services) -> None:
    services.updates.uploads.free_space = lambda _: 300 * 1024**2  # 256 MiB of it stays free for the store
    answer = start(admin, WHEEL, 50 * 1024**2)
    assert answer.status_code == 422
    assert "not enough free space" in answer.json()["error"]["fields"]["size"]
    assert start(admin, WHEEL, 40 * 1024**2).status_code == 201
    zipped = start(admin, "release.zip", 40 * 1024**2)  # a zip needs room for what it unpacks as well
    assert zipped.status_code == 422


def test_a_chunk_at_the_wrong_place_says_where_to_resume(admin: TestClient, services: Services) -> None:
    data = a_wheel(2 * CHUNK_SIZE)
    upload_id = start(admin, WHEEL, len(data)).json()["id"]
    assert put(admin, upload_id, 0, data[:CHUNK_SIZE]).status_code == 200
    skipped = put(admin, upload_id, 2 * CHUNK_SIZE, data[2 * CHUNK_SIZE :])  # a chunk lost on the way
    assert skipped.status_code == 409
    assert error_code(skipped) == "upload_offset_mismatch"
    assert skipped.headers["X-Upload-Offset"] == str(CHUNK_SIZE)
    again = put(admin, upload_id, 0, data[:CHUNK_SIZE])  # sent twice (the answer was lost): not appended twice
    assert again.status_code == 409
    assert again.headers["X-Upload-Offset"] == str(CHUNK_SIZE)
    resume = int(again.headers["X-Upload-Offset"])
    for offset in range(resume, len(data), CHUNK_SIZE):
        last = put(admin, upload_id, offset, data[offset : offset + CHUNK_SIZE])
        assert last.status_code == 200
    assert (uploads_folder(services) / upload_id / WHEEL).read_bytes() == data


@pytest.mark.parametrize(
    ("headers", "data", "said"),
    [
        ({"Content-Type": "application/json"}, b"{}", "application/octet-stream"),
        ({"X-Upload-Offset": "minus one"}, b"x", "X-Upload-Offset"),
        ({}, b"x" * (CHUNK_SIZE + 1), "at most 192 KiB"),
        ({}, b"", "empty"),
        ({}, b"x" * 2000, "longer than the 1500 bytes"),
    ],
)
def test_chunks_that_are_refused(
    admin: TestClient, services: Services, headers: dict[str, str], data: bytes, said: str
) -> None:
    upload_id = start(admin, WHEEL, 1500).json()["id"]
    answer = put(admin, upload_id, 0, data, **headers)
    assert answer.status_code == 422, answer.text
    assert said in answer.json()["error"]["message"]
    assert (uploads_folder(services) / upload_id / f"{WHEEL}.partial").stat().st_size == 0


def test_a_body_over_the_request_limit_is_refused_before_anything(admin: TestClient) -> None:
    upload_id = start(admin, WHEEL, 1024**2).json()["id"]
    assert put(admin, upload_id, 0, b"x" * (300 * 1024)).status_code == 413


def test_an_unknown_upload(admin: TestClient) -> None:
    for upload_id in ("nothing-of-the-kind-here", "..hidden..thing..", "x" * 100):
        assert put(admin, upload_id, 0, b"x").status_code == 404
        assert admin.delete(f"{UPLOADS}/{upload_id}").status_code == 404


def test_a_file_that_is_not_a_wheel_is_refused_and_removed(admin: TestClient, services: Services) -> None:
    answer = upload(admin, WHEEL, b"this is not a zip archive")
    assert answer.status_code == 422
    assert "is not a wheel" in answer.json()["error"]["message"]
    assert list(uploads_folder(services).iterdir()) == []
    assert audited(services, "update.upload_refused") == [WHEEL]


def test_a_zip_of_wheels_is_unpacked_into_a_folder(admin: TestClient, services: Services) -> None:
    wheels = {WHEEL: a_wheel(), "argon2_cffi-23.1.0-py3-none-any.whl": a_wheel(10)}
    data = a_zip(wheels)
    answer = upload(admin, "offline-release.zip", data)
    assert answer.status_code == 200, answer.text
    assert answer.json()["wheels"] == sorted(wheels)
    folder = uploads_folder(services) / answer.json()["id"]
    assert sorted(p.name for p in (folder / "release").iterdir()) == sorted(wheels)
    assert (folder / "release" / WHEEL).read_bytes() == wheels[WHEEL]
    assert not (folder / "offline-release.zip.partial").exists()
    assert services.updates.uploads.release_path(answer.json()["id"]) == folder / "release"


@pytest.mark.parametrize(
    ("data", "said"),
    [
        (a_zip({"../evil-1.0-py3-none-any.whl": b"x"}), "no folders, no paths"),
        (a_zip({"/abs-1.0-py3-none-any.whl": b"x"}), "no folders, no paths"),
        (a_zip({"release/homeport-9.0.0-py3-none-any.whl": b"x"}), "no folders, no paths"),
        (a_zip({WHEEL: b"x", "README.txt": b"hello"}), "not a wheel"),
        (a_zip({}, links=("link-1.0-py3-none-any.whl",)), "a link or special file"),
        (a_zip({f"dep{n}-1.0-py3-none-any.whl": b"x" for n in range(201)}), "201 entries; at most 200"),
        (a_zip({}), "holds no wheel"),
        (declaring(a_zip({WHEEL: b"0" * 100}), 0xFFFFFFF0), "unpacks to more than 1024 MiB"),
        (declaring(a_zip({WHEEL: b"0", "b-1-py3-none-any.whl": b"0"}), 600 * 1024**2), "more than 1024 MiB"),
        (b"PK\x03\x04 and then nothing a zip has", "cannot be read"),
    ],
)
def test_an_unsafe_zip_is_refused_and_nothing_is_kept(
    admin: TestClient, services: Services, data: bytes, said: str
) -> None:
    answer = upload(admin, "release.zip", data)
    assert answer.status_code == 422, answer.text
    assert said in answer.json()["error"]["fields"]["name"]
    assert list(uploads_folder(services).iterdir()) == []  # not the zip, not a half-unpacked folder
    assert not (uploads_folder(services).parent / "evil-1.0-py3-none-any.whl").exists()
    assert admin.get(UPLOADS).json() == []
    assert audited(services, "update.upload_refused") == ["release.zip"]


def test_one_upload_at_a_time_and_removing_it(admin: TestClient, services: Services) -> None:
    first = upload(admin, WHEEL, a_wheel()).json()
    unfinished = start(admin, WHEEL, 5000).json()
    assert not (uploads_folder(services) / first["id"]).exists()  # replaced by the new upload
    second = upload(admin, WHEEL, a_wheel()).json()
    assert not (uploads_folder(services) / unfinished["id"]).exists()
    assert [u["id"] for u in admin.get(UPLOADS).json()] == [second["id"]]
    assert admin.delete(f"{UPLOADS}/{second['id']}").status_code == 204
    assert admin.get(UPLOADS).json() == []
    assert list(uploads_folder(services).iterdir()) == []
    assert audited(services, "update.upload_removed") == [WHEEL]


def test_an_unfinished_upload_idle_for_an_hour_is_cleaned(
    admin: TestClient, services: Services, clock: FakeClock
) -> None:
    finished = upload(admin, WHEEL, a_wheel()).json()
    services.updates.uploads._remove_all = lambda: None  # type: ignore[method-assign]  # keep both for this test
    unfinished = start(admin, "other.zip", 5000).json()
    assert put(admin, unfinished["id"], 0, b"x" * 100).status_code == 200
    clock.advance(STALE_SECONDS - 10)
    assert services.updates.uploads.clean_stale() == 0
    clock.advance(20)
    assert services.updates.uploads.clean_stale() == 1
    assert not (uploads_folder(services) / unfinished["id"]).exists()
    assert (uploads_folder(services) / finished["id"] / WHEEL).exists()
    with pytest.raises(NotFound):
        services.updates.uploads.get(unfinished["id"])


def test_only_administrators_with_the_csrf_token_upload(client: TestClient, services: Services) -> None:
    setup_device(client)
    assert start(client, WHEEL, 10).status_code == 401
    sign_in(client)
    create_user(client, "bob", password="a long one for b")
    token = client.headers.pop("X-CSRF-Token")
    refused = start(client, WHEEL, 10)
    assert refused.status_code == 403
    assert error_code(refused) == "csrf_token_missing"
    client.headers["X-CSRF-Token"] = token
    upload_id = start(client, WHEEL, 10).json()["id"]
    del client.headers["X-CSRF-Token"]
    assert put(client, upload_id, 0, b"x").status_code == 403
    assert client.delete(f"{UPLOADS}/{upload_id}").status_code == 403
    sign_in(client, "bob", "a long one for b")
    for answer in (start(client, WHEEL, 10), put(client, upload_id, 0, b"x"), client.get(UPLOADS)):
        assert answer.status_code == 403
        assert error_code(answer) == "administrators_only"
    assert (uploads_folder(services) / upload_id / f"{WHEEL}.partial").stat().st_size == 0


def test_root_on_the_socket_uploads_without_a_session(local_client: TestClient, services: Services) -> None:
    local_client.post("/api/v1/setup", json={"name": "nas", "admin": {"username": "alice", "password": ADMIN_PASSWORD}})
    answer = upload(local_client, WHEEL, a_wheel())
    assert answer.status_code == 200
    assert answer.json()["finished"] is True


def test_an_update_names_one_release(admin: TestClient) -> None:
    both = {"source": "/tmp/x.whl", "upload": "a" * 24, "current_password": ADMIN_PASSWORD}
    for body in (both, {"current_password": ADMIN_PASSWORD}):
        answer = admin.post("/api/v1/updates", json=body)
        assert answer.status_code == 422
        assert "either" in answer.json()["error"]["fields"]["source"]
    unknown = admin.post("/api/v1/updates", json={"upload": "a" * 24, "current_password": ADMIN_PASSWORD})
    assert unknown.status_code == 422
    assert "no finished upload" in unknown.json()["error"]["fields"]["upload"]


def test_an_unfinished_upload_cannot_be_updated_to(admin: TestClient) -> None:
    upload_id = start(admin, WHEEL, 5000).json()["id"]
    answer = admin.post("/api/v1/updates", json={"upload": upload_id, "current_password": ADMIN_PASSWORD})
    assert answer.status_code == 422
    assert "not finished" in answer.json()["error"]["fields"]["upload"]


def test_an_update_from_an_upload_needs_the_password_then_removes_it(
    with_releases: TestClient,  # noqa: F811
    clock: FakeClock,
    short_tmp: Path,
) -> None:
    done = upload(with_releases, WHEEL, a_wheel()).json()
    clock.advance(PROOF_SECONDS)
    no_password = with_releases.post("/api/v1/updates", json={"upload": done["id"]})
    assert no_password.status_code == 422
    assert "current_password" in no_password.json()["error"]["fields"]
    assert [u["id"] for u in with_releases.get(UPLOADS).json()] == [done["id"]]  # nothing tried: still there
    tried = with_releases.post("/api/v1/updates", json={"upload": done["id"], "current_password": ADMIN_PASSWORD})
    assert tried.status_code == 422, tried.text  # the wheel is a zip but not a release pip can install
    assert "could not be installed" in tried.json()["error"]["fields"]["source"]
    last = with_releases.get("/api/v1/updates").json()["last"]
    assert last["state"] == "failed"
    assert last["to_version"] == "9.0.0"
    assert with_releases.get(UPLOADS).json() == []  # tried with it: removed
    assert not any((short_tmp / "home" / "updates" / "uploads").iterdir())


def test_the_page_offers_the_uploaded_release(
    with_releases: TestClient,  # noqa: F811
    clock: FakeClock,
) -> None:
    page = with_releases.get("/system/updates").text
    assert 'data-testid="update-upload" data-upload hidden' in page  # shown by static/updates.js only
    assert '<script src="/static/updates.js" defer></script>' in page
    assert 'data-testid="update-release-choice"' not in page
    assert 'name="source" type="text" value="" autocomplete="off"\n         required' in page
    done = upload(with_releases, WHEEL, a_wheel()).json()
    page = with_releases.get("/system/updates?done=release-uploaded").text
    assert "The release is uploaded and checked" in page
    assert f'<strong data-testid="uploaded-release">{WHEEL}</strong>' in page
    assert f'name="upload" value="{done["id"]}"' in page
    assert 'value="upload" checked' in page
    assert 'name="source" type="text" value="" autocomplete="off"\n         required' not in page
    clock.advance(PROOF_SECONDS)
    token = with_releases.headers["X-CSRF-Token"]
    form = {"csrf_token": token, "release": "upload", "upload": done["id"], "source": ""}
    asked = with_releases.post("/system/updates", data=form)
    assert "Enter your current password" in asked.text
    assert [u["id"] for u in with_releases.get(UPLOADS).json()] == [done["id"]]
    tried = with_releases.post("/system/updates", data={**form, "current_password": ADMIN_PASSWORD})
    assert "could not be installed" in tried.text
    assert with_releases.get(UPLOADS).json() == []
    assert 'data-testid="update-release-choice"' not in tried.text


def test_an_upload_an_update_is_built_from_is_not_pulled_away(admin: TestClient, services: Services) -> None:
    done = upload(admin, WHEEL, a_wheel()).json()
    with services.updates.uploads.holding(done["id"]):
        replacing = start(admin, WHEEL, 100)
        assert replacing.status_code == 409
        assert error_code(replacing) == "update_running"
        assert admin.delete(f"{UPLOADS}/{done['id']}").status_code == 409
        assert services.updates.uploads.clean_stale() == 0
    assert [u["id"] for u in admin.get(UPLOADS).json()] == [done["id"]]
    assert admin.delete(f"{UPLOADS}/{done['id']}").status_code == 204


def test_a_zip_that_unpacks_past_the_free_space_is_refused(admin: TestClient, services: Services) -> None:
    services.updates.uploads.free_space = lambda _: 300 * 1024**2
    data = declaring(a_zip({WHEEL: b"0" * 100}), 100 * 1024**2)  # small itself, 100 MiB unpacked; 44 MiB free
    answer = upload(admin, "release.zip", data)
    assert answer.status_code == 422
    assert "not enough free space to unpack" in answer.json()["error"]["fields"]["name"]
    assert list(uploads_folder(services).iterdir()) == []


def test_the_page_removes_the_uploaded_release(with_releases: TestClient) -> None:  # noqa: F811
    done = upload(with_releases, WHEEL, a_wheel()).json()
    assert 'data-testid="upload-remove"' in with_releases.get("/system/updates").text
    token = with_releases.headers["X-CSRF-Token"]
    forged = with_releases.post("/system/updates/upload/remove", data={"csrf_token": "nope", "upload": done["id"]})
    assert forged.status_code in (400, 403)
    assert [u["id"] for u in with_releases.get(UPLOADS).json()] == [done["id"]]
    removed = with_releases.post(
        "/system/updates/upload/remove", data={"csrf_token": token, "upload": done["id"]}, follow_redirects=True
    )
    assert "The uploaded release has been removed." in removed.text
    assert 'data-testid="upload-remove"' not in removed.text
    assert with_releases.get(UPLOADS).json() == []


@pytest.mark.parametrize(
    ("name", "data", "said"),
    [
        ("other-1.0-py3-none-any.whl", a_wheel(), "is not a Homeport release"),
        ("deps.zip", a_zip({"argon2_cffi-23.1.0-py3-none-any.whl": a_wheel()}), "holds no homeport wheel"),
        ("two.zip", a_zip({WHEEL: a_wheel(), "homeport-9.1.0-py3-none-any.whl": a_wheel()}), "holds 2 homeport"),
    ],
)
def test_an_upload_without_exactly_one_homeport_wheel_is_refused(
    admin: TestClient, services: Services, name: str, data: bytes, said: str
) -> None:
    answer = upload(admin, name, data)
    assert answer.status_code == 422
    assert said in answer.json()["error"]["fields"]["name"]
    assert list(uploads_folder(services).iterdir()) == []


def test_the_daemon_start_cleans_a_stale_upload(admin: TestClient, services: Services, clock: FakeClock) -> None:
    stale = start(admin, WHEEL, 5000).json()
    clock.advance(STALE_SECONDS + 1)
    admin.portal.call(services.updates.start)  # type: ignore[union-attr]  # what the daemon runs at start
    assert not (uploads_folder(services) / stale["id"]).exists()
