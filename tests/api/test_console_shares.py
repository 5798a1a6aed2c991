"""The shared folders and file services pages as an owner meets them, with plain form posts (no JavaScript): every
form checked by the server, a failure shown next to its field with the rest of what was typed kept, and files deleted
only when the share's name is typed again."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from httpx2 import Response
from starlette.testclient import TestClient

from homeport.audit.log import Actor
from homeport.files.models import ShareDraft
from homeport.services import Services
from tests.support.api import ADMIN, create_user, setup_device, sign_in
from tests.support.console import form_token, shown


@pytest.fixture
def owner(client: TestClient) -> TestClient:
    """alice (administrator) signed in, and bob and carol, who are not."""
    setup_device(client)
    sign_in(client)
    create_user(client, "bob", full_name="Bob Builder")
    create_user(client, "carol")
    assert client.post("/api/v1/groups", json={"name": "family"}).status_code == 201
    assert client.patch("/api/v1/users/carol", json={"groups": ["family"]}).status_code == 200
    client.follow_redirects = False
    return client


@pytest.fixture
def volume(services: Services) -> Path:
    return services.volumes.paths[0]


def selected(page: str, name: str) -> str:
    """The chosen option of the select called `name` ("" for "(not set)")."""
    found = re.search(rf'<select[^>]*name="{re.escape(name)}".*?</select>', page, re.S)
    assert found, f"no select {name}"
    option = re.search(r'<option value="([^"]*)" selected>', found.group(0))
    return option.group(1) if option else ""


def part_of(page: str, testid: str) -> str:
    """The text of one form (or table) of a page, up to its end."""
    start = page.index(f'data-testid="{testid}"')
    end = page.index("</form>", start) if "form" in testid else page.index("</table>", start)
    return page[start:end]


def create(owner: TestClient, **fields: str) -> Response:
    page = owner.get("/shares").text
    return owner.post("/shares", data={"csrf_token": form_token(page), "part": "create", "volume": "volume1", **fields})


def test_create_a_shared_folder_with_permissions_and_see_it_listed(
    owner: TestClient, services: Services, volume: Path
) -> None:
    page = owner.get("/shares").text
    assert re.search(r'id="f-create-name"[^>]*maxlength="80"', page)
    assert re.search(r'id="f-create-description"[^>]*maxlength="200"', page)
    assert 'name="user:bob"' in page and 'name="group:family"' in page and 'name="user:admin"' not in page
    form = {
        "csrf_token": form_token(page), "part": "create", "name": "Photos", "volume": "volume1",
        "description": "Holidays", "recycle_bin": "1", "time_machine": "1", "time_machine_limit_gb": "500",
        "user:bob": "rw", "group:family": "ro", "user:carol": "",
    }  # fmt: skip
    answer = owner.post("/shares", data=form)
    assert answer.status_code == 303 and answer.headers["location"] == "/shares?done=share-created"
    listed = owner.get(answer.headers["location"]).text
    assert "The shared folder has been created." in listed
    row = part_of(listed, "share-Photos")
    assert 'href="/shares/Photos"' in row and "Holidays" in row and "available" in row
    assert "recycle bin" in row and "Time Machine · 500 GiB" in row
    assert re.search(r"read-write:</span> bob<br>\s*<span class=\"nowrap\">read-only:</span> carol", row)
    share = services.shares.get("Photos").share
    assert share.users == {"bob": "rw"} and share.groups == {"family": "ro"}
    assert share.recycle_bin and share.time_machine and share.time_machine_limit_gb == 500 and not share.hidden
    assert (volume / "Photos").is_dir()


def test_a_refused_create_keeps_what_was_typed_next_to_each_problem(
    owner: TestClient, services: Services, volume: Path
) -> None:
    (volume / "Music").mkdir()  # so the page has its other form, "attach"
    answer = create(
        owner, name="Bad/Name!", description="Pictures of us", hidden="1", time_machine_limit_gb="lots",
        **{"user:bob": "rw", "group:family": "none"},
    )  # fmt: skip
    back = shown(owner, answer)
    assert back.status_code == 422
    page = back.text
    assert re.search(r'id="e-create-name">Use 1-80 characters', page)
    assert re.search(r'id="e-create-tm-limit">Choose a whole number of GiB from 1 to 1048576', page)
    created = part_of(page, "create-share-form")
    assert 'value="Bad/Name!"' in created and 'value="Pictures of us"' in created and 'value="lots"' in created
    assert re.search(r'name="hidden" value="1" checked', created)
    assert selected(created, "user:bob") == "rw" and selected(created, "group:family") == "none"
    assert selected(created, "user:carol") == ""
    attach = part_of(page, "attach-share-form")  # the other form on the page keeps nothing of it
    assert "Pictures of us" not in attach and "field-error" not in attach
    assert services.shares.list() == []


def test_a_new_folder_that_exists_already_points_to_attach(owner: TestClient, volume: Path) -> None:
    (volume / "Music").mkdir()
    back = shown(owner, create(owner, name="Music"))
    assert back.status_code == 409
    assert "attach it as an existing folder instead" in html.unescape(back.text)
    assert 'id="e-create-name">This folder already exists.<' in back.text


def test_attach_an_existing_folder_then_choose_who_may_use_it(owner: TestClient, volume: Path) -> None:
    for folder in ("Music", "Films"):
        (volume / folder).mkdir()
    (volume / "Music" / "song.flac").write_bytes(b"la")
    create(owner, name="Photos")
    page = owner.get("/shares").text
    attach = part_of(page, "attach-share-form")
    assert '<option value="volume1/Music"' in attach and "volume1/Photos" not in attach  # shared already
    assert "@homeport" not in attach
    form = {"csrf_token": form_token(page), "part": "attach", "existing": "volume1/Music", "name": ""}
    answer = owner.post("/shares/-/attach", data=form)
    assert answer.status_code == 303 and answer.headers["location"] == "/shares/Music?done=share-attached"
    share_page = owner.get(answer.headers["location"]).text
    assert "nobody may until you do" in share_page
    assert 'data-testid="effective-bob"' in share_page and "no access" in part_of(share_page, "effective-access")
    assert (volume / "Music" / "song.flac").read_bytes() == b"la"
    missing = owner.post("/shares/-/attach", data={**form, "existing": "volume1/Nothing", "name": "Nothing"})
    back = shown(owner, missing)
    assert back.status_code == 422 and 'id="e-attach-existing">There is no folder' in html.unescape(back.text)
    assert 'value="Nothing"' in part_of(back.text, "attach-share-form")


def test_edit_rename_and_refusals_keep_the_other_fields(owner: TestClient, services: Services) -> None:
    create(owner, name="Photos", description="Holidays")
    page = owner.get("/shares/photos").text  # a name in any case finds the share
    form = {"csrf_token": form_token(page), "part": "details", "name": "Bad Name!", "description": "Summer",
            "recycle_bin": "1", "time_machine_limit_gb": ""}  # fmt: skip
    back = shown(owner, owner.post("/shares/Photos", data=form))
    assert back.status_code == 422 and re.search(r'id="e-name">Use 1-80 characters', back.text)
    details = part_of(back.text, "share-form")
    assert 'value="Bad Name!"' in details and 'value="Summer"' in details
    assert re.search(r'name="recycle_bin" value="1" checked', details)
    assert not re.search(r'name="hidden" value="1" checked', details)
    assert services.shares.get("Photos").share.description == "Holidays"
    renamed = owner.post("/shares/Photos", data={**form, "name": "Pictures", "hidden": "1"})
    assert renamed.status_code == 303 and renamed.headers["location"] == "/shares/Pictures?done=share-saved"
    share = services.shares.get("Pictures").share
    assert share.description == "Summer" and share.hidden and share.recycle_bin and share.folder == "Photos"
    assert owner.get("/shares/Photos").status_code == 404


def test_permissions_show_the_access_each_account_ends_up_with(owner: TestClient, services: Services) -> None:
    create(owner, name="Photos")
    page = owner.get("/shares/Photos").text
    form = {"csrf_token": form_token(page), "part": "permissions", "user:bob": "rw", "user:carol": "rw",
            "group:family": "none", "group:users": "ro"}  # fmt: skip
    answer = owner.post("/shares/Photos/permissions", data=form)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/shares/Photos?done=share-permissions")
    page = owner.get(answer.headers["location"]).text
    assert selected(page, "user:bob") == "rw" and selected(page, "group:family") == "none"
    effective = html.unescape(part_of(page, "effective-access"))
    rows = dict(re.findall(r'<tr data-testid="effective-(\w+)">.*?<td class="wide">([^<]*)<', effective, re.S))
    assert rows["carol"] == "no access from group family, which wins over their own entry and group users"
    assert rows["bob"] == "read-write from their own entry (the widest entry counts)"
    assert rows[ADMIN] == "read-only from group users"
    assert "no access" in effective and '"no access" from any entry wins' in html.unescape(page)
    wrong = owner.post("/shares/Photos/permissions", data={**form, "user:bob": "everything"})
    back = shown(owner, wrong)
    assert back.status_code == 422 and "choose rw (read-write)" in html.unescape(back.text)
    assert selected(back.text, "user:carol") == "rw"  # what was typed, not what is saved
    assert services.shares.get("Photos").share.users == {"bob": "rw", "carol": "rw"}


def test_remove_keeps_the_files_unless_the_name_is_typed_again(
    owner: TestClient, services: Services, volume: Path
) -> None:
    for name in ("Photos", "Music"):
        create(owner, name=name)
        (volume / name / "kept.txt").write_text("mine")
    page = owner.get("/shares/Photos").text
    assert 'data-testid="delete-files-warning"' in page and "cannot be undone" in page
    form = {"csrf_token": form_token(page), "part": "delete"}
    kept = owner.post("/shares/Photos/delete", data=form)
    assert kept.headers["location"] == "/shares?done=share-deleted"
    assert "its files are still on the volume" in owner.get(kept.headers["location"]).text
    assert (volume / "Photos" / "kept.txt").exists() and [s.share.name for s in services.shares.list()] == ["Music"]

    wrong = owner.post("/shares/Music/delete", data={**form, "delete_files": "1", "confirm": "music"})
    back = shown(owner, wrong)
    assert back.status_code == 422
    problem = r'id="e-delete-confirm">To delete the files too, type the shared folder&#39;s name \(Music\)'
    assert re.search(problem, back.text)
    delete_form = part_of(back.text, "delete-share-form")
    assert re.search(r'name="delete_files" value="1" checked', delete_form) and 'value="music"' in delete_form
    assert (volume / "Music" / "kept.txt").exists() and services.shares.get("Music")

    gone = owner.post("/shares/Music/delete", data={**form, "delete_files": "1", "confirm": "Music"})
    assert gone.headers["location"] == "/shares?done=share-deleted-files"
    assert not (volume / "Music").exists() and services.shares.list() == []


def test_a_share_whose_volume_went_missing_says_why(owner: TestClient, services: Services, volume: Path) -> None:
    create(owner, name="Photos")
    (volume / "Photos").rmdir()
    row = part_of(owner.get("/shares").text, "share-Photos")
    assert "unavailable" in row and "no longer on volume1" in row
    volume.rmdir()
    row = part_of(owner.get("/shares").text, "share-Photos")
    assert "its volume &#39;volume1&#39; is missing: check the disk" in row
    overview = owner.get("/").text
    assert 'data-testid="volume-volume1"' in overview and '<span class="tag bad">missing</span>' in overview
    assert "(1 unavailable)" in overview


@pytest.fixture
def member(owner: TestClient) -> Iterator[TestClient]:
    with TestClient(owner.app, base_url="https://testserver", follow_redirects=False) as other:
        sign_in(other, "bob", "a long enough password")
        yield other


def test_only_administrators_see_or_change_shares(owner: TestClient, member: TestClient, services: Services) -> None:
    create(owner, name="Photos")
    token = form_token(member.get("/").text)
    for path in ("/shares", "/shares/Photos", "/file-services"):
        answer = member.get(path)
        assert answer.status_code == 403 and "Only administrators may open this page." in answer.text
    for path, form in (
        ("/shares", {"part": "create", "name": "Mine", "volume": "volume1"}),
        ("/shares/Photos", {"part": "details", "name": "Mine"}),
        ("/shares/Photos/permissions", {"user:bob": "rw"}),
        ("/shares/Photos/delete", {"delete_files": "1", "confirm": "Photos"}),
        ("/file-services", {"workgroup": "MINE"}),
        ("/file-services/check", {}),
    ):
        assert member.post(path, data={"csrf_token": token, **form}).status_code == 403, path
    assert [s.share.name for s in services.shares.list()] == ["Photos"]
    assert services.shares.get("Photos").share.users == {}
    assert 'data-testid="volumes"' not in member.get("/").text  # volumes are for administrators
    assert services.files.settings().workgroup == "WORKGROUP"


def test_a_form_without_its_token_changes_nothing(owner: TestClient, services: Services) -> None:
    back = shown(owner, owner.post("/shares", data={"part": "create", "name": "Photos", "volume": "volume1"}))
    assert back.status_code == 403 and "This form had expired" in back.text and 'value="Photos"' in back.text
    assert services.shares.list() == []


def test_the_file_services_page_with_smb_off(owner: TestClient, services: Services) -> None:
    page = owner.get("/file-services").text
    assert 'data-testid="smb-off"' in page and "homeport serve --smb embedded" in page
    assert 'data-testid="smb-check-form"' not in page and "Nobody is connected" not in page
    assert re.search(r'id="f-workgroup"[^>]*maxlength="15"', page)
    for line in ("Every system of the last fifteen years connects", "Only encrypted connections"):
        assert line in page
    form = {"csrf_token": form_token(page), "min_protocol": "SMB3", "signing": "required", "encryption": "required",
            "workgroup": "Not a workgroup!"}  # fmt: skip
    back = shown(owner, owner.post("/file-services", data=form))
    assert back.status_code == 422 and 'id="e-workgroup">Use 1-15 letters' in back.text
    assert 'value="Not a workgroup!"' in back.text and re.search(r'value="SMB3" checked', back.text)
    saved = owner.post("/file-services", data={**form, "workgroup": "home"})
    assert saved.headers["location"] == "/file-services?done=smb-settings-saved"
    settings = services.files.settings()
    chosen = (settings.min_protocol, settings.signing, settings.encryption, settings.workgroup)
    assert chosen == ("SMB3", "required", "required", "HOME")
    assert "file service (SMB) settings" in owner.get("/log").text
    checked = shown(owner, owner.post("/file-services/check", data={"csrf_token": form_token(page)}))
    assert checked.status_code == 409 and "The SMB service is off" in checked.text
    overview = owner.get("/").text
    assert re.search(r'data-testid="smb-line">SMB is off', overview) and 'href="/file-services"' in overview


def test_accounts_whose_password_smb_lacks_are_named(owner: TestClient, services: Services) -> None:
    with services.db.write() as conn:
        conn.execute("DELETE FROM smb_passwords WHERE user_id = (SELECT id FROM users WHERE name = 'bob')")
    users = owner.get("/users").text
    assert users.count('data-testid="smb-needs-password"') == 1 and "SMB needs a new password" in users
    assert "SMB needs a new password" in owner.get("/users/bob").text
    assert "SMB needs a new password" not in owner.get("/users/carol").text
    page = owner.get("/file-services").text
    assert re.search(r'data-testid="smb-needs-password">SMB needs a new password for\s*<a href="/users/bob">', page)
    assert "Signing in to the console once fixes it" in page
    with TestClient(owner.app, base_url="https://testserver") as bob:
        sign_in(bob, "bob", "a long enough password")
        # The console says so, once.
        assert 'data-testid="smb-password-made"' in bob.get("/").text
        assert 'data-testid="smb-password-made"' not in bob.get("/").text
    assert "SMB needs a new password" not in owner.get("/users").text


def test_a_page_asks_only_about_its_own_accounts(owner: TestClient, services: Services) -> None:
    with services.db.write() as conn:
        conn.execute("DELETE FROM smb_passwords WHERE user_id IN (SELECT id FROM users WHERE name IN ('bob', 'carol'))")
    files = services.files
    assert {"bob", "carol"} <= set(files.accounts_needing_password())
    assert files.accounts_needing_password(among=["carol", "owner", "nobody"]) == ["carol"]
    assert files.accounts_needing_password(among=[]) == []


def test_the_share_service_sees_what_the_pages_made(owner: TestClient, services: Services) -> None:
    """A share made elsewhere (the API, the CLI) shows on the pages the same way."""
    services.shares.create(Actor("root@local"), ShareDraft("Backups", "volume1", "Backups", time_machine=True))
    page = owner.get("/shares").text
    assert "Time Machine" in part_of(page, "share-Backups") and "nobody yet" in part_of(page, "share-Backups")


def test_a_share_made_for_nobody_opens_its_permissions_and_says_how_to_reach_it(
    owner: TestClient, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = create(owner, name="Empty")
    assert made.headers["location"] == "/shares/Empty?done=share-created-nobody#permissions"
    page = owner.get("/shares/Empty?done=share-created-nobody").text
    assert "nobody may use it yet (administrators neither)" in page
    # SMB is off here: no address to give. With it on, the page says how each system opens the share.
    assert 'data-testid="share-address"' not in page
    monkeypatch.setattr(services.files, "mode", "embedded")  # only the address is asked of it here
    page = owner.get("/shares/Empty").text
    assert '<code data-testid="share-address">\\\\nas.local\\Empty</code>' in page
    assert '<code data-testid="share-address">smb://nas.local/Empty</code>' in page


def test_file_services_says_what_the_last_repair_set_back(owner: TestClient, services: Services) -> None:
    services.files.health.last_drift = {"at": services.clock.now(), "wrong_hash": ["bob"], "unexpected": ["eve"]}
    page = owner.get("/file-services").text
    assert "bob: with another password in Samba" in page and "eve: in Samba but not in Homeport" in page
