"""The plain-HTTP listener sends everything to HTTPS, except the CA certificate."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from homeport.web.redirect import create_redirect_app, https_location


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("nas.local:5000", "https://nas.local:5001/users?x=1"),
        ("192.168.1.20", "https://192.168.1.20:5001/users?x=1"),
        ("[fe80::1]:5000", "https://[fe80::1]:5001/users?x=1"),
        ("evil.example/@x", "https://localhost:5001/users?x=1"),
        ("", "https://localhost:5001/users?x=1"),
    ],
)
def test_the_redirect_keeps_host_and_path(host: str, expected: str) -> None:
    assert https_location(host, 5001, "/users", "x=1") == expected


def test_the_listener() -> None:
    with TestClient(create_redirect_app(b"CA PEM", 5001), base_url="http://nas.local:5000") as client:
        page = client.get("/login", follow_redirects=False)
        assert page.status_code == 301 and page.headers["location"] == "https://nas.local:5001/login"
        post = client.post("/api/v1/auth/login", follow_redirects=False)
        assert post.status_code == 308
        ca = client.get("/ca.crt")
        assert ca.status_code == 200 and ca.content == b"CA PEM"
        assert "strict-transport-security" not in ca.headers  # HSTS only over HTTPS
        assert ca.headers["x-content-type-options"] == "nosniff"
