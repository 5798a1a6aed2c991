"""The file service's settings an administrator chooses (the rest of smb.conf is fixed and secure)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from homeport.core.errors import Problems
from homeport.system.settings import merged_with

SMB_KEY = "smb"
MIN_PROTOCOLS = ("SMB2", "SMB3")
SIGNING = ("default", "required")  # default: as the client asks (Samba's "default"/"if_required" for SMB2+)
ENCRYPTION = ("desired", "required")


@dataclass(frozen=True)
class SmbSettings:
    enabled: bool = True
    min_protocol: str = "SMB2"
    signing: str = "default"
    encryption: str = "desired"
    workgroup: str = "WORKGROUP"

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def validate_smb(changes: dict[str, Any], current: SmbSettings) -> SmbSettings:
    problems = Problems()
    merged = merged_with(changes, current, problems)
    if not isinstance(merged["enabled"], bool):
        problems.add("enabled", "Choose true or false.")
    for name, choices in (("min_protocol", MIN_PROTOCOLS), ("signing", SIGNING), ("encryption", ENCRYPTION)):
        if merged[name] not in choices:
            problems.add(name, f"Choose one of {', '.join(choices)}.")
    workgroup = merged["workgroup"]
    if not isinstance(workgroup, str) or not workgroup.isascii() or not workgroup.replace("-", "").isalnum() \
            or not 1 <= len(workgroup) <= 15:  # fmt: skip
        problems.add("workgroup", "Use 1-15 letters, digits or '-' (a NetBIOS workgroup name).")
    else:
        merged["workgroup"] = workgroup.upper()
    problems.check("The file service settings were not saved; see the fields.")
    return SmbSettings(**merged)


def from_stored(stored: dict[str, Any] | None) -> SmbSettings:
    known = {f.name for f in dataclasses.fields(SmbSettings)}
    return SmbSettings(**{k: v for k, v in (stored or {}).items() if k in known})
