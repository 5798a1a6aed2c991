"""Hiding Samba's password-change helper: the command, the check, and a real private mount namespace (root)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from homeport.smb import confine


def test_the_helper_is_hidden_only_where_samba_dcerpcd_lives(tmp_path: Path) -> None:
    empty, samba = tmp_path / "empty", tmp_path / "samba"
    empty.mkdir()
    samba.mkdir()
    for name in ("samba-dcerpcd", "rpcd_lsad", "rpcd_classic"):
        (samba / name).write_text("")
    assert confine.helpers_to_hide([str(empty), str(samba)]) == (samba / "rpcd_lsad",)
    assert confine.helpers_to_hide([str(empty)]) == ()


def test_the_command_runs_through_the_launcher_only_when_something_is_hidden() -> None:
    smbd = ["/usr/sbin/smbd", "--foreground", "-s", "/x/smb.conf"]
    assert confine.confined_command(smbd, ()) == smbd
    wrapped = confine.confined_command(smbd, (Path("/usr/libexec/samba/rpcd_lsad"),))
    assert wrapped == [sys.executable, "-m", "homeport.smb.confine", "--hide", "/usr/libexec/samba/rpcd_lsad", "--",
                       *smbd]  # fmt: skip


MALFORMED = [
    [],
    ["--hide", "/x"],
    ["--hide", "--", "/bin/true"],
    ["--other", "/x", "--", "/bin/true"],
    ["--hide", "/x", "--"],
]


@pytest.mark.parametrize("argv", MALFORMED)
def test_a_malformed_launch_is_a_usage_error(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert confine.main(argv) == 2
    assert "usage:" in capsys.readouterr().err


def test_a_process_outside_the_namespace_is_not_confined(tmp_path: Path) -> None:
    helper = tmp_path / "rpcd_lsad"
    helper.write_text("#!/bin/sh\n")
    assert not confine.is_confined(os.getpid(), (helper,))
    assert not confine.is_confined(os.getpid(), ())  # nothing to hide is never "confined"
    assert not confine.is_confined(2**22 + 7, (helper,))  # no such process


@pytest.mark.skipif(os.geteuid() != 0, reason="a mount namespace needs root (CI runs as root)")
def test_the_program_sees_the_blank_device_and_the_host_keeps_its_file(tmp_path: Path) -> None:
    helper = tmp_path / "rpcd_lsad"
    helper.write_text("the real helper\n")
    launched = subprocess.Popen(  # a fixed command: the launcher, then a program that reads the hidden path
        [*confine.confined_command(["/bin/sh", "-c", f"cat {helper}; echo read; sleep 5"], (helper,))],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    with launched:
        try:
            assert launched.stdout is not None
            assert launched.stdout.readline() == "read\n"  # /dev/null: nothing before the marker
            assert confine.is_confined(launched.pid, (helper,))
            assert helper.read_text() == "the real helper\n"
        finally:
            launched.kill()
    assert helper.read_text() == "the real helper\n"
