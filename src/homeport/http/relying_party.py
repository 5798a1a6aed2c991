"""Which passkey relying party a request speaks to: the device's own `<label>.local` name, and only that.

Browsers refuse WebAuthn on IP addresses, and the RP ID must never come from a `Host` header a stranger chose:
it is the request's host only when that is the name the device announces (its mDNS label, `<name>-2` when
another device had the name first; `<name>.local` before anything was announced). The origin is that name on the
port of the HTTPS listener the request came in on.
"""

from __future__ import annotations

import re

from fastapi import Request

from homeport.auth.passkey_ceremony import RelyingParty
from homeport.core.errors import Conflict, Forbidden
from homeport.http.requests import services, via
from homeport.services import Services

_HOST = re.compile(r"^([A-Za-z0-9.-]{1,253}?)\.?(?::(\d{1,5}))?$")


def local_host(svc: Services) -> str:
    """The `.local` name the LAN knows the device by: its name, or `<name>-N` when another device had it first."""
    name = svc.device.name()
    label = svc.advertiser.host_for(name) if svc.advertiser is not None else None
    return f"{label or name}.local"


def passkey_host(svc: Services) -> str:
    """The one host name passkeys are registered on: `<label>.local`."""
    return local_host(svc).lower()


def request_host(request: Request) -> str:
    """The host the browser asked for (no port, lower case), or "" when the header is not a host name."""
    match = _HOST.fullmatch(request.headers.get("host", ""))
    return match.group(1).lower() if match else ""


def _port_suffix(port: int) -> str:
    return "" if port == 443 else f":{port}"


def relying_party(request: Request) -> RelyingParty | None:
    """The relying party of this request, or None when passkeys cannot work here (an address, another name,
    plain HTTP or the CLI's socket)."""
    where = via(request)
    if where is None or request.url.scheme != "https":
        return None
    host = request_host(request)
    if host != passkey_host(services(request)):
        return None
    return RelyingParty(rp_id=host, origin=f"https://{host}{_port_suffix(where.port)}")


def passkey_address(request: Request) -> str:
    """Where the console must be opened for passkeys to work (e.g. `https://nas.local:5001/`)."""
    where = via(request)
    port = where.port if where is not None else 443
    return f"https://{passkey_host(services(request))}{_port_suffix(port)}/"


def require_relying_party(request: Request, *, check_origin: bool) -> RelyingParty:
    """The relying party, or a refusal saying where passkeys work. `check_origin`: a request without a session
    (a sign-in) must come from the console's own page, whose `Origin` the browser always sends."""
    rp = relying_party(request)
    if rp is None:
        raise Conflict(
            f"Passkeys work only on the device's name: open {passkey_address(request)} and try again there.",
            code="passkey_wrong_host",
        )
    if check_origin and request.headers.get("origin") != rp.origin:
        raise Forbidden(
            f"Send this from the console's own page ({rp.origin}): other origins are refused.", code="cross_origin"
        )
    return rp
