"""Shared folders: create, attach, change, delete, each checked whole and saved with its audit record.

Who may use each one is stored as given (users and groups); the file services resolve it (files/access.py) every
time they render their configuration, so a change of groups reaches SMB without touching the shares.
"""

from __future__ import annotations

import dataclasses
import sqlite3
from dataclasses import dataclass
from typing import Any

from homeport.accounts import repository as accounts
from homeport.audit.log import Actor, AuditLog
from homeport.core.clock import Clock
from homeport.core.errors import Conflict, InvalidInput, NotFound, Problems
from homeport.files import folders, repository
from homeport.files.models import (
    Share,
    ShareDraft,
    check_access_map,
    check_description,
    check_folder,
    check_share_name,
    check_time_machine,
)
from homeport.store.db import Database
from homeport.system.volumes import Volume, VolumeService

EDITABLE = ("name", "description", "hidden", "recycle_bin", "time_machine", "time_machine_limit_gb", "permissions")


@dataclass(frozen=True)
class ShareState:
    share: Share
    available: bool  # its volume is there and the folder exists
    path: str


class ShareService:
    def __init__(self, db: Database, clock: Clock, audit: AuditLog, volumes: VolumeService) -> None:
        self._db = db
        self._clock = clock
        self._audit = audit
        self._volumes = volumes

    def list(self) -> list[ShareState]:
        with self._db.read() as conn:
            shares = repository.list_shares(conn)
        by_name = {v.name: v for v in self._volumes.list()}
        return [self._state(share, by_name.get(share.volume)) for share in shares]

    def get(self, name: str) -> ShareState:
        found = next((s for s in self.list() if s.share.name.casefold() == name.casefold()), None)
        if found is None:
            raise NotFound(f"There is no shared folder named '{name}'.", code="share_not_found")
        return found

    @staticmethod
    def _state(share: Share, volume: Volume | None) -> ShareState:
        if volume is None:
            return ShareState(share, False, "")
        path = volume.path / share.folder
        return ShareState(share, volume.available and path.is_dir(), str(path))

    # --- changing ---------------------------------------------------------------------------------------

    def create(self, actor: Actor, draft: ShareDraft, *, attach: bool = False) -> ShareState:
        """A new share on a new folder, or (attach) on a folder already on the volume."""
        volume, draft = self._check(draft, None)
        assert volume is not None  # checked: a new share needs its volume
        with self._db.write() as conn:
            self._check_unique(conn, draft, None)
            target = folders.existing(volume.path, draft.folder) if attach else folders.make(volume.path, draft.folder)
            repository.insert_share(conn, draft, self._clock.now())
            self._audit.record(
                conn, "share.attached" if attach else "share.created", actor, target=draft.name,
                volume=draft.volume, folder=draft.folder, **_access_detail(draft),
            )  # fmt: skip
        if attach:  # after the commit: a big tree must not hold the store (and every sign-in) while it is walked
            folders.adopt(target)
        return self.get(draft.name)

    def update(self, actor: Actor, name: str, changes: dict[str, Any]) -> ShareState:
        current = self.get(name).share
        unknown = [k for k in changes if k not in EDITABLE]
        if unknown:
            problem = "A shared folder cannot move to another volume or folder; create another one instead."
            raise InvalidInput.field(unknown[0], problem if unknown[0] in ("volume", "folder") else "Unknown field.")
        permissions = changes.get("permissions")
        merged = {k: v for k, v in changes.items() if k != "permissions"}
        if isinstance(permissions, dict):
            merged["users"] = permissions.get("users", current.users)
            merged["groups"] = permissions.get("groups", current.groups)
        draft = dataclasses.replace(draft_of(current), **merged)
        _, draft = self._check(draft, current)
        with self._db.write() as conn:
            self._check_unique(conn, draft, current)
            repository.update_share(conn, current.id, draft, self._clock.now())
            changed = sorted(
                f for f in ("name", "description", "hidden", "recycle_bin", "time_machine", "time_machine_limit_gb",
                            "users", "groups")
                if getattr(draft, f) != getattr(current, f)
            )  # fmt: skip
            if changed:
                self._audit.record(
                    conn, "share.changed", actor, target=draft.name, fields=changed, **_access_detail(draft)
                )
        return self.get(draft.name)

    def delete(self, actor: Actor, name: str, *, delete_files: bool = False, confirm: str = "") -> None:
        """Remove the share; its files stay unless `delete_files` and the share's name typed again in `confirm`."""
        state = self.get(name)
        share = state.share
        if delete_files and confirm != share.name:
            raise InvalidInput.field(
                "confirm", f"To delete the files too, type the shared folder's name ({share.name}) exactly."
            )
        volume = self._volumes.find(share.volume)
        if delete_files and volume is not None and volume.available:
            folders.inside(volume.path, share.folder)  # a folder swapped for a link: refused before anything changes
        with self._db.write() as conn:
            repository.delete_share(conn, share.id)
            self._audit.record(
                conn, "share.deleted", actor, target=share.name, files_deleted=delete_files, folder=share.folder
            )
        if delete_files and volume is not None and volume.available:
            folders.remove(volume.path, share.folder)

    # --- checks -----------------------------------------------------------------------------------------

    def _check(self, draft: ShareDraft, current: Share | None) -> tuple[Volume | None, ShareDraft]:
        problems = Problems()
        check_share_name(draft.name, problems)
        check_description(draft.description, problems)
        for flag in ("hidden", "recycle_bin", "time_machine"):
            if not isinstance(getattr(draft, flag), bool):
                problems.add(flag, "Choose true or false.")
        check_time_machine(draft.time_machine_limit_gb, problems)
        with self._db.read() as conn:
            known_users = {u.name for u in accounts.list_users(conn)}
            known_groups = accounts.existing_group_names(conn)
        for kind, entries, known in (("users", draft.users, known_users), ("groups", draft.groups, known_groups)):
            if not isinstance(entries, dict):
                problems.add(kind, f"Give {kind} as names with rw, ro or none.")
            else:
                check_access_map(kind, entries, known, problems)
        volume = self._volumes.find(draft.volume)
        if current is None:
            draft = dataclasses.replace(draft, folder=check_folder(draft.folder, problems))
            if volume is None:
                names = ", ".join(v.name for v in self._volumes.list()) or "none"
                problems.add("volume", f"There is no volume named '{draft.volume}' (volumes: {names}).")
            elif not volume.available:
                problems.add("volume", f"The volume '{volume.name}' is missing; connect it and try again.")
        problems.check("The shared folder was not saved; see the fields.")
        return volume, draft

    @staticmethod
    def _check_unique(conn: sqlite3.Connection, draft: ShareDraft, current: Share | None) -> None:
        for other in repository.list_shares(conn):
            if current is not None and other.id == current.id:
                continue
            if other.name.casefold() == draft.name.casefold():
                raise Conflict(
                    f"A shared folder named '{other.name}' already exists.", code="share_exists",
                    fields={"name": "This name is taken."},
                )  # fmt: skip
            if current is None and other.volume == draft.volume and other.folder == draft.folder:
                raise Conflict(
                    f"That folder is already shared as '{other.name}'.", code="folder_shared",
                    fields={"folder": "Already shared."},
                )  # fmt: skip
            if current is None and other.volume == draft.volume and _nested(other.folder, draft.folder):
                # One share inside another would let its own permissions undo the other's "no access", and
                # deleting the outer one's files would delete the inner one's.
                raise Conflict(
                    f"That folder is inside the shared folder '{other.name}' ({other.folder}), or holds it: a "
                    "shared folder cannot be inside another. Choose a folder beside it.",
                    code="folder_nested", fields={"folder": f"Overlaps the shared folder '{other.name}'."},
                )  # fmt: skip


def _nested(one: str, other: str) -> bool:
    return one.startswith(other + "/") or other.startswith(one + "/")


def draft_of(share: Share) -> ShareDraft:
    return ShareDraft(
        name=share.name, volume=share.volume, folder=share.folder, description=share.description,
        hidden=share.hidden, recycle_bin=share.recycle_bin, time_machine=share.time_machine,
        time_machine_limit_gb=share.time_machine_limit_gb, users=dict(share.users), groups=dict(share.groups),
    )  # fmt: skip


def _access_detail(draft: ShareDraft) -> dict[str, Any]:
    return {"users": dict(draft.users), "groups": dict(draft.groups)}
