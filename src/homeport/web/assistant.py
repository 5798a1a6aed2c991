"""The web assistant (`homeport find --serve`): a small local page listing every Homeport on the LAN, live,
with a link to each console. Read-only: it only listens to mDNS."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from zeroconf import IPVersion
from zeroconf.asyncio import AsyncZeroconf

from homeport.discovery.finder import Browser
from homeport.http.middleware import SecurityHeaders
from homeport.web.render import TEMPLATES

REFRESH_SECONDS = 3


def create_assistant(browser: Browser) -> Starlette:
    async def page(request: Request) -> Response:
        context = {"found": browser.sorted(), "refresh": REFRESH_SECONDS}
        return TEMPLATES.TemplateResponse(request, "assistant.html", context)

    async def devices(_: Request) -> Response:
        return JSONResponse([s.as_dict() for s in browser.sorted()])

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        zeroconf = AsyncZeroconf(ip_version=IPVersion.V4Only)
        await browser.start(zeroconf.zeroconf, refresh_seconds=REFRESH_SECONDS)
        try:
            yield
        finally:
            await browser.stop()
            await zeroconf.async_close()

    static = StaticFiles(directory=str(Path(__file__).parent / "static"))
    routes = [Route("/", page), Route("/devices.json", devices), Mount("/static", static)]
    return Starlette(routes=routes, lifespan=lifespan)


def serve_assistant(bind: str, port: int) -> None:
    app = SecurityHeaders(create_assistant(Browser()))
    config = uvicorn.Config(
        app, host=bind, port=port, log_config=None, access_log=False, server_header=False, proxy_headers=False
    )
    asyncio.run(uvicorn.Server(config).serve())
