"""`homeport share ...` and `homeport smb ...` against a real daemon over its Unix socket: exit codes, JSON, the
files left (or deleted) on the volume. Samba stays off (tests/support/daemon.py) except where the check needs it."""

from __future__ import annotations

import json
import subprocess

import pytest

from homeport.smb.layout import SambaLayout
from homeport.smb.tools import SambaTools
from tests.support.daemon import Daemon, free_port

ADMIN, PASSWORD = "alice", "correct horse battery staple"


def set_up(daemon: Daemon) -> Daemon:
    return daemon.set_up(ADMIN, PASSWORD)


@pytest.fixture
def ready(daemon: Daemon) -> Daemon:
    daemon.start()
    set_up(daemon)
    added = daemon.cli("user", "add", "bob", "--no-must-change", stdin="a long enough password\n")
    assert added.returncode == 0, added.stderr
    return daemon


def ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    return result


def refused(result: subprocess.CompletedProcess[str], code: int, words: str) -> None:
    assert result.returncode == code, (result.stdout, result.stderr)
    assert words in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def test_a_share_from_add_to_delete(ready: Daemon) -> None:
    assert "No shared folder yet" in ok(ready.cli("share", "list")).stdout
    assert json.loads(ok(ready.cli("share", "list", "--json")).stdout) == []
    added = ok(ready.cli(
        "share", "add", "Photos", "--volume", "volume1", "--description", "Family pictures", "--recycle-bin",
        "--user", "bob=rw", "--group", "users=ro",
    ))  # fmt: skip
    assert "Created the shared folder Photos." in added.stdout and "bob (rw)" in added.stdout
    assert (ready.volume / "Photos").is_dir()
    listed = ok(ready.cli("share", "list")).stdout
    assert "Photos" in listed and "volume1/Photos" in listed and "bob rw, @users ro" in listed
    [share] = json.loads(ok(ready.cli("share", "list", "--json")).stdout)
    assert share["effective"] == {"admin": "ro", ADMIN: "ro", "bob": "rw"} and share["recycle_bin"] is True

    edited = json.loads(ok(ready.cli(
        "share", "edit", "photos", "--rename", "Pictures", "--hidden", "--time-machine", "--time-machine-limit-gb",
        "100", "--user", f"{ADMIN}=rw", "--remove-group", "users", "--json",
    )).stdout)  # fmt: skip
    assert edited["name"] == "Pictures" and edited["folder"] == "Photos" and edited["hidden"] is True
    assert edited["time_machine_limit_gb"] == 100 and edited["description"] == "Family pictures"
    assert edited["permissions"] == {"users": {ADMIN: "rw", "bob": "rw"}, "groups": {}}
    again = json.loads(ok(ready.cli(
        "share", "edit", "Pictures", "--no-hidden", "--no-time-machine-limit", "--user", "bob=none",
        "--remove-user", ADMIN, "--json",
    )).stdout)  # fmt: skip
    assert again["hidden"] is False and again["time_machine_limit_gb"] is None and again["time_machine"] is True
    assert again["effective"] == {"admin": "none", ADMIN: "none", "bob": "none"}
    assert "Nobody may use it yet" in ok(ready.cli("share", "edit", "Pictures", "--description", "")).stdout

    (ready.volume / "Photos" / "cat.jpg").write_bytes(b"a cat")
    deleted = ok(ready.cli("share", "delete", "Pictures"))
    assert "its files stay" in deleted.stdout
    assert (ready.volume / "Photos" / "cat.jpg").read_bytes() == b"a cat"
    refused(ready.cli("share", "delete", "Pictures"), 4, "no shared folder named")
    log = ok(ready.cli("log", "-n", "5")).stdout
    assert "root@local removed the shared folder Pictures" in log and "(share.changed)" in log


def test_refusals_have_their_exit_codes_and_say_why(ready: Daemon) -> None:
    refused(ready.cli("share", "add", "Photos", "--volume", "volume1", "--folder", "../outside"), 2, "'..'")
    refused(ready.cli("share", "add", "Photos", "--volume", "volume1", "--folder", "/etc"), 2, "absolute")
    refused(ready.cli("share", "add", "Photos", "--volume", "volume9"), 2, "no volume named 'volume9'")
    refused(ready.cli("share", "add", "Photos", "--volume", "volume1", "--user", "nobody=rw"), 2, "'nobody'")
    refused(ready.cli("share", "add", "Photos", "--volume", "volume1", "--user", "bob=write"), 2, "rw (read-write)")
    refused(ready.cli("share", "add", "Photos", "--volume", "volume1", "--group", "users"), 2, "--group")
    refused(ready.cli("share", "add", "global", "--volume", "volume1"), 2, "meaning of its own")
    refused(ready.cli("share", "add", "Photos"), 2, "--volume")
    refused(ready.cli("share", "add", "Photos", "--volume", "volume1", "--time-machine-limit-gb", "5"), 2,
            "--time-machine")  # fmt: skip
    assert not any(ready.volume.iterdir())
    ok(ready.cli("share", "add", "Photos", "--volume", "volume1"))
    refused(ready.cli("share", "add", "PHOTOS", "--volume", "volume1", "--folder", "other"), 5, "already exists")
    refused(ready.cli("share", "edit", "Nothing", "--hidden"), 4, "no shared folder named 'Nothing'")
    refused(ready.cli("share", "edit", "Photos"), 2, "Nothing to change")
    refused(ready.cli("share", "edit", "Photos", "--rename", "a/b"), 2, "letters A-Z, digits")
    for command in (["share", "edit", "bad/name", "--hidden"], ["share", "delete", "../x"], ["share", "delete", ""]):
        refused(ready.cli(*command), 2, "is not a shared folder's name")
    failed = ready.cli("share", "add", "Photos", "--volume", "volume1", "--json")
    assert failed.returncode == 5 and json.loads(failed.stderr)["error"]["exit_code"] == 5


def test_an_existing_folder_is_attached_not_recreated(ready: Daemon) -> None:
    (ready.volume / "old stuff").mkdir()
    (ready.volume / "old stuff" / "letter.txt").write_text("dear owner\n")
    refused(ready.cli("share", "add", "Old", "--volume", "volume1", "--folder", "old stuff"), 5, "attach it")
    attached = ok(ready.cli("share", "add", "Old", "--volume", "volume1", "--folder", "old stuff", "--attach-existing"))
    assert "Shared the existing folder Old." in attached.stdout
    assert (ready.volume / "old stuff" / "letter.txt").read_text() == "dear owner\n"


def test_deleting_the_files_needs_the_name_typed_again(ready: Daemon) -> None:
    for name in ("Music", "Films"):
        ok(ready.cli("share", "add", name, "--volume", "volume1"))
        (ready.volume / name / "track").write_bytes(b"la")
    refused(ready.cli("share", "delete", "Music", "--delete-files"), 2, "Nothing was deleted")  # nothing typed
    refused(ready.cli("share", "delete", "Music", "--delete-files", stdin="music\n"), 2, "exactly")
    refused(ready.cli("share", "delete", "Music", "--delete-files", "--confirm", "Films"), 2, "(Music)")
    assert (ready.volume / "Music" / "track").exists()
    assert "deleted its files" in ok(ready.cli("share", "delete", "music", "--delete-files", stdin="Music\n")).stdout
    assert not (ready.volume / "Music").exists()
    done = json.loads(
        ok(ready.cli("share", "delete", "Films", "--delete-files", "--confirm", "Films", "--json")).stdout
    )
    assert done == {"name": "Films", "deleted": True, "files_deleted": True}
    assert not (ready.volume / "Films").exists()


def test_smb_status_and_check_while_the_service_is_off(ready: Daemon) -> None:
    status = ok(ready.cli("smb", "status")).stdout
    assert "SMB service:    off" in status and "workgroup WORKGROUP" in status
    assert json.loads(ok(ready.cli("smb", "status", "--json")).stdout)["mode"] == "off"
    refused(ready.cli("smb", "check"), 5, "The SMB service is off")
    refused(ready.cli("smb", "check", "--repair"), 5, "The SMB service is off")
    as_json = ready.cli("smb", "check", "--json")
    assert as_json.returncode == 5 and "off" in json.loads(as_json.stderr)["error"]["message"]


def test_smb_check_finds_drift_and_repairs_it(daemon: Daemon) -> None:
    """With the embedded smbd (on a port of its own): an account removed from passdb behind Homeport's back is found
    (exit code 8), set back with --repair, and then the check passes."""
    daemon.extra = ("--smb", "embedded", "--smb-port", str(free_port()))
    set_up(daemon.start())
    tools = SambaTools(SambaLayout.in_home(daemon.home), wrapped_accounts=True)
    status = json.loads(ok(daemon.cli("smb", "status", "--json")).stdout)
    assert status["mode"] == "embedded", status
    assert "Samba's accounts match Homeport's." in ok(daemon.cli("smb", "check")).stdout
    assert ADMIN in tools.run("pdbedit", "-L").out

    assert tools.run("pdbedit", "-x", ADMIN).code == 0  # behind Homeport's back
    found = daemon.cli("smb", "check")
    assert found.returncode == 8, (found.stdout, found.stderr)
    assert f"{ADMIN}: missing from Samba" in found.stdout and "homeport smb check --repair" in found.stdout
    assert json.loads(daemon.cli("smb", "check", "--json").stdout)["missing"] == [ADMIN]

    repaired = ok(daemon.cli("smb", "check", "--repair"))
    assert f"{ADMIN}: missing from Samba" in repaired.stdout and "set back" in repaired.stdout
    assert ADMIN in tools.run("pdbedit", "-L").out
    assert ok(daemon.cli("smb", "check")).returncode == 0
    assert "(smb.drift_repaired)" in ok(daemon.cli("log", "-n", "3")).stdout


def test_the_test_daemon_leaves_samba_off(daemon: Daemon) -> None:
    """Every other daemon the tests start runs without Samba (nothing on the host's port 445)."""
    assert daemon.command()[-2:] == ["--smb", "off"]
    set_up(daemon.start())
    assert not (daemon.home / "smb" / "smb.conf").exists()
