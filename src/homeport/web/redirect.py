"""The plain-HTTP listener: everything moves to HTTPS, except the CA certificate, which must be fetchable
before the owner trusts it."""

from __future__ import annotations

import re

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from homeport.api.middleware import SecurityHeaders
from homeport.web.pages import CA_FILENAME

_HOST = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]{1,253})(:\d{1,5})?$")


def https_location(host_header: str, https_port: int, path: str, query: str) -> str:
    match = _HOST.fullmatch(host_header or "")
    host = match.group(1) if match else "localhost"
    port = "" if https_port == 443 else f":{https_port}"
    return f"https://{host}{port}{path}" + (f"?{query}" if query else "")


def create_redirect_app(ca_certificate: bytes, https_port: int) -> SecurityHeaders:
    async def ca(_: Request) -> Response:
        return Response(
            ca_certificate,
            media_type="application/x-x509-ca-cert",
            headers={"Content-Disposition": f'attachment; filename="{CA_FILENAME}"'},
        )

    async def elsewhere(request: Request) -> Response:
        location = https_location(request.headers.get("host", ""), https_port, request.url.path, request.url.query)
        status = 301 if request.method in ("GET", "HEAD") else 308
        return RedirectResponse(location, status_code=status)

    methods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
    app = Starlette(
        routes=[
            Route("/ca.crt", ca, methods=["GET", "HEAD"]),
            Route("/{path:path}", elsewhere, methods=methods),
        ]
    )
    return SecurityHeaders(app)
