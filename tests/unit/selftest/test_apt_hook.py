"""The apt snippet: valid for apt itself, never failing dpkg, written atomically, removed only if it is Homeport's."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from homeport.selftest import apt_hook
from homeport.selftest.apt_hook import MARKER, AptHookRefused, apply_choice, install, remove, snippet


def post_invoke(conf: Path, key: str = "DPkg::Post-Invoke") -> list[str]:
    """Homeport's commands as apt itself reads them from the file (`apt-config dump -c FILE`; the host's own
    snippets may add other commands)."""
    done = subprocess.run(
        ["apt-config", "dump", "-c", str(conf), key], capture_output=True, text=True, check=False, timeout=30
    )
    assert done.returncode == 0, done.stderr
    assert "E:" not in done.stderr and "W:" not in done.stderr, done.stderr
    found = re.findall(rf'^{key}:: "(.*)";$', done.stdout, re.MULTILINE)
    return [command for command in found if " --home " in command and "homeport" in command]


def test_apt_reads_the_snippet_and_its_command_never_fails_dpkg(tmp_path: Path) -> None:
    stand_in = tmp_path / "homeport"  # the CLI failing as it does when the daemon is down (exit 3)
    stand_in.write_text('#!/bin/sh\necho "$@" > ' + str(tmp_path / "args") + "\nexit 3\n")
    stand_in.chmod(0o755)
    conf = tmp_path / "80homeport"
    assert install(conf, snippet([str(stand_in)], tmp_path / "home"))
    (command,) = post_invoke(conf)
    assert command.startswith("if [ -x ")
    done = subprocess.run(["sh", "-c", command], capture_output=True, timeout=30, check=False)
    assert done.returncode == 0
    assert (tmp_path / "args").read_text().split() == [
        "selftest", "--after-package-change", "--home", str(tmp_path / "home"),
    ]  # fmt: skip
    stand_in.unlink()  # Homeport uninstalled without removing the snippet: dpkg still runs
    assert subprocess.run(["sh", "-c", command], timeout=30, check=False).returncode == 0


def test_the_command_is_bounded_in_time(tmp_path: Path) -> None:
    stuck = tmp_path / "homeport"
    stuck.write_text("#!/bin/sh\nsleep 30\n")
    stuck.chmod(0o755)
    conf = tmp_path / "80homeport"
    install(conf, snippet([str(stuck)], tmp_path, timeout=1))
    (command,) = post_invoke(conf)
    done = subprocess.run(["sh", "-c", command], timeout=20, check=False)
    assert done.returncode == 0


@pytest.mark.parametrize("home", ['/var/lib/home"port', "/var/lib/home port", "/var/lib/homeport\\x", "relative"])
def test_a_path_apt_cannot_quote_is_refused(home: str) -> None:
    with pytest.raises(AptHookRefused):
        snippet(["/usr/bin/homeport"], Path(home))


def test_a_file_that_is_not_homeports_is_neither_replaced_nor_removed(tmp_path: Path) -> None:
    theirs = tmp_path / "80homeport"
    theirs.write_text('APT::Get::Assume-Yes "true";\n')
    with pytest.raises(AptHookRefused, match="not written by Homeport"):
        install(theirs, snippet(["/usr/bin/homeport"], tmp_path))
    assert not remove(theirs) and theirs.exists()
    ours = tmp_path / "81homeport"
    text = snippet(["/usr/bin/homeport"], tmp_path)
    assert install(ours, text) and not install(ours, text)  # unchanged: not written again
    assert ours.read_text().startswith(MARKER) and ours.stat().st_mode & 0o777 == 0o644
    assert remove(ours) and not ours.exists()


def test_the_serve_choices(tmp_path: Path) -> None:
    default = tmp_path / "apt.conf.d" / "80homeport"
    default.parent.mkdir()
    assert apply_choice("auto", tmp_path, as_service=False, default=default) == (None, "")
    assert not default.exists()  # `make run`: nothing is written
    assert apply_choice("auto", tmp_path, as_service=True, default=default) == (default, "")
    assert post_invoke(default)
    assert apply_choice("none", tmp_path, as_service=True, default=default) == (None, "")
    assert not default.exists()  # opt-out removes it
    elsewhere = tmp_path / "hook"
    assert apply_choice(str(elsewhere), tmp_path, as_service=False) == (elsewhere, "")
    missing = tmp_path / "no-such-folder" / "hook"
    path, problem = apply_choice(str(missing), tmp_path, as_service=False)
    assert path is None and "does not exist" in problem
    assert apply_choice("relative/hook", tmp_path, as_service=False, default=default)[1].startswith(
        "--apt-hook needs an absolute"
    )


def test_the_packages_being_installed_are_kept_by_the_real_command(tmp_path: Path) -> None:
    """apt's Pre-Install-Pkgs hook: the package files on standard input; Homeport's own CLI copies Samba's."""
    cache, home = tmp_path / "archives", tmp_path / "home"
    cache.mkdir()
    home.mkdir()
    (cache / "samba_2%3a4.17.13-1_amd64.deb").write_bytes(b"new samba")
    (cache / "tree_2.1.0-2_amd64.deb").write_bytes(b"tree")
    conf = tmp_path / "80homeport"
    install(conf, snippet([sys.executable, "-m", "homeport"], home))
    (command,) = post_invoke(conf, "DPkg::Pre-Install-Pkgs")
    listing = "".join(f"{p}\n" for p in sorted(cache.iterdir()))
    done = subprocess.run(["sh", "-c", command], input=listing, capture_output=True, text=True, timeout=60,
                          check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert [p.name for p in (home / "packages").iterdir()] == ["samba_2%3a4.17.13-1_amd64.deb"]
    assert "kept a copy of samba_2%3a4.17.13-1_amd64.deb" in done.stdout
    shutil.rmtree(home / "packages")
    (home / "packages").write_text("not a folder")  # cannot keep anything: apt still goes on
    failing = subprocess.run(["sh", "-c", command], input=listing, capture_output=True, text=True, timeout=60,
                             check=False)  # fmt: skip
    assert failing.returncode == 0
    assert "Could not keep the package files" in failing.stderr and "Traceback" not in failing.stderr


def test_an_uninstall_removes_only_homeports_snippet(tmp_path: Path) -> None:
    ours, theirs = tmp_path / "80homeport", tmp_path / "81other"
    install(ours, snippet(["/usr/bin/homeport"], tmp_path))
    theirs.write_text('APT::Get::Assume-Yes "true";\n')

    def remove_hook(path: Path) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "homeport", "apt-hook", "remove", "--path", str(path)]
        return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)

    done = remove_hook(ours)
    assert done.returncode == 0 and "Removed Homeport's apt hook" in done.stdout and not ours.exists()
    assert remove_hook(ours).returncode == 0  # nothing left: nothing to do
    refused = remove_hook(theirs)
    assert refused.returncode == 5 and "not written by Homeport" in refused.stderr and theirs.exists()


def test_an_interpreter_launch_runs_isolated_from_the_working_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "argv", ["/nowhere/python-launched"])
    command = apt_hook.homeport_command()
    assert command[1:] == ["-I", "-m", "homeport"]
