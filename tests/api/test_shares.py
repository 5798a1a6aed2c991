"""Volumes and shared folders over the API: create, attach, change, delete; every refusal names its field."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from homeport.application import create_app
from homeport.services import Services
from tests.support.api import ADMIN, create_user, error_code, setup_device, sign_in

BOB_PASSWORD = "a long enough password"


@pytest.fixture
def admin(client: TestClient) -> TestClient:
    """alice (administrator) signed in; bob, a plain account; a group `family` with bob in it."""
    setup_device(client)
    sign_in(client)
    assert client.post("/api/v1/groups", json={"name": "family"}).status_code == 201
    create_user(client, "bob", password=BOB_PASSWORD, groups=["family"])
    return client


@pytest.fixture
def volume(services: Services) -> Path:
    return services.volumes.paths[0]


@pytest.fixture
def bob(admin: TestClient, services: Services) -> Iterator[TestClient]:
    with TestClient(create_app(services), base_url="https://testserver", client=("192.168.1.77", 1)) as other:
        sign_in(other, "bob", BOB_PASSWORD)
        yield other


def add_share(client: TestClient, name: str, **extra: Any) -> dict[str, Any]:
    answer = client.post("/api/v1/shares", json={"name": name, "volume": "volume1", **extra})
    assert answer.status_code == 201, answer.text
    result: dict[str, Any] = answer.json()
    return result


def listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def actions(client: TestClient) -> list[str]:
    return [r["action"] for r in client.get("/api/v1/log").json()]


def test_create_read_update_delete(admin: TestClient, volume: Path) -> None:
    created = add_share(
        admin, "Photos", description="Family pictures", recycle_bin=True,
        permissions={"users": {"bob": "rw"}, "groups": {"users": "ro"}},
    )  # fmt: skip
    assert created == {
        "name": "Photos", "volume": "volume1", "folder": "Photos", "path": str(volume / "Photos"), "available": True,
        "description": "Family pictures", "hidden": False, "recycle_bin": True, "time_machine": False,
        "time_machine_limit_gb": None, "permissions": {"users": {"bob": "rw"}, "groups": {"users": "ro"}},
        "effective": {"admin": "ro", ADMIN: "ro", "bob": "rw"},
    }  # fmt: skip
    assert (volume / "Photos").is_dir()
    assert admin.get("/api/v1/shares/photos").json() == created  # any case finds it
    listed = admin.get("/api/v1/shares")
    assert [s["name"] for s in listed.json()] == ["Photos"] and listed.headers["X-Total-Count"] == "1"
    patched = admin.patch(
        "/api/v1/shares/Photos",
        json={
            "name": "Pictures",
            "description": "",
            "hidden": True,
            "time_machine": True,
            "time_machine_limit_gb": 500,
        },
    )
    assert patched.status_code == 200, patched.text
    body = patched.json()
    assert body["name"] == "Pictures" and body["folder"] == "Photos" and body["hidden"] and body["time_machine"]
    assert body["time_machine_limit_gb"] == 500 and body["recycle_bin"] is True  # left out: kept
    assert admin.get("/api/v1/shares/Photos").status_code == 404
    assert admin.delete("/api/v1/shares/Pictures").status_code == 204
    assert admin.get("/api/v1/shares").json() == []
    assert (volume / "Photos").is_dir()  # the files stay


def test_a_folder_of_its_own_nested_or_by_default_the_name(admin: TestClient, volume: Path) -> None:
    assert add_share(admin, "Films 2026")["folder"] == "Films 2026"
    nested = add_share(admin, "Holidays", folder="Family/Holidays")
    assert nested["folder"] == "Family/Holidays" and nested["path"] == str(volume / "Family" / "Holidays")
    assert (volume / "Family" / "Holidays").is_dir() and (volume / "Films 2026").is_dir()
    assert add_share(admin, "Dotted", folder="./Family//Dotted/")["folder"] == "Family/Dotted"  # normalised
    assert admin.get("/api/v1/shares/Films%202026").status_code == 200


def test_an_existing_folder_is_attached_with_its_files(admin: TestClient, volume: Path) -> None:
    (volume / "old stuff").mkdir()
    (volume / "old stuff" / "letter.txt").write_text("dear owner\n")
    refused = admin.post("/api/v1/shares", json={"name": "Old", "volume": "volume1", "folder": "old stuff"})
    assert refused.status_code == 409 and error_code(refused) == "folder_exists"
    assert "folder" in refused.json()["error"]["fields"]
    attached = add_share(admin, "Old", folder="old stuff", attach_existing=True)
    assert attached["available"] is True and attached["folder"] == "old stuff"
    assert (volume / "old stuff" / "letter.txt").read_text() == "dear owner\n"
    missing = admin.post(
        "/api/v1/shares", json={"name": "Gone", "volume": "volume1", "folder": "not here", "attach_existing": True}
    )
    assert missing.status_code == 422 and "folder" in missing.json()["error"]["fields"]
    assert not (volume / "not here").exists()
    assert "share.attached" in actions(admin)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "bad/name"}, "name"),
        ({"name": "global"}, "name"),
        ({"name": "IPC$"}, "name"),
        ({"name": " Photos"}, "name"),
        ({"name": ""}, "name"),
        ({"name": "x" * 81}, "name"),
        ({"name": "Photos", "folder": "../outside"}, "folder"),
        ({"name": "Photos", "folder": "Family/../../outside"}, "folder"),
        ({"name": "Photos", "folder": ".."}, "folder"),
        ({"name": "Photos", "folder": "/etc"}, "folder"),
        ({"name": "Photos", "folder": "\\etc"}, "folder"),
        ({"name": "Photos", "folder": "/"}, "folder"),
        ({"name": "Photos", "folder": ""}, "folder"),
        ({"name": "Photos", "folder": "@homeport"}, "folder"),
        ({"name": "Photos", "folder": "100%"}, "folder"),
        ({"name": "Photos", "folder": "tab\there"}, "folder"),
        ({"name": "Photos", "volume": "volume2"}, "volume"),
        ({"name": "Photos", "volume": "../volume1"}, "volume"),
        ({"name": "Photos", "permissions": {"users": {"nobody": "rw"}}}, "permissions.users"),
        ({"name": "Photos", "permissions": {"groups": {"nogroup": "ro"}}}, "permissions.groups"),
        ({"name": "Photos", "permissions": {"users": {"bob": "write"}}}, "permissions.users.bob"),
        ({"name": "Photos", "permissions": {"users": ["bob"]}}, "permissions.users"),
        ({"name": "Photos", "permissions": {"everyone": "rw"}}, "permissions.everyone"),
        ({"name": "Photos", "description": "line\nbreak"}, "description"),
        ({"name": "Photos", "description": "100% ours"}, "description"),
        ({"name": "Photos", "description": "x" * 201}, "description"),
        ({"name": "Photos", "time_machine_limit_gb": 0}, "time_machine_limit_gb"),
        ({"name": "Photos", "time_machine_limit_gb": True}, "time_machine_limit_gb"),
        ({"name": "Photos", "hidden": "yes"}, "hidden"),
        ({"name": "Photos", "attach_existing": 1}, "attach_existing"),
        ({"name": "Photos", "surprise": 1}, "surprise"),
        ({"name": 7}, "name"),
    ],
)
def test_bad_input_names_the_field_and_creates_nothing(
    admin: TestClient, services: Services, volume: Path, body: dict[str, Any], field: str
) -> None:
    answer = admin.post("/api/v1/shares", json={"volume": "volume1", **body})
    assert answer.status_code == 422, answer.text
    assert field in answer.json()["error"]["fields"], answer.json()
    assert services.shares.list() == []
    assert listing(volume) == []


def test_not_json_is_a_400(admin: TestClient) -> None:
    answer = admin.post("/api/v1/shares", content=b"{not json", headers={"content-type": "application/json"})
    assert answer.status_code == 400 and error_code(answer) == "invalid_json"


def test_a_symbolic_link_cannot_take_a_share_outside_its_volume(
    admin: TestClient, volume: Path, short_tmp: Path
) -> None:
    outside = short_tmp / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("not for sharing\n")
    (volume / "escape").symlink_to(outside)
    for body in (
        {"name": "Escape", "folder": "escape", "attach_existing": True},
        {"name": "Escape", "folder": "escape/new"},
        {"name": "Escape", "folder": "escape"},
    ):
        answer = admin.post("/api/v1/shares", json={"volume": "volume1", **body})
        assert answer.status_code in (409, 422), answer.text
        assert "folder" in answer.json()["error"]["fields"]
    assert admin.get("/api/v1/shares").json() == []
    assert listing(outside) == ["secret.txt"]


def test_deleting_the_files_of_a_folder_swapped_for_a_link_leaves_the_outside_alone(
    admin: TestClient, volume: Path, short_tmp: Path
) -> None:
    outside = short_tmp / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("not for sharing\n")
    add_share(admin, "Docs")
    (volume / "Docs").rmdir()
    (volume / "Docs").symlink_to(outside)
    answer = admin.request("DELETE", "/api/v1/shares/Docs", json={"delete_files": True, "confirm": "Docs"})
    assert answer.status_code == 422 and "folder" in answer.json()["error"]["fields"], answer.text
    assert listing(outside) == ["secret.txt"]
    assert admin.get("/api/v1/shares/Docs").status_code == 200  # refused as a whole: the share stays too


def test_names_are_unique_case_insensitively_and_a_folder_is_shared_once(admin: TestClient) -> None:
    add_share(admin, "Photos")
    again = admin.post("/api/v1/shares", json={"name": "PHOTOS", "volume": "volume1", "folder": "elsewhere"})
    assert again.status_code == 409 and error_code(again) == "share_exists"
    assert "name" in again.json()["error"]["fields"]
    twice = admin.post("/api/v1/shares", json={"name": "Pictures", "volume": "volume1", "folder": "Photos"})
    assert twice.status_code in (409, 422) and "folder" in twice.json()["error"]["fields"]
    add_share(admin, "Music")
    renamed = admin.patch("/api/v1/shares/Music", json={"name": "photos"})
    assert renamed.status_code == 409 and error_code(renamed) == "share_exists"
    assert admin.patch("/api/v1/shares/Music", json={"name": "MUSIC"}).json()["name"] == "MUSIC"  # its own name


def test_changes_keep_what_is_left_out_and_null_removes_the_limit(admin: TestClient) -> None:
    add_share(
        admin, "Backups", time_machine=True, time_machine_limit_gb=200,
        permissions={"users": {"bob": "rw"}, "groups": {"family": "ro"}},
    )  # fmt: skip
    users_only = admin.patch("/api/v1/shares/Backups", json={"permissions": {"users": {ADMIN: "rw"}}}).json()
    assert users_only["permissions"] == {"users": {ADMIN: "rw"}, "groups": {"family": "ro"}}
    assert users_only["time_machine_limit_gb"] == 200
    unlimited = admin.patch("/api/v1/shares/Backups", json={"time_machine_limit_gb": None}).json()
    assert unlimited["time_machine_limit_gb"] is None and unlimited["time_machine"] is True
    assert admin.patch("/api/v1/shares/Backups", json={}).status_code == 200
    assert admin.patch("/api/v1/shares/Backups", json={"hidden": None}).json()["hidden"] is False


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"folder": "elsewhere"}, "folder"),
        ({"volume": "volume2"}, "volume"),
        ({"name": "bad/name"}, "name"),
        ({"name": "homes"}, "name"),
        ({"description": "\u202eevil"}, "description"),
        ({"time_machine_limit_gb": 2**40}, "time_machine_limit_gb"),
        ({"permissions": {"users": {"nobody": "ro"}}}, "permissions.users"),
        ({"permissions": {"groups": {"family": "all"}}}, "permissions.groups.family"),
    ],
)
def test_bad_changes_name_the_field_and_change_nothing(admin: TestClient, body: dict[str, Any], field: str) -> None:
    before = add_share(admin, "Photos")
    answer = admin.patch("/api/v1/shares/Photos", json=body)
    assert answer.status_code == 422, answer.text
    assert field in answer.json()["error"]["fields"]
    assert admin.get("/api/v1/shares/Photos").json() == before


def test_unknown_shares_are_404(admin: TestClient) -> None:
    for method in ("GET", "PATCH", "DELETE"):
        answer = admin.request(method, "/api/v1/shares/Nothing", json={} if method == "PATCH" else None)
        assert answer.status_code == 404 and error_code(answer) == "share_not_found"


def test_who_may_use_it_no_access_wins_and_groups_count(admin: TestClient) -> None:
    share = add_share(admin, "Family", permissions={"users": {"bob": "ro"}, "groups": {"family": "rw", "users": "ro"}})
    assert share["effective"] == {"admin": "ro", ADMIN: "ro", "bob": "rw"}  # the widest grant counts
    denied = admin.patch("/api/v1/shares/Family", json={"permissions": {"users": {"bob": "none"}}}).json()
    assert denied["effective"] == {"admin": "ro", ADMIN: "ro", "bob": "none"}  # no access wins
    nobody = add_share(admin, "Private")
    assert set(nobody["effective"].values()) == {"none"}  # nobody listed gets nothing
    admin.patch("/api/v1/users/bob", json={"groups": []})
    assert admin.get("/api/v1/shares/Family").json()["effective"]["bob"] == "none"  # groups resolved on every read


def test_deleting_keeps_the_files_unless_the_name_is_typed_again(admin: TestClient, volume: Path) -> None:
    add_share(admin, "Photos")
    (volume / "Photos" / "cat.jpg").write_bytes(b"\xff\xd8 a cat")
    for confirm in ("", "photos", "Photos "):
        refused = admin.request("DELETE", "/api/v1/shares/Photos", json={"delete_files": True, "confirm": confirm})
        assert refused.status_code == 422 and "confirm" in refused.json()["error"]["fields"], refused.text
        assert "Photos" in refused.json()["error"]["message"]
    by_query = admin.delete("/api/v1/shares/Photos", params={"delete_files": "true", "confirm": "PHOTOS"})
    assert by_query.status_code == 422
    assert admin.get("/api/v1/shares/Photos").status_code == 200 and (volume / "Photos" / "cat.jpg").exists()
    assert admin.delete("/api/v1/shares/Photos", params={"confirm": "wrong"}).status_code == 204  # files kept
    assert (volume / "Photos" / "cat.jpg").read_bytes() == b"\xff\xd8 a cat"

    add_share(admin, "Music")
    (volume / "Music" / "song.flac").write_bytes(b"la la")
    done = admin.delete("/api/v1/shares/music", params={"delete_files": "true", "confirm": "Music"})
    assert done.status_code == 204
    assert not (volume / "Music").exists() and (volume / "Photos" / "cat.jpg").exists()

    add_share(admin, "Films")
    body = {"delete_files": True, "confirm": "Films"}
    assert admin.request("DELETE", "/api/v1/shares/Films", json=body).status_code == 204
    assert not (volume / "Films").exists()
    deleted = [r for r in admin.get("/api/v1/log").json() if r["action"] == "share.deleted"]
    assert [(r["target"], r["detail"]["files_deleted"]) for r in deleted] == [
        ("Films", True), ("Music", True), ("Photos", False)
    ]  # fmt: skip


def test_volumes_list_their_space_state_and_shares(admin: TestClient, volume: Path) -> None:
    add_share(admin, "Photos")
    add_share(admin, "Holidays", folder="Family/Holidays")
    [found] = admin.get("/api/v1/volumes").json()
    assert found["name"] == "volume1" and found["path"] == str(volume) and found["available"] is True
    assert found["state"] == "ok" and found["read_only"] is False
    assert found["total_bytes"] > 0 and 0 <= found["free_bytes"] <= found["total_bytes"]
    assert found["mount_point"] and str(volume).startswith(found["mount_point"]) and found["filesystem"]
    assert found["shares"] == [
        {"name": "Holidays", "folder": "Family/Holidays", "available": True},
        {"name": "Photos", "folder": "Photos", "available": True},
    ]


def test_a_missing_volume_is_reported_and_takes_no_new_share(admin: TestClient, volume: Path) -> None:
    add_share(admin, "Photos")
    parked = volume.with_name("parked")
    volume.rename(parked)
    try:
        [found] = admin.get("/api/v1/volumes").json()
        assert found["state"] == "missing" and found["available"] is False and found["total_bytes"] == 0
        assert found["shares"] == [{"name": "Photos", "folder": "Photos", "available": False}]
        share = admin.get("/api/v1/shares/Photos").json()
        assert share["available"] is False
        answer = admin.post("/api/v1/shares", json={"name": "Music", "volume": "volume1"})
        assert answer.status_code == 422 and "missing" in answer.json()["error"]["fields"]["volume"]
        assert admin.patch("/api/v1/shares/Photos", json={"description": "on the shelf"}).status_code == 200
    finally:
        parked.rename(volume)
    assert admin.get("/api/v1/shares/Photos").json()["available"] is True


def test_lists_page_sort_and_search(admin: TestClient) -> None:
    for name in ("Music", "Photos", "Films", "Backups"):
        add_share(admin, name, description=f"All our {name.lower()}")
    first = admin.get("/api/v1/shares", params={"limit": 2})
    assert [s["name"] for s in first.json()] == ["Backups", "Films"] and first.headers["X-Total-Count"] == "4"
    assert [s["name"] for s in admin.get("/api/v1/shares", params={"sort": "-name", "limit": 1}).json()] == ["Photos"]
    assert [s["name"] for s in admin.get("/api/v1/shares", params={"q": "our music"}).json()] == ["Music"]


def test_only_administrators_see_or_change_shares_and_volumes(admin: TestClient, bob: TestClient) -> None:
    add_share(admin, "Photos", permissions={"users": {"bob": "rw"}})
    for method, path, body in (
        ("GET", "/api/v1/volumes", None),
        ("GET", "/api/v1/shares", None),
        ("GET", "/api/v1/shares/Photos", None),
        ("POST", "/api/v1/shares", {"name": "Mine", "volume": "volume1"}),
        ("PATCH", "/api/v1/shares/Photos", {"name": "Mine"}),
        ("DELETE", "/api/v1/shares/Photos", None),
    ):
        answer = bob.request(method, path, json=body)
        assert answer.status_code == 403 and error_code(answer) == "administrators_only", (method, path)
    assert [s["name"] for s in admin.get("/api/v1/shares").json()] == ["Photos"]


def test_changes_need_the_csrf_token(admin: TestClient, volume: Path) -> None:
    add_share(admin, "Photos")
    token = admin.headers.pop("X-CSRF-Token")
    for method, path, body in (
        ("POST", "/api/v1/shares", {"name": "Music", "volume": "volume1"}),
        ("PATCH", "/api/v1/shares/Photos", {"hidden": True}),
        ("DELETE", "/api/v1/shares/Photos", None),
    ):
        answer = admin.request(method, path, json=body)
        assert answer.status_code == 403 and error_code(answer) == "csrf_token_missing", (method, path)
    assert admin.get("/api/v1/shares/Photos").json()["hidden"] is False  # reading needs none
    admin.headers["X-CSRF-Token"] = "not the token"
    assert admin.delete("/api/v1/shares/Photos").status_code == 403
    admin.headers["X-CSRF-Token"] = token
    assert listing(volume) == ["Photos"]


def test_without_a_session_every_call_is_401(client: TestClient) -> None:
    setup_device(client)
    for method, path in (("GET", "/api/v1/volumes"), ("GET", "/api/v1/shares"), ("POST", "/api/v1/shares"),
                         ("GET", "/api/v1/shares/x"), ("DELETE", "/api/v1/shares/x")):  # fmt: skip
        assert client.request(method, path).status_code == 401


def test_before_setup_the_local_socket_is_refused(local_client: TestClient) -> None:
    answer = local_client.get("/api/v1/shares")
    assert answer.status_code == 409 and error_code(answer) == "not_installed"


def test_root_on_the_socket_manages_shares(local_client: TestClient) -> None:
    setup_device(local_client)
    created = local_client.post("/api/v1/shares", json={"name": "Photos", "volume": "volume1"})
    assert created.status_code == 201, created.text
    [record] = [r for r in local_client.get("/api/v1/log").json() if r["action"] == "share.created"]
    assert record["actor"] == "root@local"


def test_every_change_is_in_the_log_in_words(admin: TestClient, volume: Path) -> None:
    add_share(admin, "Photos", permissions={"users": {"bob": "rw"}})
    (volume / "old").mkdir()
    add_share(admin, "Old", attach_existing=True, folder="old")
    admin.patch("/api/v1/shares/Photos", json={"description": "Ours", "permissions": {"users": {"bob": "ro"}}})
    admin.delete("/api/v1/shares/Old")
    records = {r["action"]: r for r in admin.get("/api/v1/log").json()}
    assert records["share.created"]["sentence"].startswith(f"{ADMIN} created the shared folder Photos")
    assert records["share.created"]["detail"]["users"] == {"bob": "rw"}
    assert records["share.attached"]["sentence"].startswith(f"{ADMIN} shared the existing folder Old")
    assert records["share.changed"]["detail"]["fields"] == ["description", "users"]
    assert records["share.changed"]["sentence"].startswith(f"{ADMIN} changed the shared folder Photos")
    assert records["share.deleted"]["sentence"].startswith(f"{ADMIN} removed the shared folder Old")
    assert records["share.deleted"]["detail"]["files_deleted"] is False
    before = len(admin.get("/api/v1/log").json())
    admin.patch("/api/v1/shares/Photos", json={"description": "Ours"})  # no change: nothing to record
    assert len(admin.get("/api/v1/log").json()) == before


def test_a_shared_folder_cannot_be_inside_another(admin: TestClient, volume: Path) -> None:
    """One inside another would let its permissions undo the other's "no access", and deleting the outer one's
    files would delete the inner one's."""
    add_share(admin, "Family", permissions={"users": {"bob": "none"}})
    inner = admin.post("/api/v1/shares", json={"name": "Kids", "volume": "volume1", "folder": "Family/Kids"})
    assert inner.status_code == 409 and error_code(inner) == "folder_nested"
    assert "Overlaps the shared folder 'Family'" in inner.json()["error"]["fields"]["folder"]
    (volume / "Archive" / "2019").mkdir(parents=True)
    add_share(admin, "Old", folder="Archive/2019", attach_existing=True)
    outer = admin.post("/api/v1/shares", json={"name": "Archive", "volume": "volume1", "attach_existing": True})
    assert outer.status_code == 409 and error_code(outer) == "folder_nested"
    beside = add_share(admin, "Family2", folder="Family-2")  # a name that starts the same is no overlap
    assert beside["folder"] == "Family-2"


def test_names_windows_cannot_open_are_refused(admin: TestClient) -> None:
    for name in ("CON", "nul", "Com1", "lpt9.txt", "Trailing."):
        answer = admin.post("/api/v1/shares", json={"name": name, "volume": "volume1"})
        assert answer.status_code == 422, name
        assert "Windows cannot open" in answer.json()["error"]["fields"]["name"]
    assert admin.post("/api/v1/shares", json={"name": "Console", "volume": "volume1"}).status_code == 201


def test_an_attached_folder_becomes_usable_by_the_accounts_samba_lets_in(admin: TestClient, volume: Path) -> None:
    from homeport.files.folders import SHARE_GROUP_GID

    old = volume / "Old Photos"
    (old / "2019").mkdir(parents=True, mode=0o755)
    (old / "2019" / "beach.jpg").write_bytes(b"jpeg")
    (old / "2019" / "beach.jpg").chmod(0o644)
    (old / "outside").symlink_to("/etc")
    add_share(admin, "Old Photos", attach_existing=True, permissions={"groups": {"family": "rw"}})
    for path in (old, old / "2019", old / "2019" / "beach.jpg"):
        info = path.stat()
        assert info.st_gid == SHARE_GROUP_GID and info.st_mode & 0o060 == 0o060, path
    assert (old / "2019").stat().st_mode & 0o2000  # new files keep the group
    assert (old / "2019" / "beach.jpg").stat().st_mode & 0o7777 == 0o664  # the owner's and others' bits kept
    assert Path("/etc").stat().st_gid == 0  # the link was not followed
