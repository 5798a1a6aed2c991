"""Management pages: users, groups, sessions, the log, my account."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from homeport.accounts.models import ADMINISTRATORS, UserChanges
from homeport.core.errors import HomeportError, NotFound
from homeport.http.errors import status_of
from homeport.http.requests import services
from homeport.web.guard import Viewer, check_form_token, redirect, viewer
from homeport.web.render import render

router = APIRouter(include_in_schema=False)
FormText = Annotated[str, Form(max_length=4096)]
FormList = Annotated[list[str], Form()]
LOG_PAGE = 100


def _fields(exc: HomeportError) -> dict[str, str]:
    return dict(exc.fields)


# --- users ------------------------------------------------------------------------------------------------


def _users_page(request: Request, who: Viewer, status: int = 200, **extra: object) -> Response:
    svc = services(request)
    return render(
        request,
        "users.html",
        status,
        me=who.user,
        csrf=who.csrf,
        users=svc.accounts.list_users(),
        groups=svc.accounts.list_groups(),
        min_length=svc.accounts.policy().min_length,
        **extra,
    )


@router.get("/users")
def users_page(request: Request) -> Response:
    return _users_page(request, viewer(request, admin=True), form={})


@router.post("/users")
def users_create(
    request: Request,
    csrf_token: FormText = "",
    name: FormText = "",
    full_name: FormText = "",
    email: FormText = "",
    password: FormText = "",
    groups: FormList = [],  # noqa: B006 - FastAPI copies defaults
    must_change_password: FormText = "",
) -> Response:
    who = viewer(request, admin=True)
    check_form_token(who, csrf_token)
    svc = services(request)
    try:
        new = svc.accounts.prepare_user(
            name,
            password,
            full_name=full_name,
            email=email,
            groups=tuple(groups),
            must_change_password=bool(must_change_password),
        )
        svc.accounts.create_user(who.actor, new)
    except HomeportError as exc:
        form = {"name": name, "full_name": full_name, "email": email, "groups": groups}
        return _users_page(request, who, status_of(exc), form=form, errors=_fields(exc), error=exc.message)
    return redirect("/users?done=user-created")


def _user_page(request: Request, who: Viewer, name: str, status: int = 200, **extra: object) -> Response:
    svc = services(request)
    return render(
        request,
        "user.html",
        status,
        me=who.user,
        csrf=who.csrf,
        user=svc.accounts.get_user(name),
        groups=svc.accounts.list_groups(),
        **extra,
    )


@router.get("/users/{name}")
def user_page(request: Request, name: str) -> Response:
    return _user_page(request, viewer(request, admin=True), name)


def _user_action(request: Request, who: Viewer, name: str, action: Callable[[], object], done: str) -> Response:
    """Run an action on one account; its failure re-renders that account's page with the reason."""
    try:
        action()
    except NotFound:
        raise
    except HomeportError as exc:
        return _user_page(request, who, name, status_of(exc), errors=_fields(exc), error=exc.message)
    return redirect(done)


@router.post("/users/{name}")
def user_save(
    request: Request,
    name: str,
    csrf_token: FormText = "",
    full_name: FormText = "",
    email: FormText = "",
    enabled: FormText = "",
    admin: FormText = "",
    groups: FormList = [],  # noqa: B006 - FastAPI copies defaults
) -> Response:
    who = viewer(request, admin=True)
    check_form_token(who, csrf_token)
    chosen = {g for g in groups if g != ADMINISTRATORS} | ({ADMINISTRATORS} if admin else set())
    changes = UserChanges(full_name=full_name, email=email, enabled=bool(enabled), groups=tuple(sorted(chosen)))
    accounts = services(request).accounts
    return _user_action(
        request,
        who,
        name,
        lambda: accounts.update_user(who.actor, name, changes),
        f"/users/{quote(name)}?done=user-saved",
    )


@router.post("/users/{name}/password")
def user_password(
    request: Request,
    name: str,
    csrf_token: FormText = "",
    password: FormText = "",
    admin_password: FormText = "",
    must_change_password: FormText = "",
) -> Response:
    who = viewer(request, admin=True)
    check_form_token(who, csrf_token)
    credentials = services(request).credentials

    def set_it() -> object:
        return credentials.set_for(
            who.actor,
            who.user,
            admin_password,
            name,
            password,
            must_change=bool(must_change_password),
            keep_session=who.session.id,
        )

    return _user_action(request, who, name, set_it, f"/users/{quote(name)}?done=user-password")


@router.post("/users/{name}/delete")
def user_delete(request: Request, name: str, csrf_token: FormText = "") -> Response:
    who = viewer(request, admin=True)
    check_form_token(who, csrf_token)
    accounts = services(request).accounts
    return _user_action(request, who, name, lambda: accounts.delete_user(who.actor, name), "/users?done=user-deleted")


# --- groups -----------------------------------------------------------------------------------------------


def _groups_page(request: Request, who: Viewer, status: int = 200, **extra: object) -> Response:
    groups = services(request).accounts.list_groups()
    return render(request, "groups.html", status, me=who.user, csrf=who.csrf, groups=groups, **extra)


@router.get("/groups")
def groups_page(request: Request) -> Response:
    return _groups_page(request, viewer(request, admin=True))


@router.post("/groups")
def groups_create(
    request: Request, csrf_token: FormText = "", name: FormText = "", description: FormText = ""
) -> Response:
    who = viewer(request, admin=True)
    check_form_token(who, csrf_token)
    try:
        services(request).accounts.create_group(who.actor, name, description)
    except HomeportError as exc:
        form = {"name": name, "description": description}
        return _groups_page(request, who, status_of(exc), errors=_fields(exc), error=exc.message, form=form)
    return redirect("/groups?done=group-created")


@router.post("/groups/{name}/delete")
def groups_delete(request: Request, name: str, csrf_token: FormText = "") -> Response:
    who = viewer(request, admin=True)
    check_form_token(who, csrf_token)
    try:
        services(request).accounts.delete_group(who.actor, name)
    except HomeportError as exc:
        return _groups_page(request, who, status_of(exc), error=exc.message)
    return redirect("/groups?done=group-deleted")


# --- sessions, log, account -------------------------------------------------------------------------------


@router.get("/sessions")
def sessions_page(request: Request) -> Response:
    who = viewer(request)
    svc = services(request)
    listed = svc.sessions.list(None if who.user.is_admin else who.user.id)
    return render(request, "sessions.html", me=who.user, csrf=who.csrf, sessions=listed, current=who.session.id)


@router.post("/sessions/{session_id}/end")
def sessions_end(request: Request, session_id: str, csrf_token: FormText = "") -> Response:
    who = viewer(request)
    check_form_token(who, csrf_token)
    svc = services(request)
    session = svc.sessions.get(session_id)
    if session is None or not (who.user.is_admin or session.user_id == who.user.id):
        raise NotFound("There is no such session (it may have ended already).")
    svc.sessions.end(session.id)
    svc.audit.record_now("session.ended", who.actor, target=session.user_name, session=session.id)
    if session.id == who.session.id:
        return redirect("/login?done=signed-out")
    return redirect("/sessions?done=session-ended")


@router.get("/log")
def log_page(request: Request, before: int | None = None) -> Response:
    who = viewer(request, admin=True)
    records = services(request).audit.query(limit=LOG_PAGE, before=before)
    older = records[-1].id if len(records) == LOG_PAGE else None
    return render(request, "log.html", me=who.user, csrf=who.csrf, records=records, older=older)


@router.get("/account")
def account_page(request: Request) -> Response:
    who = viewer(request)
    own = services(request).sessions.list(who.user.id)
    return render(request, "account.html", me=who.user, csrf=who.csrf, sessions=own, current=who.session.id)
