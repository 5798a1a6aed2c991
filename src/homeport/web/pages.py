"""Entry pages: setup wizard, sign-in, sign-out, password change, overview, CA certificate download."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from homeport.audit.log import Actor
from homeport.core.errors import HomeportError, InvalidInput, TooManyAttempts
from homeport.http.cookies import SESSION_COOKIE, clear_session_cookie, set_device_cookie, set_sign_in_cookies
from homeport.http.errors import status_of
from homeport.http.requests import client_address, origin_of, services
from homeport.recovery.backups import shared_folders
from homeport.web.guard import Redirect, check_form_token, redirect, state_redirect, viewer
from homeport.web.render import render

router = APIRouter(include_in_schema=False)
CA_FILENAME = "homeport-ca.crt"
FormText = Annotated[str, Form(max_length=4096)]


def safe_next(target: str) -> str:
    """Only local paths: never an open redirect."""
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/"


def ca_certificate(request: Request) -> Response:
    return Response(
        services(request).tls.ca_certificate_pem(),
        media_type="application/x-x509-ca-cert",
        headers={"Content-Disposition": f'attachment; filename="{CA_FILENAME}"'},
    )


router.add_api_route("/ca.crt", ca_certificate, methods=["GET"])


@router.get("/")
def overview(request: Request) -> Response:
    who = viewer(request)
    svc = services(request)
    events = svc.audit.query(limit=10) if who.user.is_admin else []
    return render(
        request,
        "overview.html",
        neighbours=svc.other_homeports(),
        hardware=svc.button.source.description,
        feedback=svc.feedback,
        me=who.user,
        csrf=who.csrf,
        info=svc.device.info(),
        volumes=svc.volumes.list(),
        events=events,
    )


SETUP_STATES = ("not-installed", "migratable")


def _setup_page(request: Request, status: int = 200, **extra: object) -> Response:
    svc = services(request)
    found = svc.restore.backups()
    folders = shared_folders(svc.volumes.paths)
    context: dict[str, object] = {"form": {"name": svc.device.default_name()}, "backups": found, "folders": folders}
    context.update(extra)
    return render(request, "setup.html", status, **context)


@router.get("/setup")
def setup_page(request: Request) -> Response:
    if services(request).device.state() not in SETUP_STATES:
        return redirect("/")
    return _setup_page(request)


@router.post("/setup/restore")
def setup_restore(
    request: Request, backup: FormText = "", administrator: FormText = "", password: FormText = "",
    password_again: FormText = "",
) -> Response:  # fmt: skip
    svc = services(request)
    if svc.device.state() not in SETUP_STATES:
        return redirect("/")
    restore_form = {"backup": backup, "administrator": administrator}
    try:
        if password != password_again:
            raise InvalidInput.field("password_again", "The two passwords differ; type the same password twice.")
        svc.restore.restore(backup, administrator, password, Actor(administrator, client_address(request)))
    except HomeportError as exc:
        fields = {f"restore_{k}": v for k, v in exc.fields.items()}
        return _setup_page(request, status_of(exc), restore_form=restore_form, errors=fields, error=exc.message)
    return redirect("/login?done=restored-setup")


@router.post("/setup")
def setup_submit(
    request: Request,
    name: FormText = "",
    username: FormText = "",
    password: FormText = "",
    password_again: FormText = "",
) -> Response:
    svc = services(request)
    form = {"name": name, "username": username}
    if svc.device.state() not in SETUP_STATES:
        return redirect("/")
    if password != password_again:
        errors = {"password_again": "The two passwords differ; type the same password twice."}
        return _setup_page(request, 422, form=form, errors=errors)
    try:
        svc.setup.run(name, username, password, Actor(username, client_address(request)))
    except HomeportError as exc:
        fields = {k.removeprefix("admin."): v for k, v in exc.fields.items()}
        return _setup_page(request, status_of(exc), form=form, errors=fields, error=exc.message)
    return redirect("/login?done=setup")


@router.get("/damaged")
def damaged_page(request: Request) -> Response:
    svc = services(request)
    if svc.device.state() != "damaged":
        return redirect("/")
    return render(request, "damaged.html", info=svc.device.info())


@router.get("/login")
def login_page(request: Request, next: str = "/") -> Response:
    target = state_redirect(request)
    if target:
        return redirect(target)
    svc = services(request)
    opened = svc.recovery_access.open_window()
    ending = svc.recovery_access.ending(request.cookies.get(SESSION_COOKIE))
    return render(
        request, "login.html", next=safe_next(next), form={}, recovery_until=opened.closes_at if opened else None,
        error=ending.message if ending is not None else "",
        presence_required=svc.settings.security().recovery_button_confirmation,
    )  # fmt: skip


@router.post("/login")
def login_submit(
    request: Request,
    username: FormText = "",
    password: FormText = "",
    next: FormText = "/",
) -> Response:
    svc = services(request)
    target = state_redirect(request)
    if target:
        return redirect(target)
    form = {"username": username}
    try:
        result = svc.login.sign_in(username, password, origin_of(request))
    except HomeportError as exc:
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooManyAttempts) else {}
        opened = svc.recovery_access.open_window()
        page = render(
            request, "login.html", status_of(exc), next=safe_next(next), form=form, error=exc.message,
            recovery_until=opened.closes_at if opened else None,
            presence_required=svc.settings.security().recovery_button_confirmation,
        )  # fmt: skip
        page.headers.update(headers)
        return page
    if result.session.recovery:
        target_page = "/recovery/password"
    elif result.user.must_change_password:
        target_page = "/password"
    else:
        target_page = safe_next(next)
    response = redirect(target_page)
    set_sign_in_cookies(response, result)
    return response


@router.post("/logout")
def logout_submit(request: Request, csrf_token: FormText = "") -> Response:
    try:
        who = viewer(request, allow_restricted=True)
    except Redirect:
        return redirect("/login")
    check_form_token(who, csrf_token)
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
    return render(request, "password.html", me=who.user, csrf=who.csrf, forced=forced, restricted=forced)


@router.post("/password")
def password_submit(
    request: Request,
    csrf_token: FormText = "",
    current_password: FormText = "",
    new_password: FormText = "",
    new_password_again: FormText = "",
) -> Response:
    who = viewer(request, allow_restricted=True)
    check_form_token(who, csrf_token)
    svc = services(request)
    forced = who.user.must_change_password
    page = {"me": who.user, "csrf": who.csrf, "forced": forced, "restricted": forced}
    try:
        if new_password != new_password_again:
            raise InvalidInput.field("new_password_again", "The two new passwords differ; type the same one twice.")
        user = svc.credentials.change_own(who.user, current_password, new_password, who.actor, who.session.id)
    except HomeportError as exc:
        fields = exc.fields
        return render(request, "password.html", status_of(exc), errors=fields, error=exc.message, **page)
    response = redirect("/account?done=password")
    set_device_cookie(response, svc.login.remember_device(user, origin_of(request)))
    return response
