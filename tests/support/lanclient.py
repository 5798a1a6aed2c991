"""A browser-like HTTPS client run inside the LAN lab's client namespace (it trusts only the device's CA).

    python -m tests.support.lanclient CA system ADDRESS PORT
    python -m tests.support.lanclient CA apply ADDRESS PORT USER PASSWORD SETTINGS_JSON
    python -m tests.support.lanclient CA confirm ADDRESS PORT TOKEN
    python -m tests.support.lanclient CA call ADDRESS PORT SCRIPT_JSON
    python -m tests.support.lanclient CA burst ADDRESS PORT SCRIPT_JSON
    python -m tests.support.lanclient CA flood ADDRESS PORT SCRIPT_JSON
Prints one JSON document: {"status": ..., "body": ...}; `call` prints {"answers": [...], "cookies", "csrf"}
and `burst` prints {"statuses": [...]}.

`call` runs requests in order like one browser: {"requests": [{"method", "path", "body"?, "headers"?}],
"cookies"?: {...}, "csrf"?: "...", "source"?: "address to send from"}; cookies are kept and the CSRF token
of a sign-in is sent with what follows. `burst` sends `count` sign-ins at once, each on its own connection:
{"count": N, "body": {...}, "sources"?: [addresses, used in turn]}. `flood` keeps one connection per source
sending that sign-in again and again for `seconds`, and prints how many answers had each status. Any of them
takes "any_name": true to check the device's certificate chain but not the name (a global IPv6 address is
not in the certificate: its CA vouches for LAN names and private addresses only).
"""

from __future__ import annotations

import http.client
import json
import ssl
import sys
import threading
import time
from typing import Any


def request(
    context: ssl.SSLContext, address: str, port: int, method: str, path: str, body: Any = None,
    headers: dict[str, str] | None = None, source: str | None = None,
) -> tuple[int, Any, http.client.HTTPResponse]:  # fmt: skip
    connection = http.client.HTTPSConnection(
        address, port, context=context, timeout=30, source_address=(source, 0) if source else None
    )
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
    if rest and command in ("call", "burst", "flood") and json.loads(rest[0]).get("any_name"):
        context.check_hostname = False
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
    elif command == "call":
        print(json.dumps(call(context, address, int(port), json.loads(rest[0]))))
        return 0
    elif command == "burst":
        print(json.dumps(burst(context, address, int(port), json.loads(rest[0]))))
        return 0
    elif command == "flood":
        print(json.dumps(flood(context, address, int(port), json.loads(rest[0]))))
        return 0
    else:
        print(f"unknown command {command}", file=sys.stderr)
        return 2
    print(json.dumps({"status": status, "body": body}))
    return 0


def call(context: ssl.SSLContext, address: str, port: int, script: dict[str, Any]) -> dict[str, Any]:
    cookies: dict[str, str] = dict(script.get("cookies", {}))
    csrf: str = script.get("csrf", "")
    answers = []
    for step in script["requests"]:
        headers = dict(step.get("headers", {}))
        if cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        if csrf:
            headers["X-CSRF-Token"] = csrf
        status, body, answer = request(
            context, address, port, step["method"], step["path"], step.get("body"), headers, script.get("source")
        )
        for line in answer.headers.get_all("set-cookie") or []:
            name, _, value = line.split(";")[0].partition("=")
            if value:
                cookies[name] = value
            else:
                cookies.pop(name, None)
        if isinstance(body, dict) and body.get("csrf_token"):
            csrf = body["csrf_token"]
        answers.append({"status": status, "body": body})
    return {"answers": answers, "cookies": cookies, "csrf": csrf}


def burst(context: ssl.SSLContext, address: str, port: int, script: dict[str, Any]) -> dict[str, Any]:
    sources = script.get("sources") or [None]
    statuses: list[int] = [0] * int(script["count"])
    ready = threading.Barrier(len(statuses))

    def one(n: int) -> None:
        connection = http.client.HTTPSConnection(
            address, port, context=context, timeout=60,
            source_address=(sources[n % len(sources)], 0) if sources[n % len(sources)] else None,
        )  # fmt: skip
        try:
            connection.connect()
            ready.wait(30)  # every connection is open: the requests leave together
            body = json.dumps(script["body"]).encode()
            connection.request("POST", "/api/v1/auth/login", body=body, headers={"content-type": "application/json"})
            statuses[n] = connection.getresponse().status
        except (OSError, http.client.HTTPException, threading.BrokenBarrierError):
            statuses[n] = -1
        finally:
            connection.close()

    threads = [threading.Thread(target=one, args=(n,)) for n in range(len(statuses))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return {"statuses": statuses}


def flood(context: ssl.SSLContext, address: str, port: int, script: dict[str, Any]) -> dict[str, Any]:
    counts: dict[str, int] = {}
    lock = threading.Lock()
    deadline = time.monotonic() + float(script["seconds"])
    body = json.dumps(script["body"]).encode()

    def one(source: str) -> None:
        connection: http.client.HTTPSConnection | None = None
        while time.monotonic() < deadline:
            try:
                if connection is None:
                    connection = http.client.HTTPSConnection(
                        address, port, context=context, timeout=30, source_address=(source, 0)
                    )
                connection.request(
                    "POST", "/api/v1/auth/login", body=body, headers={"content-type": "application/json"}
                )
                answer = connection.getresponse()
                answer.read()
                status = str(answer.status)
                if answer.getheader("connection", "").lower() == "close":
                    connection.close()
                    connection = None
            except (OSError, http.client.HTTPException):
                status = "error"
                if connection is not None:
                    connection.close()
                connection = None
                time.sleep(0.05)
            with lock:
                counts[status] = counts.get(status, 0) + 1
        if connection is not None:
            connection.close()

    threads = [threading.Thread(target=one, args=(source,)) for source in script["sources"]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(float(script["seconds"]) + 60)
    return {"counts": counts}


if __name__ == "__main__":
    sys.exit(main())
