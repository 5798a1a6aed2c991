"""The ASGI application: the JSON API under /api/v1 and, on the network surface, the web console.

Two surfaces share the same services: `network` (HTTPS, sessions, the console) and `local` (the Unix socket
of the CLI, where the caller is root on the machine and the console is not served).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, FastAPI

from homeport import __version__
from homeport.api import errors
from homeport.api.deps import installed
from homeport.api.forwarded import ForwardedClient
from homeport.api.gate import TARPIT_SECONDS, SignInGate
from homeport.api.middleware import BodyLimit, CrossOriginGuard, SecurityHeaders
from homeport.api.routes import auth, groups, log, me, network, recovery, sessions, settings, system, users
from homeport.core.addresses import IpNetwork
from homeport.services import Services

API_PREFIX = "/api/v1"


def _api(local: bool) -> APIRouter:
    api = APIRouter(prefix=API_PREFIX)
    api.include_router(system.router)
    api.include_router(auth.router)
    api.include_router(me.router)
    for router in (users.router, groups.router, sessions.router, log.router, settings.router, recovery.router):
        api.include_router(router, dependencies=[Depends(installed)])
    # Root may set the network up before the setup wizard runs (e.g. a static address first).
    api.include_router(network.router)
    api.include_router(network.confirm_router)
    if local:
        api.include_router(system.local_router)
        api.include_router(recovery.button_router)
    return api


def create_app(
    services: Services, *, local: bool = False, urls: list[str] | None = None, tarpit_seconds: float = TARPIT_SECONDS
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
    app.state.urls = list(urls or [])
    errors.install(app)
    app.include_router(_api(local))
    if not local:
        from homeport.web.pages import install as install_console

        install_console(app)
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
