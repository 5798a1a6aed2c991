"""The daemon's home folder: its layout, its permissions, and the lock that keeps a second instance out."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from homeport.core.atomic import write_atomic
from homeport.core.ids import new_serial

UNIX_SOCKET_PATH_MAX = 107


class HomeUnusable(Exception):
    """The home cannot be used; the message says why and what to do."""


@dataclass(frozen=True)
class Home:
    root: Path

    @property
    def db_path(self) -> Path:
        return self.root / "config.sqlite"

    @property
    def backups(self) -> Path:
        return self.root / "backups"

    @property
    def quarantine(self) -> Path:
        return self.root / "quarantine"

    @property
    def tls(self) -> Path:
        return self.root / "tls"

    @property
    def socket_path(self) -> Path:
        return self.root / "homeport.sock"

    @property
    def _lock_path(self) -> Path:
        return self.root / "daemon.lock"

    @property
    def _serial_path(self) -> Path:
        return self.root / "serial"

    def prepare(self) -> None:
        """Create the home (mode 0700) or check that an existing one is ours and private.

        The home itself is never followed if it is a symlink: checked with lstat, then opened with O_NOFOLLOW
        and checked and chmodded through that descriptor, so a link swapped in between cannot redirect the chmod.
        """
        try:
            self.root.parent.mkdir(parents=True, exist_ok=True)
            with contextlib.suppress(FileExistsError):
                os.mkdir(self.root, 0o700)  # does not follow a symlink in the last component (EEXIST)
            info = os.lstat(self.root)
        except OSError as exc:
            raise HomeUnusable(f"Cannot create or read the home {self.root}: {exc.strerror}.") from exc
        if stat.S_ISLNK(info.st_mode):
            raise self._is_symlink()
        if not stat.S_ISDIR(info.st_mode):
            raise self._not_a_folder()
        try:
            fd = os.open(self.root, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except OSError as exc:  # ELOOP / ENOTDIR: replaced by a link or a file since the lstat
            if exc.errno == errno.ELOOP:
                raise self._is_symlink() from exc
            if exc.errno == errno.ENOTDIR:
                raise self._not_a_folder() from exc
            raise HomeUnusable(f"Cannot open the home {self.root}: {exc.strerror}.") from exc
        try:
            self._check_private(os.fstat(fd))
            os.fchmod(fd, 0o700)
        finally:
            os.close(fd)
        self._check_ancestors()

    def _check_ancestors(self) -> None:
        """Every folder above the home must be changeable only by root or by us (a world-writable one only with
        the sticky bit, like /tmp): whoever can rename entries there could swap the home for their own."""
        for folder in [Path(os.path.realpath(self.root.parent)), *Path(os.path.realpath(self.root.parent)).parents]:
            info = os.stat(folder)
            foreign = info.st_uid not in (0, os.geteuid())
            open_to_others = info.st_mode & (stat.S_IWGRP | stat.S_IWOTH) and not info.st_mode & stat.S_ISVTX
            if foreign or open_to_others:
                who = f"belongs to user id {info.st_uid}" if foreign else "is writable by other users"
                raise HomeUnusable(
                    f"The folder {folder} above the home {who}: whoever controls it could replace the home. "
                    "Choose a home under folders only root or this user can change."
                )

    def _check_private(self, info: os.stat_result) -> None:
        if info.st_uid != os.geteuid():
            raise HomeUnusable(
                f"The home {self.root} belongs to user id {info.st_uid}, not to this process ({os.geteuid()}). "
                "Run Homeport as its owner, or choose another --home."
            )
        if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
            raise HomeUnusable(f"The home {self.root} is writable by other users; fix it with: chmod 700 {self.root}")
        if not os.access(self.root, os.W_OK | os.X_OK):
            raise HomeUnusable(f"The home {self.root} is not writable; check its permissions.")
        if len(str(self.socket_path.absolute())) > UNIX_SOCKET_PATH_MAX:
            raise HomeUnusable(f"The home path {self.root} is too long for the CLI socket; choose a shorter --home.")

    def _not_a_folder(self) -> HomeUnusable:
        return HomeUnusable(f"The home {self.root} is not a folder; move it out of the way, or choose another --home.")

    def _is_symlink(self) -> HomeUnusable:
        try:
            target = f" (to {os.readlink(self.root)})"
        except OSError:
            target = ""
        return HomeUnusable(
            f"The home {self.root} is a symbolic link{target}; Homeport does not follow it, so that nobody can "
            "point its private files elsewhere. Give the real folder as --home, or replace the link with a folder."
        )

    def lock(self) -> int:
        """Take the home's lock for the life of the process; returns the file descriptor to keep open."""
        fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise HomeUnusable(
                f"Another Homeport (pid {holder}) is already running with the home {self.root}. "
                "Stop it first (or use `homeport status` to talk to it)."
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        return fd

    def serial(self) -> str:
        """The device's serial number: generated once, kept outside the store so no reset changes it."""
        with contextlib.suppress(FileNotFoundError):
            existing = self._serial_path.read_text().strip()
            if existing:
                return existing
        serial = new_serial()
        write_atomic(self._serial_path, (serial + "\n").encode(), 0o644)
        return serial
