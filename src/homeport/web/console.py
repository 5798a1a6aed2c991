"""The console assembled: its routers, static files, and HTML error pages for every path outside the API."""

from __future__ import annotations

import inspect
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from homeport.auth.totp import Enrolment
from homeport.core.errors import Forbidden, HomeportError
from homeport.http.errors import status_of
from homeport.http.requests import resolve_session
from homeport.web import (
    advisor,
    approvals,
    backups,
    factors,
    file_services,
    manage,
    network,
    notifications,
    pages,
    passkeys,
    recovery,
    security,
    selftest,
    shares,
    signin,
    updates,
)
from homeport.web.flash import Kept
from homeport.web.forms import Submissions
from homeport.web.guard import Redirect, redirect
from homeport.web.once import PerSession
from homeport.web.render import render

API_PATHS = "/api/"


def error_page(request: Request, status: int, message: str) -> Response:
    """An error in the console's frame: a signed-in owner keeps the navigation and is told what to do next."""
    found = resolve_session(request)
    restricted = found is not None and (found[0].recovery or found[1].must_change_password)
    me, csrf = (found[1], found[0].csrf_token) if found is not None else (None, "")
    return render(request, "error.html", status, error=message, status=status, me=me, csrf=csrf, restricted=restricted)


def _on_redirect(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, Redirect)
    return redirect(exc.location)


def install(app: FastAPI) -> None:
    """Add the console's pages, static files and HTML error pages to `app`."""
    app.state.kept = Kept()
    app.state.submissions = Submissions()
    app.state.new_codes = PerSession[list[str]]()
    app.state.enrolments = PerSession[Enrolment]()
    app.mount("/static", StaticFiles(directory=str(Path(__file__).parent / "static")), name="static")
    app.include_router(pages.router)
    app.include_router(manage.router)
    app.include_router(security.router)
    app.include_router(network.router)
    app.include_router(recovery.router)
    app.include_router(signin.router)
    app.include_router(factors.router)
    app.include_router(passkeys.router)
    app.include_router(approvals.router)
    app.include_router(advisor.router)
    app.include_router(shares.router)
    app.include_router(file_services.router)
    app.include_router(selftest.router)
    app.include_router(notifications.router)
    app.include_router(backups.router)
    app.include_router(updates.router)
    app.add_exception_handler(Redirect, _on_redirect)
    api_handler = app.exception_handlers[HomeportError]

    async def on_error(request: Request, exc: Exception) -> Response:
        if request.url.path.startswith(API_PATHS) or not isinstance(exc, HomeportError):
            answer = api_handler(request, exc)
            return await answer if inspect.isawaitable(answer) else answer
        code = 403 if isinstance(exc, Forbidden) else status_of(exc)
        return error_page(request, code, exc.message)

    app.add_exception_handler(HomeportError, on_error)
    http_handler = app.exception_handlers[StarletteHTTPException]

    async def on_http_error(request: Request, exc: Exception) -> Response:
        if request.url.path.startswith(API_PATHS) or not isinstance(exc, StarletteHTTPException):
            answer = http_handler(request, exc)
            return await answer if inspect.isawaitable(answer) else answer
        return error_page(request, exc.status_code, "There is no such page.")

    app.add_exception_handler(StarletteHTTPException, on_http_error)
    validation_handler = app.exception_handlers[RequestValidationError]

    async def on_validation_error(request: Request, exc: Exception) -> Response:
        # A console address whose number or name is malformed (`/account/remembered/abc/forget`) is no page.
        if request.url.path.startswith(API_PATHS) or not isinstance(exc, RequestValidationError):
            answer = validation_handler(request, exc)
            return await answer if inspect.isawaitable(answer) else answer
        return error_page(request, 404, "There is no such page.")

    app.add_exception_handler(RequestValidationError, on_validation_error)
