"""The one path a new smb.conf takes: testparm, share folders and VFS modules checked, atomic swap, reload.
A failed check keeps the old file and says why."""

from __future__ import annotations

from pathlib import Path

import pytest

from homeport.smb.apply import Applied, ConfigRefused, apply_config, check_shares
from homeport.smb.config import ShareSection
from homeport.smb.layout import SambaLayout
from homeport.smb.tools import SambaTools, SambaUnavailable

OLD = "# the configuration in use\n[global]\n"


class FakeTools(SambaTools):
    """Samba's tools as apply_config uses them, with a modules folder of the test's making."""

    def __init__(self, layout: SambaLayout, modules: Path, refusal: str | None = None) -> None:
        super().__init__(layout, wrapped_accounts=False)
        self.modules = modules
        self.refusal = refusal
        self.checked: list[str] = []
        self.reloads = 0

    def testparm(self, conf: Path) -> str | None:
        self.checked.append(conf.read_text())
        return self.refusal

    def modules_folder(self) -> Path:
        return self.modules

    def reload(self) -> bool:
        self.reloads += 1
        return True


@pytest.fixture
def layout(tmp_path: Path) -> SambaLayout:
    made = SambaLayout(tmp_path / "smb", tmp_path / "run")
    made.prepare()
    made.conf.write_text(OLD)
    return made


@pytest.fixture
def modules(tmp_path: Path) -> Path:
    folder = tmp_path / "modules"
    (folder / "vfs").mkdir(parents=True)
    for name in ("catia", "fruit", "streams_xattr", "recycle"):
        (folder / "vfs" / f"{name}.so").write_bytes(b"")
    return folder


def section(path: Path, **changes: object) -> ShareSection:
    fields: dict[str, object] = {
        "name": "Photos", "path": str(path), "comment": "", "browseable": True, "readers": ("alice",),
        "writers": ("alice",), "recycle_bin": False, "time_machine": False, "time_machine_limit_gb": None,
        "available": True,
    }  # fmt: skip
    return ShareSection(**{**fields, **changes})  # type: ignore[arg-type]


def leftovers(layout: SambaLayout) -> list[str]:
    return sorted(p.name for p in layout.root.iterdir() if p.name.startswith(".smb.conf"))


def test_a_good_configuration_replaces_the_old_one_and_smbd_reloads(
    layout: SambaLayout, modules: Path, tmp_path: Path
) -> None:
    tools = FakeTools(layout, modules)
    shares = [section(tmp_path, time_machine=True, recycle_bin=True)]
    assert apply_config(tools, "# new\n", shares, running=True) == Applied(changed=True, reloaded=True)
    assert layout.conf.read_text() == "# new\n" and tools.checked == ["# new\n"]
    assert layout.conf.stat().st_mode & 0o777 == 0o644
    assert apply_config(tools, "# new\n", shares, running=True) == Applied(changed=False, reloaded=False)
    assert tools.reloads == 1 and leftovers(layout) == []


def test_no_reload_when_smbd_does_not_run(layout: SambaLayout, modules: Path) -> None:
    tools = FakeTools(layout, modules)
    assert apply_config(tools, "# new\n", [], running=False) == Applied(changed=True, reloaded=False)
    assert tools.reloads == 0


@pytest.mark.parametrize(("flag", "missing"), [("recycle_bin", "recycle"), ("time_machine", "fruit")])
def test_a_missing_vfs_module_refuses_the_file_and_keeps_the_old_one(
    layout: SambaLayout, modules: Path, tmp_path: Path, flag: str, missing: str
) -> None:
    (modules / "vfs" / f"{missing}.so").unlink()
    tools = FakeTools(layout, modules)
    with pytest.raises(ConfigRefused) as refused:
        apply_config(tools, "# new\n", [section(tmp_path, **{flag: True})], running=True)
    message = str(refused.value)
    assert f"VFS module(s) {missing} are not installed" in message and "samba-vfs-modules" in message
    assert layout.conf.read_text() == OLD and tools.reloads == 0 and leftovers(layout) == []


def test_a_missing_share_folder_refuses_the_file_and_keeps_the_old_one(
    layout: SambaLayout, modules: Path, tmp_path: Path
) -> None:
    tools = FakeTools(layout, modules)
    gone = tmp_path / "volume1" / "Photos"
    with pytest.raises(ConfigRefused, match=r"the folder of 'Photos' \(.*/volume1/Photos\) does not exist"):
        apply_config(tools, "# new\n", [section(gone)], running=True)
    assert layout.conf.read_text() == OLD and leftovers(layout) == []


def test_a_share_switched_off_may_miss_its_folder(layout: SambaLayout, modules: Path, tmp_path: Path) -> None:
    assert check_shares([section(tmp_path / "gone", available=False)], modules) == []


def test_what_testparm_objects_to_is_said_and_the_old_file_kept(layout: SambaLayout, modules: Path) -> None:
    tools = FakeTools(layout, modules, refusal='Unknown parameter encountered: "bogus"')
    with pytest.raises(ConfigRefused, match="Samba refused the new configuration: Unknown parameter"):
        apply_config(tools, "# new\n[global]\nbogus = 1\n", [], running=True)
    assert layout.conf.read_text() == OLD and leftovers(layout) == []


def test_every_problem_is_listed_at_once(modules: Path, tmp_path: Path) -> None:
    (modules / "vfs" / "recycle.so").unlink()
    problems = check_shares(
        [section(tmp_path / "a", name="A", recycle_bin=True), section(tmp_path / "b", name="B")], modules
    )
    assert len(problems) == 3 and "'A'" in problems[0] and "'B'" in problems[1] and "recycle" in problems[2]


def test_no_samba_tool_runs_before_homeports_smb_conf_exists(tmp_path: Path) -> None:
    """Without -s's file Samba's tools use the host's defaults (its /var/lib/samba passdb): never run them so."""
    layout = SambaLayout(tmp_path / "smb", tmp_path / "run")
    tools = SambaTools(layout, wrapped_accounts=False, binaries={"pdbedit": "/bin/true"})
    with pytest.raises(SambaUnavailable, match=r"smb\.conf has not been written yet"):
        tools.run("pdbedit", "-L")


def test_a_missing_smbd_binary_is_samba_unavailable(tmp_path: Path) -> None:
    tools = SambaTools(SambaLayout(tmp_path), wrapped_accounts=False, binaries={"smbd": str(tmp_path / "no-smbd")})
    with pytest.raises(SambaUnavailable, match="smbd could not run"):
        tools.version()
    with pytest.raises(SambaUnavailable, match="smbd could not run"):
        tools.modules_folder()
