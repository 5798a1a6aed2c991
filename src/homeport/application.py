"""The ASGI application, assembled above the API and the console (which never import each other).

Two surfaces share the same services: `network` (HTTPS, sessions, the console) and `local` (the Unix socket
of the CLI, where the caller is root on the machine and the console is not served).
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI

from homeport import __version__
from homeport.api.routes import API_PREFIX, api_router
from homeport.core.addresses import IpNetwork
from homeport.http import errors
from homeport.http.forwarded import ForwardedClient
from homeport.http.gate import TARPIT_SECONDS, SignInGate
from homeport.http.middleware import BodyLimit, CrossOriginGuard, SecurityHeaders
from homeport.services import Services
from homeport.web import console


def create_app(
    services: Services,
    *,
    local: bool = False,
    urls: Callable[[], list[str]] | None = None,
    tarpit_seconds: float = TARPIT_SECONDS,
) -> FastAPI:
    app = FastAPI(
        title="Homeport",
        version=__version__,
        description="The control plane of a Homeport NAS.",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    app.state.services = services
    app.state.local = local
    app.state.urls = urls or list  # asked on each call: a rename or a port move changes them
    errors.install(app)
    app.include_router(api_router(local))
    if not local:
        console.install(app)
    app.add_middleware(CrossOriginGuard)
    app.add_middleware(BodyLimit)
    if not local:
        app.add_middleware(SignInGate, services=services, tarpit_seconds=tarpit_seconds)
    app.add_middleware(SecurityHeaders)

    def trusted_proxies() -> tuple[tuple[IpNetwork, ...], str]:
        settings = services.settings.security()
        return settings.proxy_networks, settings.proxy_header

    app.add_middleware(ForwardedClient, trusted=trusted_proxies)  # outermost: everything sees the real client
    return app
