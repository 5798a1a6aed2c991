"""Homeport's smb.conf, compared with golden files (set UPDATE_GOLDEN=1 to rewrite them after a review)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from homeport.smb.config import ServerSection, ShareSection, modules_needed, netbios_name, render
from homeport.smb.layout import SambaLayout
from homeport.smb.settings import SmbSettings

GOLDEN = Path(__file__).parent / "golden"
LAYOUT = SambaLayout(Path("/var/lib/homeport/smb"), Path("/run/homeport/smb-0123456789abcdef"))
SERVER = ServerSection(
    netbios_name=netbios_name("nas"), server_string="Homeport nas", port=445, binds=("192.168.1.20",),
    denied=("198.51.100.0/24", "203.0.113.9"),
)  # fmt: skip


def share(name: str, **changes: object) -> ShareSection:
    fields: dict[str, object] = {
        "name": name, "path": f"/srv/volume1/{name}", "comment": "", "browseable": True, "readers": ("alice", "bob"),
        "writers": ("alice",), "recycle_bin": False, "time_machine": False, "time_machine_limit_gb": None,
        "available": True,
    }  # fmt: skip
    return ShareSection(**{**fields, **changes})  # type: ignore[arg-type]


SHARES = [
    share("Photos", comment="Family photos", recycle_bin=True),
    share("Backups", readers=("alice",), writers=("alice",), time_machine=True, time_machine_limit_gb=500),
    share("hidden files", browseable=False, readers=("bob",), writers=()),
    share("Archive", available=False),  # its volume is missing
    share("Nobody", readers=(), writers=()),  # everyone has "no access"
]
STRICT = SmbSettings(min_protocol="SMB3", signing="required", encryption="required", workgroup="HOME")


@pytest.mark.parametrize(
    ("golden", "settings", "server", "shares"),
    [
        ("smb.conf", SmbSettings(), SERVER, SHARES),
        ("strict.conf", STRICT, ServerSection("NAS", "Homeport nas", 4455, ()), []),
    ],
)
def test_rendered_configuration_matches_the_golden_one(
    golden: str, settings: SmbSettings, server: ServerSection, shares: list[ShareSection]
) -> None:
    text = render(LAYOUT, settings, server, shares)
    path = GOLDEN / golden
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(text)
    assert text == path.read_text()


def test_the_same_inputs_give_the_same_file_in_any_order() -> None:
    assert render(LAYOUT, SmbSettings(), SERVER, SHARES) == render(LAYOUT, SmbSettings(), SERVER, SHARES[::-1])


def sections(text: str) -> dict[str, dict[str, str]]:
    found: dict[str, dict[str, str]] = {}
    current: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("["):
            current = found.setdefault(line.strip("[]"), {})
        elif "=" in line and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            current[key.strip()] = value.strip()
    return found


def test_a_share_nobody_may_use_or_whose_folder_is_missing_is_off_never_open() -> None:
    parsed = sections(render(LAYOUT, SmbSettings(), SERVER, SHARES))
    for name in ("Archive", "Nobody"):
        assert parsed[name]["available"] == "no"
        assert "valid users" not in parsed[name]
    for name in ("Photos", "Backups", "hidden files"):
        assert parsed[name]["read only"] == "yes" and parsed[name]["guest ok"] == "no"
        assert parsed[name]["valid users"]
    assert parsed["hidden files"]["write list"] == ""  # read-only for everyone: an empty write list


def test_the_secure_settings_are_explicit_whatever_samba_defaults_to() -> None:
    glob = sections(render(LAYOUT, SmbSettings(), SERVER, []))["global"]
    assert glob["server min protocol"] == "SMB2_02"
    assert glob["ntlm auth"] == "ntlmv2-only"
    assert glob["map to guest"] == "Never" and glob["restrict anonymous"] == "2" and glob["guest ok"] == "no"
    assert glob["enable core files"] == "no"
    assert glob["usershare max shares"] == "0" and glob["registry shares"] == "no" and glob["wide links"] == "no"
    assert glob["lock directory"] == "/run/homeport/smb-0123456789abcdef/lock"
    assert glob["private dir"] == "/var/lib/homeport/smb/private"
    assert glob["hosts deny"] == "198.51.100.0/24 203.0.113.9"
    strict = sections(render(LAYOUT, STRICT, SERVER, []))["global"]
    assert (strict["server min protocol"], strict["server signing"], strict["server smb encrypt"]) == (
        "SMB3_00", "mandatory", "required",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("device", "expected"),
    [("nas", "NAS"), ("living-room-nas-2024", "LIVING-ROOM-NAS"), ("çafé.local", "AFLOCAL"), ("", "HOMEPORT")],
)
def test_netbios_names(device: str, expected: str) -> None:
    assert netbios_name(device) == expected


def test_the_modules_the_shares_load() -> None:
    assert modules_needed(SHARES) == {"catia", "fruit", "streams_xattr", "recycle"}
    assert modules_needed([share("Plain")]) == set()


@pytest.mark.skipif(shutil.which("testparm", path="/usr/bin:/usr/sbin") is None, reason="Samba is not installed")
def test_samba_takes_the_file_without_a_warning_about_deprecated_or_unknown_parameters(tmp_path: Path) -> None:
    layout = SambaLayout(tmp_path / "smb", tmp_path / "run")
    layout.prepare()
    conf = tmp_path / "smb.conf"
    conf.write_text(render(layout, STRICT, SERVER, SHARES))
    done = subprocess.run(
        ["testparm", "--suppress-prompt", "-s", str(conf)], capture_output=True, text=True, timeout=30, check=False
    )
    assert done.returncode == 0, done.stderr
    lowered = done.stderr.lower()
    assert "deprecated" not in lowered and "unknown parameter" not in lowered, done.stderr
