"""Password + one-time code vs password alone, through HTTPS on one keep-alive connection each: the second step
must add at most 2 ms at p99 (its own request: a digest lookup, an AES-GCM open, an HMAC, one UPDATE).

A code is accepted once per 30 s step and account, so each measured sign-in uses its own account, all enrolled
beforehand through the API as an owner would."""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

import pyotp

from bench.clients import Client, percentile
from tests.support.daemon import Daemon

ADMIN, PASSWORD = "alice", "correct horse battery staple"
ACCOUNTS = 120
GOAL_MS = 2.0


def cookie(answer: object, name: str) -> str:
    for header, value in answer.getheaders():  # type: ignore[attr-defined]
        if header.lower() == "set-cookie" and value.startswith(f"{name}="):
            return str(value.split(";", 1)[0])
    raise AssertionError(f"no {name} cookie")


def enrol(daemon: Daemon, admin: tuple[str, str], name: str) -> pyotp.TOTP:
    client = Client(daemon.https_port, daemon.tls_context())
    headers = {"Cookie": admin[0], "X-CSRF-Token": admin[1]}
    status, body, _ = client.request(
        "POST", "/api/v1/users", {"name": name, "password": PASSWORD, "must_change_password": False}, headers
    )
    assert status == 201, body
    status, body, answer = client.request("POST", "/api/v1/auth/login", {"username": name, "password": PASSWORD})
    assert status == 200, body
    import json

    mine = {"Cookie": cookie(answer, "__Host-homeport_session"), "X-CSRF-Token": json.loads(body)["csrf_token"]}
    status, body, _ = client.request("POST", "/api/v1/me/totp", {}, mine)
    assert status == 201, body
    app = pyotp.TOTP(json.loads(body)["secret"])
    status, body, _ = client.request("POST", "/api/v1/me/totp/confirm", {"code": app.now()}, mine)
    assert status == 200, body
    client.close()
    return app


def main() -> None:
    import json

    root = Path(tempfile.mkdtemp(prefix="hp-bench-2fa-", dir="/tmp"))
    (root / "volume1").mkdir()
    daemon = Daemon(root / "home", root / "volume1")
    try:
        daemon.start()
        status, body, _ = daemon.request(
            "POST", "/api/v1/setup", {"name": "nas", "admin": {"username": ADMIN, "password": PASSWORD}}
        )
        assert status == 201, body
        client = Client(daemon.https_port, daemon.tls_context())
        status, body, answer = client.request("POST", "/api/v1/auth/login", {"username": ADMIN, "password": PASSWORD})
        admin = (cookie(answer, "__Host-homeport_session"), json.loads(body)["csrf_token"])
        apps = {f"user{n}": enrol(daemon, admin, f"user{n}") for n in range(ACCOUNTS)}
        time.sleep(31)  # past the step each enrolment used

        password_only: list[float] = []
        for _ in range(ACCOUNTS):
            started = time.perf_counter()
            status, body, _ = client.request("POST", "/api/v1/auth/login", {"username": ADMIN, "password": PASSWORD})
            password_only.append(time.perf_counter() - started)
            assert status == 200, body

        whole: list[float] = []
        second: list[float] = []
        for name, app in apps.items():
            started = time.perf_counter()
            login = {"username": name, "password": PASSWORD}
            status, body, answer = client.request("POST", "/api/v1/auth/login", login)
            assert status == 202, body
            waiting = cookie(answer, "__Host-homeport_preauth")
            middle = time.perf_counter()
            status, body, _ = client.request(
                "POST", "/api/v1/auth/second-factor", {"method": "totp", "code": app.now()}, {"Cookie": waiting}
            )
            done = time.perf_counter()
            assert status == 200, body
            whole.append(done - started)
            second.append(done - middle)
        me: list[float] = []
        for _ in range(ACCOUNTS * 4):
            started = time.perf_counter()
            status, _, _ = client.request("GET", "/api/v1/me", headers={"Cookie": admin[0]})
            me.append(time.perf_counter() - started)
        client.close()

        def ms(values: list[float], fraction: float) -> float:
            return percentile(values, fraction) * 1000

        added = ms(whole, 0.99) - ms(password_only, 0.99)
        print(
            f"Password + one-time code ({ACCOUNTS} sign-ins, one account each) vs password alone:\n"
            f"  password alone: p50 {ms(password_only, 0.5):.1f} ms, p99 {ms(password_only, 0.99):.1f} ms\n"
            f"  password + code: p50 {ms(whole, 0.5):.1f} ms, p99 {ms(whole, 0.99):.1f} ms; the second request "
            f"alone p50 {ms(second, 0.5):.2f} ms, p99 {ms(second, 0.99):.2f} ms\n"
            f"  baseline in the same run: an authenticated GET /api/v1/me p50 {ms(me, 0.5):.2f} ms, "
            f"p99 {ms(me, 0.99):.2f} ms (the second step is one more round trip that also writes a session)\n"
            f"  the second step adds {ms(second, 0.99):.2f} ms at p99 by itself ({added:+.1f} ms on the whole "
            f"sign-in's p99, Argon2 noise included); goal <= {GOAL_MS:g} ms: "
            f"{'holds' if ms(second, 0.99) <= GOAL_MS else 'FAILS'}"
        )
        daemon.stop()
    finally:
        daemon.kill()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
