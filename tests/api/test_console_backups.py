"""The Backups page as an owner meets it, with plain form posts: schedule, passphrase (never shown back), create,
verify, download behind the password, restore with its preview and confirmation."""

from __future__ import annotations

import io
import tarfile

import pytest
from starlette.testclient import TestClient

from homeport.services import Services
from tests.support.api import ADMIN_PASSWORD, create_user, setup_device, sign_in
from tests.support.console import form_token, shown

PASSPHRASE = "lantern orchard velvet signal"


@pytest.fixture
def owner(client: TestClient) -> TestClient:
    setup_device(client)
    sign_in(client)
    create_user(client, "bob")
    client.follow_redirects = False
    return client


def post(owner: TestClient, path: str, page: str = "/backups", **fields: str) -> object:
    token = form_token(owner.get(page).text)
    return owner.post(path, data={"csrf_token": token, **fields})


def test_the_page_is_in_the_system_group_and_starts_empty(owner: TestClient) -> None:
    page = owner.get("/backups").text
    assert 'href="/backups"' in page and 'data-testid="no-backups"' in page
    assert 'data-testid="passphrase-not-set"' in page and 'value="03:00"' in page


def test_schedule_create_verify_from_the_page(owner: TestClient, services: Services) -> None:
    bad = shown(owner, post(owner, "/backups/settings", daily_at="3 am", keep_daily="7", keep_weekly="4",
                             keep_monthly="6", keep_events="10"))  # fmt: skip
    assert bad.status_code == 422 and "HH:MM" in bad.text and 'value="3 am"' in bad.text
    good = shown(owner, post(owner, "/backups/settings", daily_at="02:15", keep_daily="5", keep_weekly="4",
                              keep_monthly="6", keep_events="10"))  # fmt: skip
    assert "have been saved" in good.text and services.backups.settings().daily_at == "02:15"
    made = shown(owner, post(owner, "/backups/create"))
    assert "has been made" in made.text and made.text.count('data-testid="backup-row"') == 1
    [backup] = services.backups.backups()
    verified = shown(owner, post(owner, "/backups/verify", backup=backup.id))
    assert "passed every check" in verified.text and "passed</span>" in verified.text
    (backup.path / "audit.jsonl").write_text("changed\n")
    failed = shown(owner, post(owner, "/backups/verify", backup=backup.id))
    assert 'data-testid="backup-problem"' in failed.text and "checksums" in failed.text


def test_the_passphrase_is_set_with_the_password_and_never_shown(owner: TestClient, services: Services) -> None:
    differ = shown(owner, post(owner, "/backups/passphrase", passphrase=PASSPHRASE, passphrase_again="other",
                                passphrase_password=ADMIN_PASSWORD))  # fmt: skip
    assert "differ" in differ.text and PASSPHRASE not in differ.text
    wrong = shown(owner, post(owner, "/backups/passphrase", passphrase=PASSPHRASE, passphrase_again=PASSPHRASE,
                               passphrase_password="wrong one"))  # fmt: skip
    assert "not your current password" in wrong.text and PASSPHRASE not in wrong.text
    assert services.backups.passphrase_state() == "not_set"
    done = shown(owner, post(owner, "/backups/passphrase", passphrase=PASSPHRASE, passphrase_again=PASSPHRASE,
                              passphrase_password=ADMIN_PASSWORD))  # fmt: skip
    assert "passphrase is set" in done.text and "protected by a passphrase" in done.text
    assert PASSPHRASE not in done.text and services.backups.passphrase_state() == "set"


def test_download_needs_the_password(owner: TestClient, services: Services) -> None:
    [backup] = services.backups.create("manual")
    refused = shown(owner, post(owner, "/backups/download", backup=backup.id, download_password="nope"))
    assert "not your current password" in refused.text
    answer = post(owner, "/backups/download", backup=backup.id, download_password=ADMIN_PASSWORD)
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/x-tar"  # type: ignore[attr-defined]
    with tarfile.open(fileobj=io.BytesIO(answer.content)) as archive:  # type: ignore[attr-defined]
        assert f"{backup.path.name}/config.sqlite" in archive.getnames()


def test_restore_shows_the_preview_and_needs_confirmation(owner: TestClient, services: Services) -> None:
    [backup] = services.backups.create("manual")
    assert owner.delete("/api/v1/users/bob").status_code == 204
    page_path = f"/backups/restore?backup={backup.id}"
    preview = owner.get(page_path).text
    assert "back: bob" in preview and 'data-testid="restore-form"' in preview
    unticked = shown(owner, post(owner, page_path, page_path, backup=backup.id, password=ADMIN_PASSWORD))
    assert "Tick the box" in unticked.text and "bob" not in [u.name for u in services.accounts.list_users()]
    done = post(owner, page_path, page_path, backup=backup.id, password=ADMIN_PASSWORD, confirm="1")
    assert done.status_code == 303 and done.headers["location"] == "/login?done=backup-restored"  # type: ignore[attr-defined]
    assert "bob" in [u.name for u in services.accounts.list_users()]
    assert owner.get("/backups").status_code == 303  # signed out: every session ended
    assert owner.get("/backups/restore?backup=volume1/nothing").status_code in (303, 404)


def test_verify_on_the_page_can_check_the_keys_with_the_passphrase(owner: TestClient, services: Services) -> None:
    shown(owner, post(owner, "/backups/passphrase", passphrase=PASSPHRASE, passphrase_again=PASSPHRASE,
                      passphrase_password=ADMIN_PASSWORD))  # fmt: skip
    shown(owner, post(owner, "/backups/create"))
    [backup] = services.backups.backups()
    page = owner.get("/backups").text
    field = page[page.index('name="verify_passphrase"') - 200 : page.index('name="verify_passphrase"') + 200]
    assert 'type="password"' in field and 'autocomplete="off"' in field and 'maxlength="1024"' in field
    wrong = shown(owner, post(owner, "/backups/verify", backup=backup.id, verify_passphrase="not the passphrase"))
    assert wrong.status_code == 422 and "does not open" in wrong.text and "not the passphrase" not in wrong.text
    right = shown(owner, post(owner, "/backups/verify", backup=backup.id, verify_passphrase=PASSPHRASE))
    assert "passed every check" in right.text
