"""Entry pages: setup wizard, sign-in, sign-out, password change, overview, CA certificate download."""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Request
from starlette.responses import Response

from homeport.audit.log import Actor
from homeport.auth.login import SecondStep
from homeport.backups.layout import shared_folders
from homeport.core.errors import Forbidden, HomeportError, InvalidInput
from homeport.http.cookies import (
    SESSION_COOKIE,
    clear_session_cookie,
    set_device_cookie,
    set_preauth_cookie,
    set_sign_in_cookies,
)
from homeport.http.inputs import LoginIn, PasswordChangeIn, RestoreIn, SetupAdminIn, SetupIn
from homeport.http.relying_party import local_host
from homeport.http.requests import client_address, origin_of, services
from homeport.system.health import read_health
from homeport.web.forms import EXPIRED_FORM, Submitted, handle, limits, parse, run_form, token_matches
from homeport.web.guard import Redirect, Viewer, redirect, state_redirect, viewer
from homeport.web.render import render

router = APIRouter(include_in_schema=False)
CA_FILENAME = "homeport-ca.crt"


NEXT_MAX = 2048


def safe_next(target: str) -> str:
    """Only a path on this device: never an open redirect. Browsers drop tabs and newlines from a URL and read a
    backslash as a slash, so `/<tab>/evil.example` would become `//evil.example`: any such character (any control
    character or white space) makes it "/"."""
    if not target.startswith("/") or len(target) > NEXT_MAX:
        return "/"
    if target.startswith("//") or any(c == "\\" or c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F for c in target):
        return "/"
    return target if not urlsplit(target).netloc else "/"


def ca_certificate(request: Request) -> Response:
    return Response(
        services(request).tls.ca_certificate_pem(),
        media_type="application/x-x509-ca-cert",
        headers={"Content-Disposition": f'attachment; filename="{CA_FILENAME}"'},
    )


router.add_api_route("/ca.crt", ca_certificate, methods=["GET"])


NOTICES_SHOWN = 10


@router.get("/")
def overview(request: Request) -> Response:
    who = viewer(request)
    svc = services(request)
    admin = who.user.is_admin
    events = svc.audit.query(limit=10) if admin else []
    return render(
        request,
        "overview.html",
        neighbours=svc.other_homeports(),
        hardware=svc.button.source.description,
        feedback=svc.feedback,
        me=who.user,
        csrf=who.csrf,
        info=svc.device.info(),
        volumes=svc.volumes.list() if admin else [],
        smb=svc.files.status() if admin else None,
        shares=svc.shares.list() if admin else [],
        events=events,
        notices=svc.notices.service.notices(unread_only=True, limit=NOTICES_SHOWN) if admin else [],
        health=read_health(),
    )


SETUP_STATES = ("not-installed", "migratable")


@router.get("/setup")
def setup_page(request: Request) -> Response:
    svc = services(request)
    if svc.device.state() not in SETUP_STATES:
        return redirect("/")
    return render(
        request,
        "setup.html",
        default_name=svc.device.name(),
        local_name=local_host(svc),
        backups=svc.restore.backups(),
        folders=shared_folders(svc.volumes.paths),
        limits={**limits(SetupIn), **limits(SetupAdminIn), **{f"restore_{k}": v for k, v in limits(RestoreIn).items()}},
    )


def _same_twice(form: Submitted, name: str, again: str) -> None:
    if form.text(name) != form.text(again):
        raise InvalidInput.field(again, "The two passwords differ; type the same password twice.")


def _not_set_up_yet(request: Request) -> bool:
    return services(request).device.state() in SETUP_STATES


@router.post("/setup/restore")
async def setup_restore(request: Request) -> Response:
    svc = services(request)
    if not _not_set_up_yet(request):
        return redirect("/")

    def step(form: Submitted) -> str:
        try:
            _same_twice(form, "password", "password_again")
            body = parse(RestoreIn, form.pick("backup", "administrator", "password"))
            actor = Actor(body.administrator, client_address(request))
            svc.restore.restore(body.backup, body.administrator, body.password, actor)
        except HomeportError as exc:
            exc.fields = {f"restore_{k}": v for k, v in exc.fields.items()}  # the page has two forms
            raise
        return "/login?done=restored-setup&username=" + quote(body.administrator)

    return await run_form(request, step, back="/setup", token_ok=lambda _: True)


@router.post("/setup")
async def setup_submit(request: Request) -> Response:
    svc = services(request)
    if not _not_set_up_yet(request):
        return redirect("/")

    def step(form: Submitted) -> str:
        name, username, password = form.text("name"), form.text("username"), form.text("password")
        try:
            _same_twice(form, "password", "password_again")
            parse(SetupIn, {"name": name, "admin": {"username": username, "password": password}}, depth=2)
            svc.setup.run(name, username, password, Actor(username, client_address(request)))
        except HomeportError as exc:
            exc.fields = {k.removeprefix("admin."): v for k, v in exc.fields.items()}
            raise
        return "/login?done=setup&username=" + quote(username)

    return await run_form(request, step, back="/setup", token_ok=lambda _: True)


@router.get("/damaged")
def damaged_page(request: Request) -> Response:
    svc = services(request)
    if svc.device.state() != "damaged":
        return redirect("/")
    return render(request, "damaged.html", info=svc.device.info())


@router.get("/login")
def login_page(request: Request, next: str = "/", username: str = "") -> Response:
    target = state_redirect(request)
    if target:
        return redirect(target)
    svc = services(request)
    opened = svc.recovery_access.open_window()
    ending = svc.recovery_access.ending(request.cookies.get(SESSION_COOKIE))
    return render(
        request, "login.html", next=safe_next(next), form={"username": username[:64]},
        recovery_until=opened.closes_at if opened else None,
        error=ending.message if ending is not None else "",
        presence_required=svc.settings.security().recovery_button_confirmation,
        limits=limits(LoginIn),
    )  # fmt: skip


@router.post("/login")
async def login_submit(request: Request) -> Response:
    svc = services(request)
    target = state_redirect(request)
    if target:
        return redirect(target)

    def step(form: Submitted) -> Response:
        body = parse(LoginIn, form.pick("username", "password"))
        result = svc.login.sign_in(body.username, body.password, origin_of(request))
        if isinstance(result, SecondStep):
            result.waiting.data["next"] = safe_next(form.text("next", "/"))
            pending = redirect("/login/enrol" if result.must_enrol else "/login/second-step")
            set_preauth_cookie(pending, result)
            return pending
        if result.session.recovery:
            next_page = "/recovery/password"
        elif result.user.must_change_password:
            next_page = "/password"
        else:
            next_page = safe_next(form.text("next", "/"))
        response = redirect(next_page)
        set_sign_in_cookies(response, result)
        return response

    def back(form: Submitted) -> str:
        return "/login?next=" + quote(safe_next(form.text("next", "/")))

    return await run_form(request, step, back=back, token_ok=lambda _: True)


@router.post("/logout")
async def logout_submit(request: Request) -> Response:
    try:
        who = viewer(request, allow_restricted=True)
    except Redirect:
        return redirect("/login")
    form = Submitted.of(await request.form())
    if not token_matches(who, form):
        raise Forbidden(EXPIRED_FORM, code="csrf_token_missing")
    svc = services(request)
    svc.sessions.end(who.session.id)
    svc.audit.record_now("auth.sign_out", who.actor, target=who.user.name)
    response = redirect("/login?done=signed-out")
    clear_session_cookie(response)
    return response


@router.get("/password")
def password_page(request: Request) -> Response:
    who = viewer(request, allow_restricted=True)
    forced = who.user.must_change_password
    return render(
        request, "password.html", me=who.user, csrf=who.csrf, forced=forced, restricted=forced,
        limits=limits(PasswordChangeIn),
    )  # fmt: skip


@router.post("/password")
async def password_submit(request: Request) -> Response:
    svc = services(request)

    def act(who: Viewer, form: Submitted) -> Response:
        _same_twice(form, "new_password", "new_password_again")
        body = parse(PasswordChangeIn, form.pick("current_password", "new_password"))
        user = svc.credentials.change_own(who.user, body.current_password, body.new_password, who.actor, who.session.id)
        response = redirect("/account?done=password")
        set_device_cookie(response, svc.login.remember_device(user, origin_of(request)))
        return response

    return await handle(request, act, back="/password", allow_restricted=True)
