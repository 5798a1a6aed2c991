"""The plain-HTTP listener sends everything to HTTPS (only on hosts the device answers to), except the CA."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from homeport.web.redirect import create_redirect_app, https_location

KNOWN = frozenset({"nas.local", "localhost", "192.168.1.20", "fe80::1"})


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("nas.local:5000", "https://nas.local:5001/users?x=1"),
        ("NAS.local.", "https://nas.local:5001/users?x=1"),
        ("192.168.1.20", "https://192.168.1.20:5001/users?x=1"),
        ("[fe80::1]:5000", "https://[fe80::1]:5001/users?x=1"),
        # Anything the device does not answer to goes to the address the request reached.
        ("evil.example", "https://192.168.1.20:5001/users?x=1"),
        ("evil.example/@x", "https://192.168.1.20:5001/users?x=1"),
        ("10.0.0.1", "https://192.168.1.20:5001/users?x=1"),
        ("", "https://192.168.1.20:5001/users?x=1"),
    ],
)
def test_the_redirect_keeps_a_known_host_and_the_path(host: str, expected: str) -> None:
    assert https_location(host, 5001, "/users", "x=1", KNOWN, "192.168.1.20") == expected


def test_an_unknown_host_on_an_ipv6_connection_gets_the_bracketed_address() -> None:
    assert https_location("evil.example", 443, "/", "", KNOWN, "fd00::5") == "https://[fd00::5]/"


def test_the_listener() -> None:
    app = create_redirect_app(b"CA PEM", 5001, lambda: KNOWN)
    with TestClient(app, base_url="http://nas.local:5000") as client:
        page = client.get("/login", follow_redirects=False)
        assert page.status_code == 301 and page.headers["location"] == "https://nas.local:5001/login"
        post = client.post("/api/v1/auth/login", follow_redirects=False)
        assert post.status_code == 308
        ca = client.get("/ca.crt")
        assert ca.status_code == 200 and ca.content == b"CA PEM"
        assert "strict-transport-security" not in ca.headers  # HSTS only over HTTPS
        assert ca.headers["x-content-type-options"] == "nosniff"


def test_a_forged_host_header_is_answered_with_the_address_the_request_reached() -> None:
    app = create_redirect_app(b"CA PEM", 5001, lambda: KNOWN)
    with TestClient(app, base_url="http://192.168.1.20:5000") as client:
        forged = client.get("/login", headers={"host": "attacker.example"}, follow_redirects=False)
        assert forged.status_code == 301 and forged.headers["location"] == "https://192.168.1.20:5001/login"
