"""A browser-like HTTPS client run inside the LAN lab's client namespace (it trusts only the device's CA).

    python -m tests.support.lanclient CA system ADDRESS PORT
    python -m tests.support.lanclient CA apply ADDRESS PORT USER PASSWORD SETTINGS_JSON
    python -m tests.support.lanclient CA confirm ADDRESS PORT TOKEN
Prints one JSON document: {"status": ..., "body": ...}.
"""

from __future__ import annotations

import http.client
import json
import ssl
import sys
from typing import Any


def request(
    context: ssl.SSLContext, address: str, port: int, method: str, path: str, body: Any = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, Any, http.client.HTTPResponse]:  # fmt: skip
    connection = http.client.HTTPSConnection(address, port, context=context, timeout=10)
    try:
        payload = None if body is None else json.dumps(body).encode()
        connection.request(method, path, body=payload, headers={"content-type": "application/json", **(headers or {})})
        answer = connection.getresponse()
        raw = answer.read()
        return answer.status, json.loads(raw) if raw else None, answer
    finally:
        connection.close()


def main() -> int:
    try:
        return run(*sys.argv[1:])
    except (OSError, http.client.HTTPException) as exc:  # not reachable (yet): an answer, not a crash
        print(json.dumps({"status": 0, "body": None, "error": str(exc)}))
        return 0


def run(ca: str, command: str, address: str, port: str, *rest: str) -> int:
    context = ssl.create_default_context(cafile=ca)
    if command == "system":
        status, body, _ = request(context, address, int(port), "GET", "/api/v1/system")
    elif command == "apply":
        user, password, settings = rest
        status, body, answer = request(
            context, address, int(port), "POST", "/api/v1/auth/login", {"username": user, "password": password}
        )
        if status == 200:
            cookie = (answer.getheader("set-cookie") or "").split(";")[0]
            headers = {"Cookie": cookie, "X-CSRF-Token": body["csrf_token"]}
            status, body, _ = request(
                context, address, int(port), "PUT", "/api/v1/network", json.loads(settings), headers
            )
    elif command == "confirm":
        status, body, _ = request(context, address, int(port), "POST", "/api/v1/network/confirm", {"token": rest[0]})
    else:
        print(f"unknown command {command}", file=sys.stderr)
        return 2
    print(json.dumps({"status": status, "body": body}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
