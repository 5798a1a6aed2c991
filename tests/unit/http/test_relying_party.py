"""The host a request names, as the passkey relying party reads it."""

from __future__ import annotations

import pytest
from starlette.requests import Request

from homeport.http.relying_party import request_host


def with_host(host: str) -> Request:
    return Request({"type": "http", "method": "GET", "path": "/", "headers": [(b"host", host.encode("latin-1"))]})


@pytest.mark.parametrize(
    ("header", "host"),
    [
        ("nas.local", "nas.local"),
        ("NAS.Local:5001", "nas.local"),
        ("nas.local.:443", "nas.local"),
        ("nas-2.local", "nas-2.local"),
        ("nas.local@evil.example", ""),
        ("nas.local:5001:1", ""),
        ("[::1]:5001", ""),
        ("nas.local/x", ""),
        ("", ""),
    ],
)
def test_the_host_header_is_read_strictly(header: str, host: str) -> None:
    assert request_host(with_host(header)) == host
