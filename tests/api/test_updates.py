"""The updates API and console page: who may look and start one, what an update needs (the current password, a
release on a data volume), and clear refusals that change nothing. Real builds are in tests/integration."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from homeport.application import create_app
from homeport.daemon import BuildOptions, build_services, close_services
from homeport.home import Home
from homeport.services import Services
from homeport.system.settings import read_value, write_value
from homeport.tls.issue import issue
from homeport.updates.trial import TRIAL_ACCOUNT_KEY
from tests.conftest import FLOOR
from tests.support.api import ADMIN_PASSWORD, create_user, error_code, setup_device, sign_in
from tests.support.clock import FakeClock
from tests.support.fakes import StaticInterfaces

PROOF_SECONDS = 301  # past the 5 minutes in which a session's sign-in counts as having given the password


@pytest.fixture
def with_releases(home: Home, clock: FakeClock, short_tmp: Path) -> Iterator[TestClient]:
    """A set-up device whose updates are on (a releases root), alice signed in."""
    volume = short_tmp / "volume1"
    volume.mkdir()
    options = BuildOptions(
        volumes=(volume,), argon2=FLOOR, hash_workers=2, tls_issuer=issue, releases=short_tmp / "opt"
    )
    services = build_services(home, options, clock=clock, interfaces=StaticInterfaces())
    try:
        with TestClient(create_app(services), base_url="https://testserver") as client:
            setup_device(client)
            sign_in(client)
            yield client
    finally:
        close_services(services)


def volume_of(services: Services) -> Path:
    return services.volumes.paths[0]


def test_only_administrators_see_updates(client: TestClient) -> None:
    setup_device(client)
    assert client.get("/api/v1/updates").status_code == 401
    sign_in(client)
    create_user(client, "bob", password="a long one for b")
    answer = client.get("/api/v1/updates").json()
    assert answer["enabled"] is False
    assert answer["version"]
    assert answer["last"] is None
    sign_in(client, "bob", "a long one for b")
    assert client.get("/api/v1/updates").status_code == 403
    assert client.post("/api/v1/updates", json={"source": "/tmp"}).status_code == 403


def test_an_update_needs_the_current_password(client: TestClient, services: Services) -> None:
    setup_device(client)
    sign_in(client)  # even right after signing in (other settings take the sign-in as proof for 5 minutes)
    source = str(volume_of(services) / "homeport-0.2.0-py3-none-any.whl")
    answer = client.post("/api/v1/updates", json={"source": source})
    assert answer.status_code == 422
    assert "current_password" in answer.json()["error"]["fields"]
    wrong = client.post("/api/v1/updates", json={"source": source, "current_password": "not it at all"})
    assert wrong.status_code in (400, 401, 422)
    assert services.updates.journal() is None


def test_from_the_console_a_release_comes_from_a_data_volume(client: TestClient) -> None:
    setup_device(client)
    sign_in(client)
    answer = client.post("/api/v1/updates", json={"source": "/etc/passwd", "current_password": ADMIN_PASSWORD})
    assert answer.status_code == 422
    assert "data volumes" in answer.json()["error"]["fields"]["source"]


def test_without_a_releases_folder_updates_are_off(client: TestClient, services: Services) -> None:
    setup_device(client)
    sign_in(client)
    body = {"source": str(volume_of(services)), "current_password": ADMIN_PASSWORD}
    answer = client.post("/api/v1/updates", json=body)
    assert answer.status_code == 409
    assert error_code(answer) == "updates_off"


def test_root_on_the_socket_needs_no_password_and_may_name_any_place(
    local_client: TestClient, services: Services
) -> None:
    local_client.post("/api/v1/setup", json={"name": "nas", "admin": {"username": "alice", "password": ADMIN_PASSWORD}})
    answer = local_client.post("/api/v1/updates", json={"source": "/etc/passwd"})
    assert answer.status_code == 409  # past the checks of who asks: refused only because updates are off here
    assert error_code(answer) == "updates_off"


@pytest.mark.parametrize(
    ("made", "said"),
    [
        ("notes.txt", "not a Homeport release"),
        ("empty-folder/", "holds no homeport wheel"),
        ("missing.whl", "There is no file or folder"),
    ],
)
def test_what_is_not_a_release_is_refused_before_anything_is_built(
    with_releases: TestClient, short_tmp: Path, made: str, said: str
) -> None:
    source = short_tmp / "volume1" / made.rstrip("/")
    if made.endswith("/"):
        source.mkdir()
    elif made != "missing.whl":
        source.write_text("hello")
    answer = with_releases.post("/api/v1/updates", json={"source": str(source), "current_password": ADMIN_PASSWORD})
    assert answer.status_code == 422, answer.text
    assert said in answer.json()["error"]["fields"]["source"]
    status = with_releases.get("/api/v1/updates").json()
    assert status["enabled"] is True
    assert status["releases"] == []
    assert not (short_tmp / "opt" / "releases").exists() or not any((short_tmp / "opt" / "releases").iterdir())


def test_a_release_that_cannot_be_installed_fails_and_is_removed(with_releases: TestClient, short_tmp: Path) -> None:
    folder = short_tmp / "volume1" / "offline"
    folder.mkdir()
    (folder / "homeport-9.0.0-py3-none-any.whl").write_bytes(b"not a zip")
    body = {"source": str(folder), "current_password": ADMIN_PASSWORD}
    answer = with_releases.post("/api/v1/updates", json=body)
    assert answer.status_code == 422, answer.text
    assert "could not be installed" in answer.json()["error"]["fields"]["source"]
    last = with_releases.get("/api/v1/updates").json()["last"]
    assert last["state"] == "failed"
    assert last["to_version"] == "9.0.0"
    assert not any((short_tmp / "opt" / "releases").iterdir())
    page = with_releases.get("/system/updates").text
    assert "refused before anything changed" in page
    assert "could not be installed" in page
    assert 'data-testid="update-log"' in page


def test_the_updates_page(with_releases: TestClient, short_tmp: Path, clock: FakeClock) -> None:
    page = with_releases.get("/system/updates")
    assert page.status_code == 200
    assert 'data-testid="update-form"' in page.text
    assert "No update has run on this device yet." in page.text
    clock.advance(PROOF_SECONDS)
    token = with_releases.headers["X-CSRF-Token"]
    sent = with_releases.post(
        "/system/updates", data={"csrf_token": token, "source": str(short_tmp / "volume1" / "x.whl")},
        follow_redirects=True,
    )  # fmt: skip
    assert sent.status_code in (200, 422)
    assert "Enter your current password" in sent.text
    assert str(short_tmp / "volume1" / "x.whl") in sent.text  # what was typed comes back, the password never


def test_releases_that_another_user_may_change_are_refused(with_releases: TestClient, short_tmp: Path) -> None:
    releases = short_tmp / "opt"
    (releases / "releases").mkdir(parents=True)
    releases.chmod(0o777)
    wheel = short_tmp / "volume1" / "homeport-1.0.0-py3-none-any.whl"
    wheel.write_bytes(b"never opened")
    answer = with_releases.post("/api/v1/updates", json={"source": str(wheel), "current_password": ADMIN_PASSWORD})
    assert answer.status_code == 409
    assert error_code(answer) == "releases_unsafe"
    assert "chmod go-w" in answer.json()["error"]["message"]
    assert list((releases / "releases").iterdir()) == []


def test_a_path_with_a_control_character_is_refused_in_words(client: TestClient, services: Services) -> None:
    setup_device(client)
    sign_in(client)
    source = str(volume_of(services)) + "/a\x00b.whl"
    answer = client.post("/api/v1/updates", json={"source": source, "current_password": ADMIN_PASSWORD})
    assert answer.status_code == 422
    assert "control characters" in answer.json()["error"]["fields"]["source"]
    assert services.updates.journal() is None


def test_only_the_trial_account_is_removed_at_start_never_an_owner_account_with_a_like_name(
    client: TestClient, services: Services
) -> None:
    setup_device(client)
    sign_in(client)
    create_user(client, "update-canary-lab", password="a long one for the lab")
    create_user(client, "update-canary-0badf00d", password="a long one for the trial")
    with services.db.write() as conn:  # as a trial killed between making its account and deleting it leaves it
        write_value(conn, TRIAL_ACCOUNT_KEY, "update-canary-0badf00d")
    asyncio.run(services.updates.start())
    names = {user.name for user in services.accounts.list_users()}
    assert "update-canary-lab" in names
    assert "update-canary-0badf00d" not in names
    with services.db.read() as conn:
        assert read_value(conn, TRIAL_ACCOUNT_KEY) is None
