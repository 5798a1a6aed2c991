"""API routes, one module per domain, gathered under /api/v1."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from homeport.api.deps import installed
from homeport.api.routes import (
    advisor,
    approvals,
    auth,
    backups,
    factors,
    groups,
    log,
    me,
    network,
    notifications,
    passkeys,
    recovery,
    selftest,
    sessions,
    settings,
    shares,
    smb,
    system,
    updates,
    users,
    volumes,
)

API_PREFIX = "/api/v1"


def api_router(local: bool) -> APIRouter:
    """Every API route; the button and the operator's own routes only on the CLI's socket (`local`)."""
    api = APIRouter(prefix=API_PREFIX)
    api.include_router(system.router)
    api.include_router(auth.router)
    api.include_router(passkeys.router)
    api.include_router(approvals.router)
    api.include_router(me.router)
    api.include_router(factors.router, dependencies=[Depends(installed)])
    for router in (users.router, groups.router, sessions.router, log.router, settings.router, recovery.router,
                   advisor.router, volumes.router, shares.router, smb.router, selftest.router,
                   notifications.router, backups.router, updates.router):  # fmt: skip
        api.include_router(router, dependencies=[Depends(installed)])
    # Root may set the network up before the setup wizard runs (e.g. a static address first).
    api.include_router(network.router)
    api.include_router(network.confirm_router)
    if local:
        api.include_router(system.local_router)
        api.include_router(recovery.button_router)
        api.include_router(approvals.local_router, dependencies=[Depends(installed)])
    return api
