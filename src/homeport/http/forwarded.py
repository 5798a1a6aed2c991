"""Who the client is: the TCP peer, unless that peer is a reverse proxy the owner trusts explicitly.

uvicorn's own proxy support is off in every listener (it trusts loopback by default, so any local process
could choose the address that auto block, the audit log and the recovery window see). Forwarding headers
are read only when the peer is in the `trusted_proxies` setting (empty by default), and only the one form
the owner's proxy sets (`proxy_header`: `X-Forwarded-For`, `Forwarded` or `X-Real-IP`): a proxy passes the
other forms through as the client sent them. The chain is walked from the nearest hop: the first address
that is not itself a trusted proxy is the client. The peer is kept in the scope and every request from a
trusted proxy is marked (named client or not), so the recovery window can refuse anything that did not come
straight from the LAN.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from starlette.types import ASGIApp, Receive, Scope, Send

from homeport.core.addresses import IpAddress, IpNetwork, parse_client, within

PEER_KEY = "homeport.peer"
FORWARDED_KEY = "homeport.forwarded"
MAX_HOPS = 20

_FORWARDED_FOR = re.compile(r'(?:^|[;,\s])for\s*=\s*("[^"]*"|[^;,\s]+)', re.IGNORECASE)


def parse_address(text: str) -> IpAddress | None:
    """An address from a header value: `1.2.3.4`, `1.2.3.4:80`, `[2001:db8::1]:80`, `2001:db8::1`."""
    value = text.strip().strip('"').strip()
    if value.startswith("["):
        value = value[1:].split("]", 1)[0]
    elif value.count(":") == 1:
        value = value.split(":", 1)[0]
    return parse_client(value)


def _headers(scope: Scope, name: bytes) -> list[str]:
    return [value.decode("latin-1") for key, value in scope.get("headers", []) if key.lower() == name]


def forwarded_chain(scope: Scope, header: str) -> list[str]:
    """The hops the proxy reported in `header` (one of PROXY_HEADERS), farthest first."""
    values = _headers(scope, header.encode())
    if header == "forwarded":
        return [match.group(1) for value in values for match in _FORWARDED_FOR.finditer(value)]
    if header == "x-forwarded-for":
        return [part for value in values for part in value.split(",") if part.strip()]
    return values[-1:]


def client_behind(peer: IpAddress, chain: list[str], trusted: tuple[IpNetwork, ...]) -> IpAddress | None:
    """The client a trusted peer forwarded: the nearest hop that is not a trusted proxy; None to keep the peer."""
    if not within(peer, trusted) or not chain:
        return None
    for text in reversed(chain[-MAX_HOPS:]):
        hop = parse_address(text)
        if hop is None:
            return None  # a value the proxy did not set as an address: trust nothing past it
        if not within(hop, trusted):
            return hop
    return None


class ForwardedClient:
    """Sets `scope["client"]` to the real client and keeps the TCP peer in `scope["homeport.peer"]`."""

    def __init__(self, app: ASGIApp, trusted: Callable[[], tuple[tuple[IpNetwork, ...], str]]) -> None:
        self.app = app
        self.trusted = trusted  # the trusted proxies and the header they set

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            client = scope.get("client")
            scope[PEER_KEY] = client[0] if client else ""
            scope[FORWARDED_KEY] = False
            peer = parse_address(str(client[0])) if client else None
            proxies, header = self.trusted()
            if peer is not None and within(peer, proxies):
                scope[FORWARDED_KEY] = True  # through a proxy, whether or not it named the client
                behind = client_behind(peer, forwarded_chain(scope, header), proxies)
                if behind is not None:
                    scope["client"] = (str(behind), 0)
        await self.app(scope, receive, send)


def was_forwarded(scope: Scope) -> bool:
    """True if the request came through a trusted proxy (its header may or may not have named the client)."""
    return bool(scope.get(FORWARDED_KEY, False))
