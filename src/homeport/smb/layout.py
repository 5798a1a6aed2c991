"""Where Homeport's Samba keeps everything: one folder in the home, never Debian's /etc/samba or /var/lib/samba.

The home is private (0700), yet smbd's processes serving a client run as that client's account and must still
reach the lock directory (the share-mode, lock and lease databases, the messaging sockets between smbd processes)
and the ncalrpc sockets: those two volatile folders live under /run/homeport instead, one folder per home.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

PRIVATE_FOLDERS = ("private",)
FOLDERS = ("private", "lock", "state", "cache", "pid", "ncalrpc", "log")
RUNTIME_FOLDERS = ("lock", "ncalrpc")  # reachable by the SMB accounts
RUNTIME_ROOT = Path("/run/homeport")
HOME_MARKER = "home"  # in each runtime folder: the Samba folder of the home it belongs to


@dataclass(frozen=True)
class SambaLayout:
    root: Path
    runtime: Path | None = None  # where RUNTIME_FOLDERS go; None: in `root` too

    @classmethod
    def in_home(cls, home_root: Path) -> SambaLayout:
        # Absolute: smb.conf's paths and the runtime folder's marker must mean the same from any working folder
        # (another instance's clean-up reads the marker from its own).
        absolute = Path(os.path.realpath(home_root))
        key = hashlib.sha256(str(absolute).encode()).hexdigest()[:16]
        # Only root may write there, and only root runs an smbd (not root: everything stays in the home).
        return cls(absolute / "smb", RUNTIME_ROOT / f"smb-{key}" if os.geteuid() == 0 else None)

    def folder(self, name: str) -> Path:
        if self.runtime is not None and name in RUNTIME_FOLDERS:
            return self.runtime / name
        return self.root / name

    @property
    def conf(self) -> Path:
        return self.root / "smb.conf"

    @property
    def passdb(self) -> Path:
        return self.root / "private" / "passdb.tdb"

    @property
    def log_file(self) -> Path:
        return self.root / "log" / "smbd.log"

    @property
    def auth_log(self) -> Path:
        """Samba's authentication audit, one JSON object per line (smb/auth_audit.py reads it)."""
        return self.root / "log" / "auth.json"

    @property
    def nss_passwd(self) -> Path:
        return self.root / "nss" / "passwd"

    @property
    def nss_group(self) -> Path:
        return self.root / "nss" / "group"

    def prepare(self) -> None:
        self.root.mkdir(mode=0o700, exist_ok=True)
        if self.runtime is not None:
            self.runtime.mkdir(parents=True, exist_ok=True)
            # Whatever the umask (the daemon's is 077): the SMB accounts walk through these.
            for folder in (self.runtime, *([RUNTIME_ROOT] if self.runtime.parent == RUNTIME_ROOT else [])):
                folder.chmod(0o755)
            (self.runtime / HOME_MARKER).write_text(f"{self.root}\n")
        for name in (*FOLDERS, "nss"):
            self.folder(name).mkdir(mode=0o700, exist_ok=True)
        # smbd wants its ncalrpc and lock folders reachable by the accounts it switches to.
        for name in RUNTIME_FOLDERS:
            self.folder(name).chmod(0o755)
        self.root.chmod(0o711)

    def remove_runtime(self) -> None:
        """The volatile folders, once no smbd uses them any more."""
        if self.runtime is not None:
            shutil.rmtree(self.runtime, ignore_errors=True)


def remove_stale_runtimes(root: Path = RUNTIME_ROOT) -> list[Path]:
    """Runtime folders whose home is gone (its daemon was killed, then the home deleted): nothing else removes
    them. A folder without its marker yet (a home being prepared) is left alone."""
    removed = []
    for folder in sorted(root.glob("smb-*")):
        try:
            samba_folder = Path((folder / HOME_MARKER).read_text().strip())
        except OSError:
            continue
        if samba_folder.is_absolute() and not samba_folder.exists():  # a relative one: never judged from here
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed
