"""Passwordless passkey sign-ins beside password sign-ins, through HTTPS in the same run: goal an order of magnitude
more per second, p99 <= 10 ms.

A passkey sign-in is two calls (begin: a challenge; finish: the answer checked, a session made) and needs no
Argon2. The authenticator is software (tests/support/authenticator.py: a P-256 key that builds authenticatorData
and clientDataJSON and signs them, as a platform authenticator does); its signing time, on the client, is part of
each measured sign-in. Each thread has its own passkey (a signature counter is per credential: parallel answers of
one credential would race) and its own source address, as separate people would. The calls name the device as a
browser would (`Host: nas.local:PORT`, `Origin: https://nas.local:PORT`). Also: the daemon's RSS before any passkey
was used (the `webauthn` package is imported on first use) and after. `python -m bench --only passkeys`.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.__main__ import HASH_THREADS, rss_mb
from bench.clients import Client, Load, percentile
from homeport.auth.passkeys import PASSKEY_COOKIE
from homeport.http.cookies import SESSION_COOKIE
from tests.support.authenticator import SoftPasskey
from tests.support.daemon import Daemon

ADMIN, PASSWORD = "alice", "correct horse battery staple"
NAME = "nas"
SECONDS = 4.0
SEQUENTIAL = 500  # passkey sign-ins one after another, for the latency figure
SEQUENTIAL_PASSWORD = 50


def cookie(answer: Any, name: str) -> str:
    for header, value in answer.getheaders():
        if header.lower() == "set-cookie" and value.startswith(f"{name}="):
            return str(value.split(";", 1)[0])
    raise AssertionError(f"no {name} cookie in the answer")


class Browser:
    """One person's browser at https://nas.local:PORT/, over a kept-alive TLS connection."""

    def __init__(self, daemon: Daemon, source: str) -> None:
        self.origin = f"https://{NAME}.local:{daemon.https_port}"
        self.client = Client(daemon.https_port, daemon.tls_context(), source=source)
        self.headers = {"Host": f"{NAME}.local:{daemon.https_port}", "Origin": self.origin}
        self.finishes: list[float] = []  # the second call alone: the answer checked and the session made

    def call(
        self, method: str, path: str, body: Any = None, extra: dict[str, str] | None = None
    ) -> tuple[int, Any, Any]:
        status, raw, answer = self.client.request(method, path, body, {**self.headers, **(extra or {})})
        return status, json.loads(raw) if raw else None, answer

    def password_sign_in(self) -> str:
        status, body, answer = self.call("POST", "/api/v1/auth/login", {"username": ADMIN, "password": PASSWORD})
        assert status == 200, body
        return cookie(answer, SESSION_COOKIE) + "|" + body["csrf_token"]

    def passkey_sign_in(self, key: SoftPasskey) -> None:
        status, body, answer = self.call("POST", "/api/v1/auth/passkey/begin")
        assert status == 200, body
        credential = key.get(body["options"], self.origin)
        started = time.perf_counter()
        status, body, _ = self.call(
            "POST",
            "/api/v1/auth/passkey/finish",
            {"credential": credential},
            {"Cookie": cookie(answer, PASSKEY_COOKIE)},
        )
        self.finishes.append(time.perf_counter() - started)
        assert status == 200, body

    def register(self, session: str) -> SoftPasskey:
        session_cookie, csrf = session.split("|")
        signed_in = {"Cookie": session_cookie, "X-CSRF-Token": csrf}
        status, body, _ = self.call("POST", "/api/v1/me/passkeys/begin", {"current_password": PASSWORD}, signed_in)
        assert status == 200, body
        key = SoftPasskey()
        credential = key.create(body["options"], self.origin)
        status, body, _ = self.call("POST", "/api/v1/me/passkeys/finish", {"name": "bench", "credential": credential},
                                    signed_in)  # fmt: skip
        assert status == 201, body
        return key

    def close(self) -> None:
        self.client.close()


def per_second(browsers: list[Browser], work: list[Any]) -> tuple[float, list[float]]:
    load = Load(threads=len(browsers), seconds=SECONDS)
    elapsed = load.run(lambda index: work[index])
    return len(load.latencies) / elapsed, load.latencies


def sequential(action: Any, count: int) -> list[float]:
    times = []
    for _ in range(count):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return times


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def main() -> None:
    root = Path(tempfile.mkdtemp(prefix="hp-bench-passkeys-", dir="/tmp"))
    volume = root / "volume1"
    volume.mkdir()
    daemon = Daemon(root / "home", volume)
    browsers: list[Browser] = []
    try:
        daemon.start()
        status, body, _ = daemon.request(
            "POST", "/api/v1/setup", {"name": NAME, "admin": {"username": ADMIN, "password": PASSWORD}}
        )
        assert status == 201, body
        assert daemon.process is not None
        threads = HASH_THREADS * 2
        browsers = [Browser(daemon, f"127.0.0.{10 + n}") for n in range(threads)]
        sessions = [b.password_sign_in() for b in browsers]
        time.sleep(2)
        rss_before = rss_mb(daemon.process.pid)

        password_rate, password_times = per_second(browsers, [b.password_sign_in for b in browsers])
        password_alone = sequential(browsers[0].password_sign_in, SEQUENTIAL_PASSWORD)

        keys = [b.register(s) for b, s in zip(browsers, sessions, strict=True)]  # after: that is a change of methods
        for browser, key in zip(browsers, keys, strict=True):
            browser.passkey_sign_in(key)  # warm: the first use imports the WebAuthn checks
        passkey_rate, passkey_times = per_second(
            browsers, [lambda b=b, k=k: b.passkey_sign_in(k) for b, k in zip(browsers, keys, strict=True)]
        )
        browsers[0].finishes.clear()
        passkey_alone = sequential(lambda: browsers[0].passkey_sign_in(keys[0]), SEQUENTIAL)
        finish_alone = browsers[0].finishes
        time.sleep(2)
        rss_after = rss_mb(daemon.process.pid)

        print(f"Passkey sign-ins ({threads} clients, each its own address and passkey, {SECONDS:g} s each; HTTPS)")
        print(
            f"  password sign-ins: {password_rate:.1f}/s, p99 {ms(percentile(password_times, 0.99))} under load; "
            f"one at a time p50 {ms(percentile(password_alone, 0.5))}, p99 {ms(percentile(password_alone, 0.99))}"
        )
        print(
            f"  passwordless passkey sign-ins (begin + finish): {passkey_rate:.1f}/s, p99 "
            f"{ms(percentile(passkey_times, 0.99))} under load; one at a time p50 "
            f"{ms(percentile(passkey_alone, 0.5))}, p99 {ms(percentile(passkey_alone, 0.99))} (goal p99 <= 10 ms); "
            f"the finishing call alone p50 {ms(percentile(finish_alone, 0.5))}, "
            f"p99 {ms(percentile(finish_alone, 0.99))}"
        )
        print(f"  ratio passkey / password sign-ins per second: {passkey_rate / password_rate:.1f}x (goal >= 10x)")
        print(
            f"  daemon RSS: {rss_before:.1f} MB before any passkey was used (goal <= 80 MB idle), {rss_after:.1f} MB "
            "after (the WebAuthn checks are loaded on first use)"
        )
        daemon.stop()
    finally:
        for browser in browsers:
            browser.close()
        daemon.kill()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
