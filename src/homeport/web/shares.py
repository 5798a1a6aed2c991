"""The shared folders pages: the list with its "create" and "attach an existing folder" forms, and a page per shared
folder (its details, who may use it with the access each account ends up with, and removal).

Every field is checked by ShareService, the same checks the API's requests meet; a page with several forms marks
each with `part`, so a failure comes back with its messages and what was typed in the form that was sent only."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from starlette.responses import Response

from homeport.accounts.models import Group, User
from homeport.core.errors import HomeportError
from homeport.files import folders
from homeport.files.access import effective_access
from homeport.files.models import ACCESS_LEVELS, ACCESS_WORDS, DESCRIPTION_MAX, Access, Share, ShareDraft
from homeport.files.service import ShareState
from homeport.http.requests import services
from homeport.system.volumes import Volume
from homeport.web.forms import Submitted, handle
from homeport.web.guard import Viewer, viewer
from homeport.web.render import render

router = APIRouter(include_in_schema=False)

NAME_MAX = 80  # SHARE_NAME: 1-80 characters
LIMITS = {"name": NAME_MAX, "description": DESCRIPTION_MAX, "confirm": NAME_MAX}
TIME_MACHINE_MAX_GB = 1024 * 1024
CHOICES = (("", "(not set)"), *((level, ACCESS_WORDS[level]) for level in ACCESS_LEVELS))
USER_FIELD, GROUP_FIELD = "user:", "group:"
# Not a shared folder's page: a name starts with a letter or digit, so no share is called "-".
ATTACH = "/shares/-/attach"


# --- what the pages show ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Listed:
    """A shared folder in the list: its state, and in words why it is unavailable and who may use it."""

    state: ShareState
    volume: Volume | None
    why: str
    writers: list[str]
    readers: list[str]  # read-only


@dataclass(frozen=True)
class Effective:
    """The access one account ends up with, and the entries it comes from."""

    user: str
    enabled: bool
    access: Access
    why: str


def unavailable_why(state: ShareState, volume: Volume | None) -> str:
    """Why SMB cannot serve a shared folder now, or "" when it can."""
    if state.available:
        return ""
    share = state.share
    if volume is None:
        return f"its volume '{share.volume}' is not one of this device's volumes"
    if not volume.available:
        return f"its volume '{share.volume}' is missing: check the disk"
    return f"the folder '{share.folder}' is no longer on {share.volume}: it was moved or deleted outside Homeport"


def memberships(users: Iterable[User]) -> dict[str, list[str]]:
    return {u.name: list(u.groups) for u in users}


def listed(states: list[ShareState], volumes: list[Volume], users: list[User]) -> list[Listed]:
    by_name = {v.name: v for v in volumes}
    members = memberships(users)
    builtin = {u.name for u in users if u.builtin}
    found = []
    for state in states:
        resolved = effective_access(state.share.users, state.share.groups, members)
        resolved = {n: a for n, a in resolved.items() if n not in builtin or n in state.share.users}
        volume = by_name.get(state.share.volume)
        found.append(
            Listed(
                state=state,
                volume=volume,
                why=unavailable_why(state, volume),
                writers=sorted(n for n, a in resolved.items() if a == "rw"),
                readers=sorted(n for n, a in resolved.items() if a == "ro"),
            )
        )
    return found


def _words(sources: list[str]) -> str:
    return sources[0] if len(sources) == 1 else ", ".join(sources[:-1]) + " and " + sources[-1]


def explain(share: Share, users: list[User]) -> list[Effective]:
    """Each account's access with its reason: "no access" from any entry wins, otherwise the widest entry."""
    members = memberships(users)
    resolved = effective_access(share.users, share.groups, members)
    found = []
    for user in users:
        own = share.users.get(user.name)
        grants: list[tuple[str, Access]] = [("their own entry", own)] if own is not None else []
        grants += [(f"group {g}", share.groups[g]) for g in user.groups if g in share.groups]
        access = resolved.get(user.name, "none")
        if not grants:
            why = "neither the account nor any of its groups is listed"
        elif access == "none":
            denying = [source for source, level in grants if level == "none"]
            others = [source for source, level in grants if level != "none"]
            why = f"no access from {_words(denying)}"
            if others:
                why += f", which wins over {_words(others)}"
        else:
            why = f"{ACCESS_WORDS[access]} from {_words([s for s, level in grants if level == access])}"
            if any(level != access for _, level in grants):
                why += " (the widest entry counts)"
        found.append(Effective(user.name, user.enabled, access, why))
    return found


def permission_users(share: Share | None, users: list[User]) -> list[User]:
    """The accounts a permissions table lists: everyone but the built-in admin (unless it has an entry)."""
    listed_users = share.users if share is not None else {}
    return [u for u in users if not u.builtin or u.name in listed_users]


def attachable(volumes: list[Volume], states: list[ShareState]) -> dict[str, list[str]]:
    """The folders at the top of each available volume that no shared folder uses yet."""
    shared = {(s.share.volume, s.share.folder.split("/")[0]) for s in states}
    return {
        v.name: [f for f in folders.subfolders(v.path) if (v.name, f) not in shared] for v in volumes if v.available
    }


# --- what the forms send ----------------------------------------------------------------------------------


def permissions_from(form: Submitted) -> dict[str, dict[str, Any]]:
    """The permissions table: `user:<name>` and `group:<name>` selects; "(not set)" leaves a row out."""
    users = {k.removeprefix(USER_FIELD): v for k, v in form.values.items() if k.startswith(USER_FIELD) and v}
    groups = {k.removeprefix(GROUP_FIELD): v for k, v in form.values.items() if k.startswith(GROUP_FIELD) and v}
    return {"users": users, "groups": groups}


def time_machine_limit(form: Submitted) -> int | None:
    """Empty is no limit; anything but a whole number becomes 0, which the service refuses with the other fields'
    problems (the same sentence as the API's)."""
    text = form.text("time_machine_limit_gb").strip()
    if not text:
        return None
    return int(text) if text.isdigit() and len(text) <= len(str(TIME_MACHINE_MAX_GB)) else 0


def details_from(form: Submitted) -> dict[str, Any]:
    return {
        "name": form.text("name").strip(),
        "description": form.text("description"),
        "hidden": form.checked("hidden"),
        "recycle_bin": form.checked("recycle_bin"),
        "time_machine": form.checked("time_machine"),
        "time_machine_limit_gb": time_machine_limit(form),
    }


def _renamed(exc: HomeportError, names: Mapping[str, str]) -> HomeportError:
    """The service's field names as this form calls them (a field already there keeps its own problem)."""
    fields: dict[str, str] = {}
    for key, problem in exc.fields.items():
        fields.setdefault(names.get(key, key), problem)
    exc.fields = fields
    return exc


def _share_url(name: str, done: str = "") -> str:
    return f"/shares/{quote(name, safe='')}" + (f"?done={done}" if done else "")


# --- the list ---------------------------------------------------------------------------------------------


@router.get("/shares")
def shares_page(request: Request) -> Response:
    who = viewer(request, admin=True)
    svc = services(request)
    states = svc.shares.list()
    volumes = svc.volumes.list()
    users = svc.accounts.list_users()
    return render(
        request,
        "shares.html",
        me=who.user,
        csrf=who.csrf,
        shares=listed(states, volumes, users),
        volumes=volumes,
        attachable=attachable(volumes, states),
        users=permission_users(None, users),
        groups=svc.accounts.list_groups(),
        choices=CHOICES,
        limits=LIMITS,
        tm_max=TIME_MACHINE_MAX_GB,
    )


@router.post("/shares")
async def shares_create(request: Request) -> Response:
    shares = services(request).shares

    def act(who: Viewer, form: Submitted) -> str:
        details = details_from(form)
        permissions = permissions_from(form)
        draft = ShareDraft(
            volume=form.text("volume"), folder=details["name"], users=permissions["users"],
            groups=permissions["groups"], **details,
        )  # fmt: skip
        try:
            made = shares.create(who.actor, draft)
        except HomeportError as exc:
            raise _renamed(exc, {"folder": "name"}) from None  # the new folder takes the shared folder's name
        if not any(a != "none" for a in (*made.share.users.values(), *made.share.groups.values())):
            # Nobody may use it yet: straight to the permissions, saying so.
            return _share_url(made.share.name, "share-created-nobody") + "#permissions"
        return "/shares?done=share-created"

    return await handle(request, act, back="/shares", admin=True)


@router.post(ATTACH)
async def shares_attach(request: Request) -> Response:
    shares = services(request).shares

    def act(who: Viewer, form: Submitted) -> str:
        volume, _, folder = form.text("existing").partition("/")
        name = form.text("name").strip() or folder
        draft = ShareDraft(name=name, volume=volume, folder=folder, description=form.text("description"))
        try:
            state = shares.create(who.actor, draft, attach=True)
        except HomeportError as exc:
            raise _renamed(exc, {"volume": "existing", "folder": "existing"}) from None
        return _share_url(state.share.name, "share-attached")

    return await handle(request, act, back="/shares", admin=True)


# --- one shared folder ------------------------------------------------------------------------------------


@router.get("/shares/{name}")
def share_page(request: Request, name: str) -> Response:
    who = viewer(request, admin=True)
    svc = services(request)
    state = svc.shares.get(name)
    volume = svc.volumes.find(state.share.volume)
    users = svc.accounts.list_users()
    groups: list[Group] = svc.accounts.list_groups()
    return render(
        request,
        "share.html",
        me=who.user,
        csrf=who.csrf,
        state=state,
        share=state.share,
        volume=volume,
        why=unavailable_why(state, volume),
        users=permission_users(state.share, users),
        groups=groups,
        effective=explain(state.share, permission_users(state.share, users)),
        access_words=ACCESS_WORDS,
        choices=CHOICES,
        limits=LIMITS,
        tm_max=TIME_MACHINE_MAX_GB,
        addresses=svc.files.addresses_of(state.share.name),
    )


@router.post("/shares/{name}")
async def share_save(request: Request, name: str) -> Response:
    shares = services(request).shares

    def act(who: Viewer, form: Submitted) -> str:
        state = shares.update(who.actor, name, details_from(form))
        return _share_url(state.share.name, "share-saved")

    return await handle(request, act, back=_share_url(name), admin=True)


@router.post("/shares/{name}/permissions")
async def share_permissions(request: Request, name: str) -> Response:
    shares = services(request).shares

    def act(who: Viewer, form: Submitted) -> str:
        state = shares.update(who.actor, name, {"permissions": permissions_from(form)})
        return _share_url(state.share.name, "share-permissions") + "#permissions"

    return await handle(request, act, back=_share_url(name), admin=True)


@router.post("/shares/{name}/delete")
async def share_delete(request: Request, name: str) -> Response:
    shares = services(request).shares

    def act(who: Viewer, form: Submitted) -> str:
        delete_files = form.checked("delete_files")
        found = shares.get(name).available
        shares.delete(who.actor, name, delete_files=delete_files, confirm=form.text("confirm").strip())
        if not delete_files:
            return "/shares?done=share-deleted"
        return "/shares?done=" + ("share-deleted-files" if found else "share-deleted-no-files")

    return await handle(request, act, back=_share_url(name), admin=True)
