"""Shared folders as the rest of Homeport sees them, and the rules their fields follow."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from homeport.core.errors import Problems
from homeport.core.text import has_direction_controls

Access = Literal["rw", "ro", "none"]
ACCESS_LEVELS: tuple[Access, ...] = ("rw", "ro", "none")
ACCESS_WORDS = {"rw": "read-write", "ro": "read-only", "none": "no access"}

SHARE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,79}$")
# Section names Samba gives a meaning of its own, and the volume's folder that holds Homeport's backups.
RESERVED_SHARE_NAMES = frozenset({"global", "homes", "printers", "print$", "ipc$", "@homeport"})
# Names Windows cannot open as a share or folder (its old device names).
WINDOWS_DEVICES = frozenset(
    {"con", "prn", "aux", "nul", *(f"com{n}" for n in range(1, 10)), *(f"lpt{n}" for n in range(1, 10))}
)
RESERVED_FOLDERS = frozenset({"@homeport"})
DESCRIPTION_MAX = 200
FOLDER_MAX = 1024
TIME_MACHINE_LIMIT_RANGE = (1, 1024 * 1024)  # GiB


@dataclass(frozen=True)
class Share:
    id: int
    name: str
    volume: str
    folder: str  # relative to the volume, '/'-separated
    description: str
    hidden: bool
    recycle_bin: bool
    time_machine: bool
    time_machine_limit_gb: int | None
    users: dict[str, Access] = field(default_factory=dict)
    groups: dict[str, Access] = field(default_factory=dict)


@dataclass(frozen=True)
class ShareDraft:
    """A share as asked for: every field checked (check_draft) before anything is stored or created."""

    name: str
    volume: str
    folder: str
    description: str = ""
    hidden: bool = False
    recycle_bin: bool = False
    time_machine: bool = False
    time_machine_limit_gb: int | None = None
    users: dict[str, Access] = field(default_factory=dict)
    groups: dict[str, Access] = field(default_factory=dict)


def check_share_name(name: str, problems: Problems, fld: str = "name") -> None:
    if not SHARE_NAME.fullmatch(name) or name != name.strip():
        problems.add(
            fld,
            "Use 1-80 characters: letters A-Z, digits, spaces, '.', '_' or '-', starting with a letter or digit "
            "(names every SMB client can type).",
        )
    elif name.casefold() in RESERVED_SHARE_NAMES:
        problems.add(fld, f"'{name}' has a meaning of its own in SMB; choose another name.")
    elif name.casefold().split(".")[0] in WINDOWS_DEVICES or name.endswith("."):
        problems.add(fld, f"Windows cannot open a shared folder named '{name}'; choose another name.")


def check_folder(folder: str, problems: Problems, fld: str = "folder") -> str:
    """A folder inside a volume: relative, no '..', no hidden control characters; returned normalised."""
    parts = [p for p in folder.replace("\\", "/").split("/") if p not in ("", ".")]
    if not parts or len(folder) > FOLDER_MAX:
        problems.add(fld, "Give a folder inside the volume, such as 'Photos' or 'Family/Photos'.")
        return folder
    if folder.startswith(("/", "\\")):
        problems.add(fld, "Give the folder relative to the volume, such as 'Photos', not an absolute path.")
    elif ".." in parts:
        problems.add(fld, "A shared folder stays inside its volume: '..' is not allowed.")
    elif any(not p.isprintable() or has_direction_controls(p) or len(p.encode()) > 255 for p in parts):
        problems.add(fld, "Folder names must be printable, at most 255 bytes each, without hidden control characters.")
    elif any("%" in p or p != p.strip() for p in parts):
        # Samba reads '%' in a path as a variable, and trims spaces at either end of a value.
        problems.add(fld, "Folder names cannot contain '%' or start or end with a space; rename the folder first.")
    elif parts[0].casefold() in RESERVED_FOLDERS:
        problems.add(fld, "'@homeport' holds Homeport's own backups and cannot be shared.")
    return "/".join(parts)


def check_description(description: str, problems: Problems) -> None:
    if len(description) > DESCRIPTION_MAX or not description.isprintable() or has_direction_controls(description):
        problems.add("description", f"Use at most {DESCRIPTION_MAX} printable characters.")
    elif "%" in description or "\\" in description:
        problems.add("description", "'%' and '\\' cannot be used here (SMB reads them as a variable, a line break).")


def check_access_map(kind: str, entries: Mapping[str, str], known: set[str], problems: Problems) -> None:
    bad_level = [n for n, a in entries.items() if a not in ACCESS_LEVELS]
    unknown = sorted(n for n in entries if n not in known)
    if bad_level:
        problems.add(kind, f"'{bad_level[0]}': choose rw (read-write), ro (read-only) or none (no access).")
    elif unknown:
        problems.add(kind, f"There is no {kind[:-1]} named '{unknown[0]}'.")


def check_time_machine(limit: int | None, problems: Problems) -> None:
    low, high = TIME_MACHINE_LIMIT_RANGE
    if limit is not None and (isinstance(limit, bool) or not low <= limit <= high):
        problems.add("time_machine_limit_gb", f"Choose a whole number of GiB from {low} to {high}, or no limit.")
