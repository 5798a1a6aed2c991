"""Samba's tools as Homeport runs them."""

from __future__ import annotations

from pathlib import Path

from homeport.smb.layout import SambaLayout
from homeport.smb.tools import SambaTools


def fake_smbd(folder: Path, modules: str) -> tuple[Path, Path]:
    calls = folder / "calls"
    script = folder / "smbd"
    answer = f'echo "   MODULESDIR: {modules}"' if modules else "true"
    script.write_text(f'#!/bin/sh\necho run >> "{calls}"\n{answer}\n')
    script.chmod(0o755)
    return script, calls


def test_the_modules_folder_is_asked_once(tmp_path: Path) -> None:
    smbd, calls = fake_smbd(tmp_path, "/opt/samba/modules")
    tools = SambaTools(SambaLayout(tmp_path / "smb"), wrapped_accounts=False, binaries={"smbd": str(smbd)})
    assert tools.modules_folder() == Path("/opt/samba/modules")
    assert tools.modules_folder() == Path("/opt/samba/modules")  # every configuration applied asks
    assert calls.read_text().splitlines() == ["run"]


def test_no_answer_is_not_remembered(tmp_path: Path) -> None:
    smbd, calls = fake_smbd(tmp_path, "")
    tools = SambaTools(SambaLayout(tmp_path / "smb"), wrapped_accounts=False, binaries={"smbd": str(smbd)})
    assert tools.modules_folder() == Path("/usr/lib/x86_64-linux-gnu/samba")
    tools.modules_folder()
    assert calls.read_text().splitlines() == ["run", "run"]


def test_a_session_counts_as_signed_or_encrypted_only_with_a_cipher_on_every_packet() -> None:
    from homeport.smb.service import _in_use

    assert _in_use({"cipher": "AES-128-GCM", "degree": "full"})
    assert not _in_use({"cipher": "-", "degree": "none"})  # smbstatus's "none": no "-" cipher counts
    assert not _in_use({"cipher": "AES-128-GMAC", "degree": "partial"})
    assert not _in_use(None) and not _in_use({})
