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
    hide = ["--hide", "/usr/libexec/samba/rpcd_lsad"]
    assert wrapped == [sys.executable, "-P", "-m", "homeport.smb.confine", *hide, "--", *smbd]


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


def test_a_process_that_can_run_the_helper_is_not_confined(tmp_path: Path) -> None:
    helper = tmp_path / "rpcd_lsad"
    helper.write_text("#!/bin/sh\n")
    helper.chmod(0o755)
    assert not confine.is_confined(os.getpid(), (helper,))
    assert not confine.is_confined(os.getpid(), ())  # nothing to hide is never "confined"
    assert not confine.is_confined(2**22 + 7, (helper,))  # no such process


def test_an_inaccessible_or_missing_helper_counts_as_hidden(tmp_path: Path) -> None:
    """systemd's InaccessiblePaths= leaves a mode-0000 file where the host's smbd looks (system mode)."""
    blocked = tmp_path / "rpcd_lsad"
    blocked.write_text("")
    blocked.chmod(0o000)
    assert confine.is_confined(os.getpid(), (blocked,))
    assert confine.is_confined(os.getpid(), (tmp_path / "gone",))


# Run in a mount namespace of the test's own whose mounts are shared, as systemd makes the host's (here they may
# not be): the launched program must see what is mounted there after it started, and send nothing back.
LATE_MOUNT = """
import subprocess, sys
from pathlib import Path
from homeport.smb import confine
helper, late = Path(sys.argv[1]), Path(sys.argv[2])
subprocess.run(["mount", "--make-rshared", "/"], check=True)
script = f"cat {helper}; echo read; read line; grep -c ' {late} ' /proc/self/mounts"
launched = subprocess.Popen(confine.confined_command(["/bin/sh", "-c", script], (helper,)),
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
first = launched.stdout.readline()
hidden = confine.is_confined(launched.pid, (helper,))
subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "hp-late", str(late)], check=True)
launched.stdin.write("go\\n")
launched.stdin.flush()
seen = launched.stdout.readline()
launched.wait(10)
print(repr(first), hidden, repr(seen), str(helper) in Path("/proc/self/mounts").read_text())
"""


@pytest.mark.skipif(os.geteuid() != 0, reason="a mount namespace needs root (CI runs as root)")
def test_the_program_sees_the_blank_device_and_the_hosts_later_mounts(tmp_path: Path) -> None:
    helper, late = tmp_path / "rpcd_lsad", tmp_path / "late-volume"
    helper.write_text("the real helper\n")
    helper.chmod(0o755)
    late.mkdir()
    done = subprocess.run(  # fixed tools; the namespace and its mounts go away with the process
        ["unshare", "--mount", "--propagation", "private", sys.executable, "-c", LATE_MOUNT, str(helper), str(late)],
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    # /dev/null before the marker; hidden; the later mount seen; the blank never in the outer namespace.
    assert done.stdout.split() == ["'read\\n'", "True", "'1\\n'", "False"], done.stdout
    assert helper.read_text() == "the real helper\n"
    assert str(late) not in Path("/proc/self/mounts").read_text()
