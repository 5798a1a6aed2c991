"""What the device accepts for shared folders and the SMB file service (API bodies, and the console's forms through
the same models). As in http/inputs.py, the bounds are generous limits; files/models.py and smb/settings.py give
the precise, friendly rules (names SMB clients can type, folders that stay inside their volume)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from homeport.files.models import DESCRIPTION_MAX, FOLDER_MAX, TIME_MACHINE_LIMIT_RANGE
from homeport.http.inputs import ACCOUNT_NAME_MAX, Strict

SHARE_NAME_MAX = 80  # files/models.py SHARE_NAME
VOLUME_NAME_MAX = 255  # a volume is named after its mount point's last component
ACCESS_ENTRIES_MAX = 1000
WORKGROUP_MAX = 15

AccessIn = Literal["rw", "ro", "none"]
AccountName = Annotated[str, Field(max_length=ACCOUNT_NAME_MAX)]
AccessMap = Annotated[dict[AccountName, AccessIn], Field(max_length=ACCESS_ENTRIES_MAX)]
TimeMachineLimit = Annotated[int, Field(ge=TIME_MACHINE_LIMIT_RANGE[0], le=TIME_MACHINE_LIMIT_RANGE[1])]


class PermissionsIn(Strict):
    users: AccessMap = Field(
        default_factory=dict, description="Account name -> `rw` (read-write), `ro` (read-only) or `none` (no access)."
    )
    groups: AccessMap = Field(default_factory=dict, description="Group name -> `rw`, `ro` or `none`.")


class PermissionsPatchIn(Strict):
    users: AccessMap | None = Field(default=None, description="Replaces every account entry; left out: kept.")
    groups: AccessMap | None = Field(default=None, description="Replaces every group entry; left out: kept.")


class ShareCreateIn(Strict):
    name: str = Field(
        min_length=1, max_length=SHARE_NAME_MAX, description="The name SMB clients see (unique, case-insensitively)."
    )
    volume: str = Field(min_length=1, max_length=VOLUME_NAME_MAX, description="The volume's name (GET /volumes).")
    folder: str | None = Field(
        default=None,
        max_length=FOLDER_MAX,
        description="The folder on the volume, relative to it ('Family/Photos'); by default the share's name.",
    )
    attach_existing: bool = Field(
        default=False, description="Share a folder already on the volume instead of creating a new, empty one."
    )
    description: str = Field(default="", max_length=DESCRIPTION_MAX)
    hidden: bool = Field(default=False, description="Not listed when browsing the device (it still opens by name).")
    recycle_bin: bool = Field(default=False, description="Files deleted over SMB go to `#recycle` in the share.")
    time_machine: bool = Field(default=False, description="Offered to Macs as a Time Machine backup destination.")
    time_machine_limit_gb: TimeMachineLimit | None = Field(
        default=None, description="The most Time Machine may use, in GiB; null: no limit."
    )
    permissions: PermissionsIn = Field(
        default_factory=PermissionsIn,
        description="Who may use it: `none` wins over any grant, else the widest grant counts; nobody listed gets "
        "no access.",
    )


class SharePatchIn(Strict):
    """What is left out stays as it is; `time_machine_limit_gb: null` removes the limit. The volume and the folder
    cannot change (create another shared folder instead)."""

    name: str | None = Field(default=None, min_length=1, max_length=SHARE_NAME_MAX, description="A new name.")
    description: str | None = Field(default=None, max_length=DESCRIPTION_MAX)
    hidden: bool | None = None
    recycle_bin: bool | None = None
    time_machine: bool | None = None
    time_machine_limit_gb: TimeMachineLimit | None = None
    permissions: PermissionsPatchIn | None = None


class ShareDeleteIn(Strict):
    delete_files: bool = Field(
        default=False, description="Also delete the folder and every file in it (otherwise they stay on the volume)."
    )
    confirm: str = Field(
        default="", max_length=SHARE_NAME_MAX, description="With `delete_files`: the shared folder's name, typed again."
    )


class SmbSettingsIn(Strict):
    enabled: bool | None = Field(default=None, description="Serve the shared folders over SMB.")
    min_protocol: Literal["SMB2", "SMB3"] | None = Field(default=None, description="The oldest protocol accepted.")
    signing: Literal["default", "required"] | None = Field(
        default=None, description="`required`: every client must sign its messages."
    )
    encryption: Literal["desired", "required"] | None = Field(
        default=None, description="`required`: clients that cannot encrypt (SMB 2) cannot connect."
    )
    workgroup: str | None = Field(
        default=None, min_length=1, max_length=WORKGROUP_MAX, description="NetBIOS workgroup."
    )


class SmbCheckIn(Strict):
    repair: bool = Field(default=False, description="Make Samba's accounts equal to Homeport's (else only compare).")
