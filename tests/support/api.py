"""Helpers to drive the API the way a client would."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

ADMIN = "alice"
ADMIN_PASSWORD = "correct horse battery staple"
DEVICE = "nas"


def setup_device(client: TestClient, name: str = DEVICE, user: str = ADMIN, password: str = ADMIN_PASSWORD) -> None:
    answer = client.post("/api/v1/setup", json={"name": name, "admin": {"username": user, "password": password}})
    assert answer.status_code == 201, answer.text


def sign_in(client: TestClient, user: str = ADMIN, password: str = ADMIN_PASSWORD) -> str:
    """Sign in; the client keeps the cookie and sends the CSRF header from now on. Returns the CSRF token."""
    answer = client.post("/api/v1/auth/login", json={"username": user, "password": password})
    assert answer.status_code == 200, answer.text
    token: str = answer.json()["csrf_token"]
    client.headers["X-CSRF-Token"] = token
    return token


def create_user(
    client: TestClient, name: str, password: str = "a long enough password", **extra: Any
) -> dict[str, Any]:
    body = {"name": name, "password": password, "must_change_password": False, **extra}
    answer = client.post("/api/v1/users", json=body)
    assert answer.status_code == 201, answer.text
    result: dict[str, Any] = answer.json()
    return result


def error_code(answer: Any) -> str:
    code: str = answer.json()["error"]["code"]
    return code
