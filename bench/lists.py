"""Lists that grow: with 10,000 accounts, `GET /api/v1/users` (a page of 100) and the Users page (50 a page,
searched and sorted) stay under 50 ms p95; beside them, `GET /api/v1/me` in the same run as the baseline.

The accounts are written straight into the daemon's store (hashing 10,000 passwords would take minutes); the
daemon reads accounts from the store on every call, so it serves them as if created one by one."""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
import time
from pathlib import Path

from bench.clients import Client, percentile
from tests.support.daemon import Daemon

ADMIN, PASSWORD = "alice", "correct horse battery staple"
ACCOUNTS = 10_000
SAMPLES = 200


def add_accounts(store: Path, count: int) -> None:
    conn = sqlite3.connect(store, timeout=30)
    try:
        with conn:
            users_group = conn.execute("SELECT id FROM groups WHERE name = 'users'").fetchone()[0]
            now = time.time()
            for n in range(count):
                cursor = conn.execute(
                    "INSERT INTO users (name, full_name, email, enabled, password_hash, must_change_password,"
                    " created_at, updated_at) VALUES (?, ?, ?, 1, 'not-a-hash', 0, ?, ?)",
                    (f"user{n:05d}", f"Person {n:05d}", f"user{n}@example.org", now, now),
                )
                conn.execute(
                    "INSERT INTO memberships (user_id, group_id) VALUES (?, ?)", (cursor.lastrowid, users_group)
                )
    finally:
        conn.close()


def p95_ms(client: Client, path: str, cookie: str) -> float:
    times = []
    for _ in range(SAMPLES):
        started = time.perf_counter()
        status, _, _ = client.request("GET", path, headers={"Cookie": cookie})
        times.append(time.perf_counter() - started)
        assert status == 200, path
    return percentile(times, 0.95) * 1000


def main() -> None:
    root = Path(tempfile.mkdtemp(prefix="hp-bench-lists-", dir="/tmp"))
    volume = root / "volume1"
    volume.mkdir()
    daemon = Daemon(root / "home", volume)
    try:
        daemon.start()
        status, body, _ = daemon.request(
            "POST", "/api/v1/setup", {"name": "nas", "admin": {"username": ADMIN, "password": PASSWORD}}
        )
        assert status == 201, body
        add_accounts(root / "home" / "config.sqlite", ACCOUNTS)
        client = Client(daemon.https_port, daemon.tls_context())
        status, _, answer = client.request("POST", "/api/v1/auth/login", {"username": ADMIN, "password": PASSWORD})
        assert status == 200
        cookie = answer.getheader("set-cookie", "").split(";")[0]
        _, page, _ = client.request("GET", "/users", headers={"Cookie": cookie})
        baseline = p95_ms(client, "/api/v1/me", cookie)
        api = p95_ms(client, "/api/v1/users", cookie)
        console = p95_ms(client, "/users", cookie)
        searched = p95_ms(client, "/users?q=Person+0999&sort=-full_name", cookie)
        print(
            f"6. with {ACCOUNTS:,} accounts, p95: GET /api/v1/users (100) {api:.1f} ms, Users page (50) "
            f"{console:.1f} ms ({len(page) / 1024:.0f} KB), searched and sorted {searched:.1f} ms; "
            f"GET /api/v1/me {baseline:.1f} ms in the same run (ratios {api / baseline:.1f}x, "
            f"{console / baseline:.1f}x; goal <= 50 ms p95)"
        )
        client.close()
        daemon.stop()
    finally:
        daemon.kill()
        shutil.rmtree(root, ignore_errors=True)
