"""The CLI against a real daemon over its Unix socket: passwords from stdin, exit codes, JSON, root only."""

from __future__ import annotations

import json
import stat

import pytest

from tests.support.daemon import Daemon

ADMIN, PASSWORD = "alice", "correct horse battery staple"


@pytest.fixture
def ready(daemon: Daemon) -> Daemon:
    daemon.start()
    daemon.set_up(ADMIN, PASSWORD)
    return daemon


def test_the_socket_is_private(ready: Daemon) -> None:
    mode = (ready.home / "homeport.sock").stat().st_mode
    assert stat.S_ISSOCK(mode) and stat.S_IMODE(mode) == 0o600
    assert stat.S_IMODE(ready.home.stat().st_mode) == 0o700


def test_status(ready: Daemon) -> None:
    result = ready.cli("status")
    assert result.returncode == 0, result.stderr
    assert "State:          ready" in result.stdout
    assert f"https://127.0.0.1:{ready.https_port}/" in result.stdout
    data = json.loads(ready.cli("status", "--json").stdout)
    assert data["system"]["name"] == "nas" and data["volumes"][0]["available"] is True


def test_user_lifecycle_with_the_password_on_stdin(ready: Daemon) -> None:
    added = ready.cli(
        "user",
        "add",
        "bob",
        "--full-name",
        "Bob B",
        "--admin",
        "--no-must-change",
        stdin="bob's new passphrase... no\n",
    )
    assert added.returncode == 2  # contains the user name: refused with the reason
    assert "must not contain the user name" in added.stderr
    added = ready.cli(
        "user", "add", "bob", "--full-name", "Bob B", "--admin", "--no-must-change", stdin="a long enough password\n"
    )
    assert added.returncode == 0, added.stderr
    status, _, _ = ready.request(
        "POST", "/api/v1/auth/login", {"username": "bob", "password": "a long enough password"}
    )
    assert status == 200
    users = json.loads(ready.cli("user", "list", "--json").stdout)
    bob = next(u for u in users if u["name"] == "bob")
    assert bob["admin"] and bob["full_name"] == "Bob B"
    assert ready.cli("user", "passwd", "bob", stdin="another long password\n").returncode == 0
    status, _, _ = ready.request("POST", "/api/v1/auth/login", {"username": "bob", "password": "another long password"})
    assert status == 200
    assert ready.cli("user", "disable", "bob").returncode == 0
    assert ready.cli("user", "enable", "bob").returncode == 0
    assert ready.cli("user", "delete", "bob", "--yes").returncode == 0
    assert ready.cli("user", "delete", "bob", "--yes").returncode == 4


def test_guardrails_answer_with_exit_code_5(ready: Daemon) -> None:
    result = ready.cli("user", "disable", ADMIN)
    assert result.returncode == 5
    assert "last enabled administrator" in result.stderr


def test_passwords_are_never_taken_from_the_command_line(ready: Daemon) -> None:
    result = ready.cli("user", "add", "bob", "--password", "a long enough password")
    assert result.returncode == 2
    assert "No such option" in result.stderr


def test_the_log_shows_what_happened_and_follows(ready: Daemon) -> None:
    ready.cli("user", "add", "carol", stdin="a long enough password\n")
    result = ready.cli("log", "-n", "10")
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    # In words, newest first as in the console, the code kept.
    assert lines[0].endswith("(user.created)") and "root@local created the account carol" in lines[0]
    assert "system.setup" in result.stdout
    document = json.loads(ready.cli("log", "-n", "10", "--json").stdout)  # one JSON document
    assert document[0]["action"] == "user.created" and document[0]["sentence"]
    only = json.loads(ready.cli("log", "--kind", "system", "--json").stdout)
    assert {r["action"] for r in only} == {"system.setup"}
    assert ready.cli("log", "--follow", "--json").returncode == 2  # a stream is not one document: use --jsonl
    followed = ready.cli("log", "-n", "1", "--follow", "--max-seconds", "2.5", "--jsonl")
    assert followed.returncode == 0
    assert json.loads(followed.stdout.splitlines()[0])["action"] == "user.created"


def test_group_list(ready: Daemon) -> None:
    groups = {g["name"]: g for g in json.loads(ready.cli("group", "list", "--json").stdout)}
    assert groups["administrators"]["members"] == ["admin", ADMIN]


def test_other_users_cannot_use_the_socket(ready: Daemon) -> None:
    result = ready.cli("status", as_user=65534)
    assert result.returncode == 6
    assert "Not allowed" in result.stderr
    assert "Traceback" not in result.stderr


def test_without_a_daemon_the_cli_says_so(daemon: Daemon) -> None:
    daemon.home.mkdir(mode=0o700)
    result = daemon.cli("status")
    assert result.returncode == 3
    assert "not running" in result.stderr


def test_account_names_that_cannot_exist_are_usage_errors(ready: Daemon) -> None:
    for command in (["user", "unpause", ""], ["user", "enable", ""], ["user", "unpause", "bad/name"],
                    ["user", "delete", "", "--yes"]):  # fmt: skip
        result = ready.cli(*command)
        assert result.returncode == 2, (command, result.stdout, result.stderr)
        assert "Traceback" not in result.stderr and "not an account name" in result.stderr


def test_pauses_are_listed_and_lifted_by_root(ready: Daemon) -> None:
    assert ready.cli("user", "pauses").stdout.strip() == "No account is paused."
    assert json.loads(ready.cli("user", "pauses", "--json").stdout) == []
    missing = ready.cli("user", "unpause", ADMIN)
    assert missing.returncode == 4 and "not paused" in missing.stderr


def test_the_command_the_daemon_prints_works_as_printed(ready: Daemon) -> None:
    import shlex
    import subprocess

    [line] = [x for x in ready.log().splitlines() if x.startswith("Command line:")]
    command = shlex.split(line.removeprefix("Command line:").strip())
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert "State:          ready" in done.stdout


def test_passwords_come_as_exactly_one_line(ready: Daemon) -> None:
    two = ready.cli("user", "add", "carol", stdin="first long password\nsecond long password\n")
    assert two.returncode == 2 and "exactly one line" in two.stderr
    assert ready.cli("user", "list", "--json").stdout.count('"carol"') == 0


def test_deleting_an_unknown_account_says_so_before_asking(ready: Daemon) -> None:
    missing = ready.cli("user", "delete", "nobody")  # no --yes, no terminal: it must not get to the question
    assert missing.returncode == 4, missing.stderr
    assert "nobody" in missing.stderr and "Delete the account" not in missing.stdout + missing.stderr


def test_groups_are_made_and_removed_from_the_cli(ready: Daemon) -> None:
    added = ready.cli("group", "add", "family", "--description", "Us")
    assert added.returncode == 0, added.stderr
    assert "family" in {g["name"] for g in json.loads(ready.cli("group", "list", "--json").stdout)}
    assert ready.cli("group", "delete", "nosuch", "--yes").returncode == 4
    assert ready.cli("group", "delete", "family", "--yes").returncode == 0
    assert "family" not in {g["name"] for g in json.loads(ready.cli("group", "list", "--json").stdout)}


def test_passwd_asks_for_a_new_password_at_next_sign_in_like_the_console(ready: Daemon) -> None:
    assert ready.cli("user", "add", "dave", "--no-must-change", stdin="a long enough password\n").returncode == 0
    assert ready.cli("user", "passwd", "dave", stdin="another long password\n").returncode == 0
    [dave] = [u for u in json.loads(ready.cli("user", "list", "--json").stdout) if u["name"] == "dave"]
    assert dave["must_change_password"] is True


def test_problems_name_fields_as_a_person_would(ready: Daemon) -> None:
    bad = ready.cli("user", "add", "carol", "--email", "not an address", stdin="short\n")
    assert bad.returncode == 2
    assert "email:" in bad.stderr and "password:" in bad.stderr and "." not in bad.stderr.split(":")[0]
    assert "see the fields" not in bad.stderr and "see below" in bad.stderr  # a terminal has no form
    bogus = ready.cli("log", "--kind", "bogus")
    assert bogus.returncode == 2 and "Choose one of" in bogus.stderr and "Input should be" not in bogus.stderr


@pytest.mark.parametrize(
    "command", [(), ("serve",), ("user", "add"), ("find",), ("log",), ("group", "add"), ("advisor",)]
)
def test_help_shows_flags_as_flags_and_fits_80_columns(ready: Daemon, command: tuple[str, ...]) -> None:
    import os
    import subprocess
    import sys

    shown = subprocess.run(
        [sys.executable, "-m", "homeport", *command, "--help"], capture_output=True, text=True, timeout=60,
        env={**os.environ, "COLUMNS": "80"}, check=False,
    )  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    assert "<bool>" not in shown.stdout
    assert all(len(line) <= 80 for line in shown.stdout.splitlines()), shown.stdout


def test_the_advisor_shows_its_last_run_and_runs_again(ready: Daemon) -> None:
    shown = ready.cli("advisor")
    assert shown.returncode == 0, shown.stderr  # warnings alone (one administrator, no second factor) exit 0
    assert "after setup" in shown.stdout and "the first run kept" in shown.stdout
    assert "Verdict" in shown.stdout and "/users" in shown.stdout
    assert ready.cli("user", "enable", "admin").returncode == 0
    ran = ready.cli("advisor", "--run", "--json")
    assert ran.returncode == 8, ran.stderr  # a check fails: the built-in admin is enabled
    run = json.loads(ran.stdout)
    assert run["reason"] == "on demand" and run["actor"] == "root@local" and run["previous_run"] is not None
    [changed] = [f for f in run["findings"] if f["changed"]]
    assert changed["key"] == "builtin_admin_disabled" and changed["verdict"] == "fail"


def test_an_unknown_interface_is_not_found_and_said_in_json_with_json(ready: Daemon) -> None:
    """Not found is 4 everywhere (the README's table), and `--json` errors are a JSON document on stderr."""
    missing = ready.cli("network", "set", "-i", "nosuch", "--dhcp")
    assert missing.returncode == 4, missing.stderr
    assert "nosuch" in missing.stderr and "it manages: eth0" in missing.stderr
    as_json = ready.cli("network", "set", "-i", "nosuch", "--dhcp", "--json")
    assert as_json.returncode == 4 and json.loads(as_json.stderr)["error"]["exit_code"] == 4
    unnamed = ready.cli("network", "set", "--mtu", "1400", "--json")
    assert unnamed.returncode == 2 and "--interface" in json.loads(unnamed.stderr)["error"]["message"]
    two_lines = ready.cli("user", "passwd", ADMIN, "--json", stdin="first long password\nsecond long password\n")
    assert two_lines.returncode == 2 and "exactly one line" in json.loads(two_lines.stderr)["error"]["message"]
