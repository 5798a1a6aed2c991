"""Where Homeport's Samba keeps everything: one folder in the home, never Debian's /etc/samba or /var/lib/samba."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

PRIVATE_FOLDERS = ("private",)
FOLDERS = ("private", "lock", "state", "cache", "pid", "ncalrpc", "log")


@dataclass(frozen=True)
class SambaLayout:
    root: Path

    @classmethod
    def in_home(cls, home_root: Path) -> SambaLayout:
        return cls(home_root / "smb")

    def folder(self, name: str) -> Path:
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
        for name in (*FOLDERS, "nss"):
            self.folder(name).mkdir(mode=0o700, exist_ok=True)
        # smbd wants its ncalrpc and lock folders reachable by the accounts it switches to.
        for name in ("ncalrpc", "lock"):
            self.folder(name).chmod(0o755)
        self.root.chmod(0o711)
