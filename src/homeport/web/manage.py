"""Management pages: users, groups, sessions, the log, my account."""

from __future__ import annotations

import datetime
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from starlette.responses import Response

from homeport.accounts.models import ADMINISTRATORS, GROUP_SORTS, UserChanges, group_text
from homeport.audit.log import LOG_KINDS, LOG_OUTCOMES, LogFilter
from homeport.auth.factors import policy_applies
from homeport.auth.sessions import SESSION_SORTS, session_text
from homeport.core.errors import InvalidInput, NotFound
from homeport.core.paging import DEFAULT_LIMIT, PageRequest, page_of
from homeport.http.inputs import AdminProofIn, GroupCreateIn, PasswordSetIn, UserCreateIn, UserPatchIn
from homeport.http.requests import services
from homeport.web.forms import Submitted, handle, limits, parse
from homeport.web.guard import Viewer, viewer
from homeport.web.render import render

router = APIRouter(include_in_schema=False)
LOG_PAGE = 100
LOG_SEARCH_MAX = 100  # what the log search and its user filter read of what was typed
LOG_USER_MAX = 64


# --- users ------------------------------------------------------------------------------------------------


def page_request(request: Request, default_sort: str = "") -> PageRequest:
    """The console's lists: 50 a page, `offset`, `q` and `sort` from the address (junk is ignored)."""
    query = request.query_params
    offset = query.get("offset", "0")
    return PageRequest(
        limit=DEFAULT_LIMIT,
        offset=min(int(offset), 2**31) if offset.isdigit() else 0,
        q=query.get("q", "")[:100],
        sort=query.get("sort", default_sort)[:32],
    )


@router.get("/users")
def users_page(request: Request) -> Response:
    who = viewer(request, admin=True)
    svc = services(request)
    page = svc.accounts.page_users(page_request(request))
    summaries = {u.id: svc.factors.summary(u.id) for u in page.items}  # a page is at most 50 accounts
    return render(
        request,
        "users.html",
        me=who.user,
        csrf=who.csrf,
        page=page,
        second_factors={i: "2FA suspended" if s.suspended else "2FA" for i, s in summaries.items() if s.any},
        awaiting=svc.accounts.awaiting_password(),
        smb_needs_password=set(svc.files.accounts_needing_password(among=[u.name for u in page.items])),
        groups=svc.accounts.group_names(),
        min_length=svc.accounts.policy().min_length,
        limits=limits(UserCreateIn),
    )


@router.post("/users")
async def users_create(request: Request) -> Response:
    accounts = services(request).accounts

    def act(who: Viewer, form: Submitted) -> str:
        fields = form.pick("name", "full_name", "email", "password")
        body = parse(UserCreateIn, {**fields, "groups": form.every("groups")})
        new = accounts.prepare_user(
            body.name,
            body.password,
            full_name=body.full_name,
            email=body.email,
            groups=tuple(body.groups),
            must_change_password=form.checked("must_change_password"),
        )
        accounts.create_user(who.actor, new)
        return "/users?done=user-created"

    return await handle(request, act, back="/users", admin=True)


@router.get("/users/{name}")
def user_page(request: Request, name: str) -> Response:
    who = viewer(request, admin=True)
    svc = services(request)
    user = svc.accounts.get_user(name)
    return render(
        request,
        "user.html",
        me=who.user,
        csrf=who.csrf,
        user=user,
        groups=svc.accounts.list_groups(),
        factors=svc.factors.summary(user.id),
        factor_required=policy_applies(user, svc.settings.security()),
        smb_needs_password=bool(svc.files.accounts_needing_password(among=[user.name])),
        limits={**limits(UserPatchIn), **limits(PasswordSetIn)},
    )


def _user_url(name: str, done: str = "") -> str:
    return f"/users/{quote(name)}" + (f"?done={done}" if done else "")


@router.post("/users/{name}")
async def user_save(request: Request, name: str) -> Response:
    accounts = services(request).accounts

    def act(who: Viewer, form: Submitted) -> str:
        body = parse(UserPatchIn, form.pick("full_name", "email"))
        groups = {g for g in form.every("groups") if g != ADMINISTRATORS}
        groups |= {ADMINISTRATORS} if form.checked("admin") else set()
        changes = UserChanges(
            full_name=body.full_name, email=body.email, enabled=form.checked("enabled"), groups=tuple(sorted(groups))
        )
        accounts.update_user(who.actor, name, changes)
        return _user_url(name, "user-saved")

    return await handle(request, act, back=_user_url(name), admin=True)


@router.post("/users/{name}/password")
async def user_password(request: Request, name: str) -> Response:
    credentials = services(request).credentials

    def act(who: Viewer, form: Submitted) -> str:
        body = parse(PasswordSetIn, form.pick("password", "admin_password"))
        credentials.set_for(
            who.actor,
            who.user,
            body.admin_password,
            name,
            body.password,
            must_change=form.checked("must_change_password"),
            keep_session=who.session.id,
        )
        return _user_url(name, "user-password")

    return await handle(request, act, back=_user_url(name), admin=True)


# The user page has two forms asking for the admin's own password: this one's field has its own name.
FACTORS_PROOF = "factors_admin_password"


@router.post("/users/{name}/factors/clear")
async def user_factors_clear(request: Request, name: str) -> Response:
    credentials = services(request).credentials

    def act(who: Viewer, form: Submitted) -> str:
        try:
            body = parse(AdminProofIn, {"admin_password": form.text(FACTORS_PROOF)})
            credentials.clear_factors_for(who.actor, who.user, body.admin_password, name)
        except InvalidInput as exc:
            fields = {FACTORS_PROOF if k == "admin_password" else k: v for k, v in exc.fields.items()}
            raise InvalidInput(exc.message, code=exc.code, fields=fields) from None
        return _user_url(name, "factors-cleared")

    return await handle(request, act, back=_user_url(name), admin=True)


@router.post("/users/{name}/delete")
async def user_delete(request: Request, name: str) -> Response:
    accounts = services(request).accounts

    def act(who: Viewer, _: Submitted) -> str:
        accounts.delete_user(who.actor, name)
        return "/users?done=user-deleted"

    return await handle(request, act, back=_user_url(name), admin=True)


# --- groups -----------------------------------------------------------------------------------------------


@router.get("/groups")
def groups_page(request: Request) -> Response:
    who = viewer(request, admin=True)
    groups = services(request).accounts.list_groups()
    page = page_of(groups, page_request(request), text=group_text, keys=GROUP_SORTS, default="name")
    return render(request, "groups.html", me=who.user, csrf=who.csrf, page=page, limits=limits(GroupCreateIn))


@router.post("/groups")
async def groups_create(request: Request) -> Response:
    accounts = services(request).accounts

    def act(who: Viewer, form: Submitted) -> str:
        body = parse(GroupCreateIn, form.pick("name", "description"))
        accounts.create_group(who.actor, body.name, body.description)
        return "/groups?done=group-created"

    return await handle(request, act, back="/groups", admin=True)


@router.post("/groups/{name}/delete")
async def groups_delete(request: Request, name: str) -> Response:
    accounts = services(request).accounts

    def act(who: Viewer, _: Submitted) -> str:
        accounts.delete_group(who.actor, name)
        return "/groups?done=group-deleted"

    return await handle(request, act, back="/groups", admin=True)


# --- sessions, log, account -------------------------------------------------------------------------------


@router.get("/sessions")
def sessions_page(request: Request) -> Response:
    who = viewer(request)
    svc = services(request)
    listed = svc.sessions.list(None if who.user.is_admin else who.user.id)
    page = page_of(listed, page_request(request), text=session_text, keys=SESSION_SORTS, default="-last_seen")
    return render(request, "sessions.html", me=who.user, csrf=who.csrf, page=page, current=who.session.id)


@router.post("/sessions/{session_id}/end")
async def sessions_end(request: Request, session_id: str) -> Response:
    svc = services(request)

    def act(who: Viewer, _: Submitted) -> str:
        session = svc.sessions.get(session_id)
        if session is None or not (who.user.is_admin or session.user_id == who.user.id):
            raise NotFound("There is no such session (it may have ended already).")
        svc.sessions.end(session.id)
        svc.audit.record_now("session.ended", who.actor, target=session.user_name, session=session.id)
        return "/login?done=signed-out" if session.id == who.session.id else "/sessions?done=session-ended"

    return await handle(request, act, back="/sessions")


LOG_KIND_NAMES = {
    "auth": "Sign-ins and blocks", "user": "Accounts", "group": "Groups", "session": "Sessions",
    "settings": "Settings", "network": "Network", "system": "System", "recovery": "Resets and recovery",
}  # fmt: skip


def _day(text: str, *, end: bool = False) -> float | None:
    """A date from the filter form as a local-time bound (the end of the day for `until`)."""
    try:
        day = datetime.date.fromisoformat(text)
    except ValueError:
        return None
    start = datetime.datetime.combine(day, datetime.time())
    return (start + datetime.timedelta(days=1 if end else 0)).timestamp()


@router.get("/log")
def log_page(
    request: Request, before: int | None = None, q: str = "", kind: str = "", outcome: str = "", user: str = "",
    since: str = "", until: str = "",
) -> Response:  # fmt: skip
    who = viewer(request, admin=True)
    matching = LogFilter(
        kind=kind if kind in LOG_KINDS else "", actor=user[:LOG_USER_MAX],
        outcome=outcome if outcome in LOG_OUTCOMES else "", since=_day(since), until=_day(until, end=True),
        text=q[:LOG_SEARCH_MAX],
    )  # fmt: skip
    records = services(request).audit.query(limit=LOG_PAGE, before=before, matching=matching)
    older = None
    if len(records) == LOG_PAGE:
        kept = {k: v for k, v in request.query_params.items() if k != "before"}
        older = "/log?" + urlencode({**kept, "before": records[-1].id})
    return render(
        request, "log.html", me=who.user, csrf=who.csrf, records=records, older=older, filters=matching,
        kinds=list(LOG_KIND_NAMES.items()), outcomes=LOG_OUTCOMES, since=since[:10], until=until[:10],
        filtered=matching != LogFilter(), limits={"q": LOG_SEARCH_MAX, "user": LOG_USER_MAX},
    )  # fmt: skip


@router.get("/account")
def account_page(request: Request) -> Response:
    who = viewer(request)
    own = services(request).sessions.list(who.user.id)
    return render(request, "account.html", me=who.user, csrf=who.csrf, sessions=own, current=who.session.id)
