"""The HTTP middleware on its own, around a bare Starlette app (no Homeport services behind it)."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.testclient import TestClient

from homeport.http.middleware import BodyLimit, CrossOriginGuard, SecurityHeaders


async def echo(request: Request) -> Response:
    return PlainTextResponse(str(len(await request.body())))


def app_with(*middleware: type, **options: object) -> TestClient:
    app = Starlette(routes=[Route("/echo", echo, methods=["GET", "POST"]), Route("/static/x", echo)])
    for layer in middleware:
        app.add_middleware(layer, **options)  # type: ignore[arg-type]
    return TestClient(app, base_url="https://nas.local")


def test_every_answer_gets_the_security_headers_and_no_caching() -> None:
    with app_with(SecurityHeaders) as client:
        answer = client.get("/echo")
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert "default-src" in answer.headers["content-security-policy"]
        assert answer.headers["strict-transport-security"].startswith("max-age=")
        assert answer.headers["cache-control"] == "no-store"
        assert "cache-control" not in client.get("/static/x").headers  # static files may be cached
    with TestClient(app_with(SecurityHeaders).app, base_url="http://nas.local") as plain:
        assert "strict-transport-security" not in plain.get("/echo").headers  # HSTS only over HTTPS


def test_cross_site_writes_are_refused_and_same_site_ones_pass() -> None:
    with app_with(CrossOriginGuard) as client:
        assert client.post("/echo", headers={"sec-fetch-site": "cross-site"}).status_code == 403
        assert client.post("/echo", headers={"origin": "https://evil.example"}).status_code == 403
        assert client.post("/echo", headers={"origin": "null"}).status_code == 403
        assert client.post("/echo", headers={"origin": "https://nas.local"}).status_code == 200
        assert client.post("/echo", headers={"sec-fetch-site": "same-origin"}).status_code == 200
        assert client.post("/echo").status_code == 200  # no browser headers: a script, not a CSRF vector
        assert client.get("/echo", headers={"sec-fetch-site": "cross-site"}).status_code == 200  # reads pass


def test_large_bodies_are_refused_announced_or_streamed() -> None:
    with app_with(BodyLimit, limit=1000) as client:
        assert client.post("/echo", content=b"x" * 1000).text == "1000"
        announced = client.post("/echo", content=b"x" * 1001)
        assert announced.status_code == 413 and announced.json()["error"]["code"]

        def chunks():  # type: ignore[no-untyped-def]
            for _ in range(5):
                yield b"y" * 300

        streamed = client.post("/echo", content=chunks())
        assert streamed.status_code == 413
