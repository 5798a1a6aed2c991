"""The forwarded-client middleware on its own: forwarding headers count only from trusted proxies."""

from __future__ import annotations

import asyncio
import ipaddress
from typing import Any

import pytest

from homeport.core.addresses import IpNetwork
from homeport.http.forwarded import FORWARDED_KEY, PEER_KEY, ForwardedClient, parse_address

FORMS = {
    "x-forwarded-for": [(b"x-forwarded-for", b"192.0.2.66")],
    "forwarded": [(b"forwarded", b'for="192.0.2.66:4711";proto=https')],
    "x-real-ip": [(b"x-real-ip", b"192.0.2.66")],
}


def seen(peer: str, headers: list[tuple[bytes, bytes]], proxies: tuple[str, ...] = (), header: str = "") -> Any:
    """The scope the application behind the middleware sees."""
    trusted: tuple[IpNetwork, ...] = tuple(ipaddress.ip_network(p) for p in proxies)
    captured: dict[str, Any] = {}

    async def app(scope: Any, receive: Any, send: Any) -> None:
        captured.update(scope)

    scope = {"type": "http", "client": (peer, 5555), "headers": headers}
    middleware = ForwardedClient(app, lambda: (trusted, header or "x-forwarded-for"))
    asyncio.run(middleware(scope, None, None))  # type: ignore[arg-type]
    return captured


@pytest.mark.parametrize("form", sorted(FORMS))
@pytest.mark.parametrize("peer", ["127.0.0.1", "::1", "10.211.0.200"])
def test_no_header_form_is_believed_without_a_trusted_proxy(form: str, peer: str) -> None:
    scope = seen(peer, FORMS[form], header=form)
    assert scope["client"][0] == peer and scope[PEER_KEY] == peer and scope[FORWARDED_KEY] is False


@pytest.mark.parametrize("form", sorted(FORMS))
def test_each_form_is_believed_from_a_trusted_proxy_that_sets_it(form: str) -> None:
    scope = seen("10.211.0.2", FORMS[form], ("10.211.0.2",), form)
    assert scope["client"][0] == "192.0.2.66" and scope[PEER_KEY] == "10.211.0.2" and scope[FORWARDED_KEY] is True


@pytest.mark.parametrize("form", sorted(FORMS))
def test_only_the_configured_form_counts(form: str) -> None:
    """A proxy passes the other forms through as the client wrote them: those are the client's own words."""
    other = next(f for f in sorted(FORMS) if f != form)
    scope = seen("10.211.0.2", FORMS[form], ("10.211.0.2",), other)
    assert scope["client"][0] == "10.211.0.2" and scope[FORWARDED_KEY] is True  # still came through the proxy


def test_the_client_is_the_nearest_hop_that_is_not_a_trusted_proxy() -> None:
    # The client typed "1.2.3.4" itself; the proxy appended what it saw (192.0.2.66); 10.0.0.5 is an inner proxy.
    headers = [(b"x-forwarded-for", b"1.2.3.4, 192.0.2.66"), (b"x-forwarded-for", b"10.0.0.5")]
    scope = seen("10.211.0.2", headers, ("10.211.0.2", "10.0.0.0/24"))
    assert scope["client"][0] == "192.0.2.66"


def test_a_chain_of_only_trusted_proxies_or_junk_keeps_the_peer() -> None:
    assert seen("10.211.0.2", [(b"x-forwarded-for", b"10.211.0.2")], ("10.211.0.2",))["client"][0] == "10.211.0.2"
    junk = seen("10.211.0.2", [(b"x-forwarded-for", b"unknown, <script>")], ("10.211.0.2",))
    assert junk["client"][0] == "10.211.0.2"
    bare = seen("10.211.0.2", [], ("10.211.0.2",))
    assert bare["client"][0] == "10.211.0.2"
    # Named or not, whatever comes from a trusted proxy is marked: the recovery window refuses it.
    assert junk[FORWARDED_KEY] is True and bare[FORWARDED_KEY] is True


def test_address_forms_in_headers() -> None:
    assert str(parse_address("192.0.2.1:80")) == "192.0.2.1"
    assert str(parse_address('"[2001:db8::1]:443"')) == "2001:db8::1"
    assert str(parse_address("2001:db8::1")) == "2001:db8::1"
    assert str(parse_address("::ffff:192.0.2.1")) == "192.0.2.1"
    assert parse_address("_hidden") is None and parse_address("") is None


def test_the_listeners_never_let_uvicorn_read_forwarding_headers() -> None:
    from homeport.listeners import uvicorn_config

    config = uvicorn_config(object())
    assert config.proxy_headers is False
