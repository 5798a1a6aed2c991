"""`--json` promises a JSON document, errors included: each problem a command finds itself is printed as
`{"error": {...}}` on standard error, as the daemon's refusals are."""

from __future__ import annotations

import ast
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from homeport.cli import main, output, secrets
from homeport.cli.main import app

CLI = Path(output.__file__).resolve().parent


def json_error(stderr: str) -> dict[str, object]:
    document = json.loads(stderr)
    error: dict[str, object] = document["error"]
    return error


def test_every_fail_in_a_command_with_json_says_how_to_print() -> None:
    """A `fail()` inside a function that knows about `--json` (its `as_json`) must pass it on; a helper a
    command calls takes the flag too (read_new_password, network's _edit)."""
    forgotten = []
    for path in sorted(CLI.glob("*.py")):
        for function in ast.walk(ast.parse(path.read_text())):
            if not isinstance(function, ast.FunctionDef):
                continue
            if "as_json" not in [a.arg for a in function.args.args + function.args.kwonlyargs]:
                continue
            for call in ast.walk(function):
                if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == "fail"):
                    continue
                if "as_json" not in [keyword.arg for keyword in call.keywords]:
                    forgotten.append(f"{path.name}:{call.lineno} in {function.name}")
    assert not forgotten, forgotten


@pytest.mark.parametrize(
    ("stdin", "problem"),
    [("first long password\nsecond long password\n", "exactly one line"), ("", "on standard input")],
)
def test_a_password_problem_is_a_json_document_with_json(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], stdin: str, problem: str
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    with pytest.raises(output.CliExit) as exited:
        secrets.read_new_password(as_json=True)
    assert exited.value.code == output.INVALID
    error = json_error(capsys.readouterr().err)
    assert problem in str(error["message"]) and error["exit_code"] == output.INVALID


def test_user_add_with_json_reports_two_lines_as_json(tmp_path: Path) -> None:
    """Refused before the daemon is asked (there is none here): the same document a script parses."""
    answer = CliRunner().invoke(
        app, ["user", "add", "carol", "--home", str(tmp_path), "--json"], input="one password\nanother\n"
    )
    assert isinstance(answer.exception, output.CliExit) and answer.exception.code == output.INVALID
    assert "exactly one line" in str(json_error(answer.stderr)["message"])


def test_user_add_says_a_name_that_cannot_be_before_asking_for_a_password(tmp_path: Path) -> None:
    answer = CliRunner().invoke(app, ["user", "add", "BAD/Name", "--home", str(tmp_path), "--json"], input="")
    assert isinstance(answer.exception, output.CliExit) and answer.exception.code == output.INVALID
    said = json_error(answer.stderr)
    assert "Use 1-32 characters" in str(said["message"]) and "name" in said["fields"]  # type: ignore[operator]


@pytest.mark.parametrize(
    "args",
    [
        ["log", "--follow", "--json"],
        ["network", "set", "--dhcp", "--static", "192.168.1.20/24", "--json"],
    ],
)
def test_a_usage_problem_with_json_is_a_json_document(tmp_path: Path, args: list[str]) -> None:
    answer = CliRunner().invoke(app, [*args, "--home", str(tmp_path)])
    assert isinstance(answer.exception, output.CliExit) and answer.exception.code == output.INVALID
    assert json_error(answer.stderr)["exit_code"] == output.INVALID
    assert "Error:" not in answer.stderr


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (["log", "--limit", "0", "--json"], "--limit"),
        (["network", "set", "--mtu", "large", "--json"], "--mtu"),
        (["log", "--bogus", "--json"], "No such option: --bogus"),
    ],
)
def test_a_wrong_option_with_json_is_a_json_document(
    capsys: pytest.CaptureFixture[str], args: list[str], problem: str
) -> None:
    """Click's usage errors too: a script that asked for JSON never has to parse a usage text."""
    with pytest.raises(SystemExit) as exited:
        main.run(args)
    assert exited.value.code == output.INVALID
    error = json_error(capsys.readouterr().err)
    assert problem in str(error["message"]) and error["exit_code"] == output.INVALID


def test_without_json_a_wrong_option_shows_the_usage(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main.run(["log", "--limit", "0"])
    assert exited.value.code == output.INVALID
    shown = capsys.readouterr().err
    assert shown.startswith("Usage:") and "--limit" in shown
