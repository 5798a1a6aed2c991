"""The canary SMB sign-in: a temporary account whose random password lives only in this process's memory is put in
Samba's passdb, signs in with smbclient to IPC$, and is removed. It proves what a person's sign-in needs: smbd
answers, reads passdb and the nss accounts, and accepts NTLMv2 with the hash Homeport wrote.

smbclient gets the password through a 0600 authentication file in a 0700 folder on a tmpfs (never a disk, never a
command line), removed before this returns.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from homeport.accounts.nt_hash import nt_hash
from homeport.smb import transient
from homeport.smb.passdb import TMPFS_CANDIDATES
from homeport.smb.service import FileService
from homeport.smb.tools import SambaUnavailable

CANARY_PREFIX = transient.PREFIX + "canary-"  # never an account's name (smb/transient.py)
CLIENT_TIMEOUT = 20.0


@dataclass(frozen=True)
class CanaryOutcome:
    ok: bool
    detail: str
    account: str


def canary_name() -> str:
    return CANARY_PREFIX + secrets.token_hex(4)


def sign_in_once(files: FileService) -> CanaryOutcome:
    """Blocking (a few tenths of a second; CLIENT_TIMEOUT at most): run it off the event loop."""
    password = secrets.token_urlsafe(24)
    return sign_in_with(files, canary_name(), nt_hash(password).hex().upper(), password)


def sign_in_with(files: FileService, name: str, hash_in_samba: str, password: str) -> CanaryOutcome:
    """The account `name` with `hash_in_samba` in passdb signs in with `password` (a test gives a wrong one)."""
    host = files.server.host if files.server is not None else "127.0.0.1"
    try:
        with files.transient_account(name, hash_in_samba):
            code, out = _smbclient(files, host, name, password)
    except (SambaUnavailable, OSError) as exc:
        return CanaryOutcome(False, f"The temporary SMB account could not be made or removed: {exc}", name)
    if code == 0 and "NT_STATUS_" not in out:
        return CanaryOutcome(True, f"A temporary account signed in over SMB (port {files.port}) and was removed.", name)
    status = next((word for word in out.split() if word.startswith("NT_STATUS_")), f"smbclient exited {code}")
    return CanaryOutcome(False, f"A temporary account could not sign in over SMB (port {files.port}): {status}.", name)


def _tmpfs() -> Path:
    for candidate in TMPFS_CANDIDATES:
        if candidate.is_dir() and os.access(candidate, os.W_OK):
            return candidate
    raise SambaUnavailable("No writable tmpfs (/dev/shm or /run) for smbclient's authentication file.")


def _smbclient(files: FileService, host: str, user: str, password: str) -> tuple[int, str]:
    folder = Path(tempfile.mkdtemp(prefix="homeport-canary-", dir=_tmpfs()))  # 0700
    try:
        auth = folder / "auth"
        fd = os.open(auth, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(f"username = {user}\npassword = {password}\n")
        conf = folder / "client.conf"  # empty: the host's /etc/samba/smb.conf must not change what the client does
        conf.write_text("[global]\n")
        command = [
            files.tools.binary("smbclient"), f"//{host}/IPC$", "-p", str(files.port), "-s", str(conf),
            "-A", str(auth), "-c", "exit",
        ]  # fmt: skip
        return _run(command)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _run(command: list[str]) -> tuple[int, str]:
    """In a session of its own, killed by PID if it outlives CLIENT_TIMEOUT."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NSS_WRAPPER", "LD_PRELOAD"))}
    env["LC_ALL"] = "C"
    process = subprocess.Popen(  # noqa: S603 - a fixed tool; the password is in a file, not here
        command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
        start_new_session=True,
    )  # fmt: skip
    try:
        out, _ = process.communicate(timeout=CLIENT_TIMEOUT)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        return -9, f"NT_STATUS_IO_TIMEOUT (no answer within {CLIENT_TIMEOUT:.0f} s)"
    return process.returncode, out.decode(errors="replace")
