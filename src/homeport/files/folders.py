"""The folders behind shared folders, on the data volumes: made, checked, and (only when asked twice) deleted.

Every path is resolved and must stay inside its volume, so a symbolic link planted in a volume cannot make Homeport
share or delete anything outside it. New folders belong to root and the group every SMB account is in, with the
set-group-ID bit, so files made over SMB stay usable by the others the share allows (Samba decides who may).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
from pathlib import Path

from homeport.core.errors import Conflict, InvalidInput, OperationFailed

SHARE_GROUP_GID = 70000  # the group of every SMB account (smb/unix_accounts.py)
FOLDER_MODE = 0o2770


def inside(volume: Path, folder: str) -> Path:
    """`volume/folder`, refused unless it resolves inside the volume."""
    root = volume.resolve()
    target = (root / folder).resolve()
    if target == root or root not in target.parents:
        raise InvalidInput.field("folder", "That folder is outside the volume (a symbolic link?); choose another.")
    return target


def make(volume: Path, folder: str) -> Path:
    """A new, empty folder for a new share; its parents may exist already."""
    target = inside(volume, folder)
    if target.exists():
        raise Conflict(
            f"'{folder}' already exists on this volume; attach it as an existing folder instead, or choose another.",
            code="folder_exists",
            fields={"folder": "This folder already exists."},
        )
    root = volume.resolve()
    new_parents = [p for p in target.parents if root in p.parents and not p.exists()]
    try:
        target.mkdir(parents=True, mode=0o755)
        inside(volume, folder)  # made through no link that appeared meanwhile
        for parent in new_parents:
            # Whatever the umask (the daemon's is 077): the SMB accounts walk through them (nobody else writes).
            os.chmod(parent, 0o755)  # noqa: S103
        prepare(target)
    except OSError as exc:
        raise OperationFailed(f"Could not create {target}: {exc.strerror}. Check that the volume is writable.") from exc
    return target


def prepare(target: Path) -> None:
    """Ownership and mode for SMB accounts (as root; a test run as another user keeps what it has)."""
    with contextlib.suppress(PermissionError):
        os.chown(target, 0, SHARE_GROUP_GID)
    os.chmod(target, FOLDER_MODE)


def adopt(target: Path) -> int:
    """An existing folder attached as a share: everything in it joins the SMB accounts' group with read-write for
    the group (folders keep new files in it), owners and others' bits kept, links never followed; otherwise the
    accounts Samba lets write would meet files only root may change. Returns how many entries were changed."""
    changed = 0
    prepare(target)
    for folder, dirs, files in os.walk(target, followlinks=False):
        for name in (*dirs, *files):
            path = os.path.join(folder, name)
            with contextlib.suppress(OSError):
                info = os.lstat(path)
                if stat.S_ISLNK(info.st_mode):
                    continue
                wanted = info.st_mode | (0o2070 if stat.S_ISDIR(info.st_mode) else 0o060)
                if info.st_gid != SHARE_GROUP_GID:
                    os.chown(path, -1, SHARE_GROUP_GID, follow_symlinks=False)
                    changed += 1
                if stat.S_IMODE(info.st_mode) != stat.S_IMODE(wanted):
                    os.chmod(path, stat.S_IMODE(wanted))
                    changed += 1
    return changed


def existing(volume: Path, folder: str) -> Path:
    target = inside(volume, folder)
    if not target.is_dir():
        raise InvalidInput.field("folder", f"There is no folder '{folder}' on this volume to attach.")
    return target


def remove(volume: Path, folder: str) -> None:
    """Delete a shared folder's files (asked for twice by the caller): links inside are removed, never followed."""
    target = inside(volume, folder)
    try:
        shutil.rmtree(target)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise OperationFailed(
            f"The share was removed, but some of its files were not deleted ({exc.strerror}: {exc.filename})."
        ) from exc


def subfolders(volume: Path, limit: int = 500) -> list[str]:
    """The folders at the top of a volume, to offer for attaching (Homeport's own folder left out)."""
    try:
        entries = sorted(os.scandir(volume), key=lambda e: e.name.casefold())
    except OSError:
        return []
    names = [e.name for e in entries if e.is_dir(follow_symlinks=False) and e.name != "@homeport"]
    return names[:limit]
