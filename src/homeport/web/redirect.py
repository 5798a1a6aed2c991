"""The plain-HTTP listener: everything moves to HTTPS, except the CA certificate, which must be fetchable
before the owner trusts it.

The redirect names only hosts the device answers to (its names, `.local` names and addresses: those its
certificate holds); any other `Host` header is answered with the address the request reached, so the
listener never sends a browser somewhere a stranger chose.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from homeport.http.middleware import SecurityHeaders
from homeport.web.pages import CA_FILENAME

_HOST = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]{1,253})(:\d{1,5})?$")
KnownHosts = Callable[[], frozenset[str]]


def _url_host(host: str) -> str:
    """A host as it goes in a URL: IPv6 addresses in brackets."""
    try:
        return f"[{host}]" if ipaddress.ip_address(host).version == 6 else host
    except ValueError:
        return host


def https_location(host_header: str, https_port: int, path: str, query: str, known: frozenset[str], here: str) -> str:
    """The HTTPS URL for `path`: on the host the browser asked for if the device answers to it, else on `here`
    (the address the request reached)."""
    match = _HOST.fullmatch(host_header or "")
    asked = match.group(1).strip("[]").lower().rstrip(".") if match else ""
    host = _url_host(asked if asked in known else here)
    port = "" if https_port == 443 else f":{https_port}"
    return f"https://{host}{port}{path}" + (f"?{query}" if query else "")


def create_redirect_app(ca_certificate: bytes, https_port: int, known_hosts: KnownHosts) -> SecurityHeaders:
    async def ca(_: Request) -> Response:
        return Response(
            ca_certificate,
            media_type="application/x-x509-ca-cert",
            headers={"Content-Disposition": f'attachment; filename="{CA_FILENAME}"'},
        )

    async def elsewhere(request: Request) -> Response:
        server = request.scope.get("server")
        here = str(server[0]) if server else "localhost"
        location = https_location(
            request.headers.get("host", ""), https_port, request.url.path, request.url.query, known_hosts(), here
        )
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
