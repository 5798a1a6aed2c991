"""Configuration backup of a store with 10,000 accounts and 100,000 audit records: the time of `POST
/api/v1/backups` (the store by VACUUM INTO, the audit log as JSON lines, the sealed keys, checksums, fsyncs) and the
backup's size, each as a ratio to a plain copy of the store file measured in the same run; and the time to verify it.

The accounts and records are written straight into the daemon's store, as bench/lists.py does."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

import httpx2 as httpx

from bench.lists import add_accounts
from homeport.backups.layout import config_folder
from tests.support.daemon import Daemon

ADMIN, PASSWORD = "alice", "correct horse battery staple"
ACCOUNTS = 10_000
RECORDS = 100_000
RUNS = 3


def add_records(store: Path, count: int) -> None:
    conn = sqlite3.connect(store, timeout=30)
    try:
        with conn:
            now = time.time()
            conn.executemany(
                "INSERT INTO audit_log (at, action, outcome, actor, client, target, detail)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    (now - count + n, "auth.sign_in", "success", f"user{n % ACCOUNTS:05d}", "192.168.1.20", "",
                     json.dumps({"method": "password", "browser": "Firefox on Linux"}))
                    for n in range(count)
                ),
            )  # fmt: skip
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


def plain_copy_seconds(store: Path, target: Path) -> float:
    started = time.perf_counter()
    shutil.copyfile(store, target)
    with target.open("rb+") as copied:
        os.fsync(copied.fileno())
    return time.perf_counter() - started


def vacuum_into_seconds(store: Path, target: Path) -> float:
    """The store's consistent copy alone (what a backup starts with), from another connection."""
    conn = sqlite3.connect(store, timeout=30)
    try:
        started = time.perf_counter()
        conn.execute("VACUUM INTO ?", (str(target),))
        with target.open("rb+") as copied:
            os.fsync(copied.fileno())
        return time.perf_counter() - started
    finally:
        conn.close()


def main() -> None:
    root = Path(tempfile.mkdtemp(prefix="hp-bench-backups-", dir="/tmp"))
    volume = root / "volume1"
    volume.mkdir()
    daemon = Daemon(root / "home", volume)
    try:
        daemon.start()
        daemon.set_up(ADMIN, PASSWORD)
        store = root / "home" / "config.sqlite"
        add_accounts(store, ACCOUNTS)
        add_records(store, RECORDS)
        transport = httpx.HTTPTransport(uds=str(root / "home" / "homeport.sock"))
        with httpx.Client(transport=transport, base_url="http://homeport/api/v1", timeout=600) as api:
            answer = api.put("/backups/passphrase", json={"passphrase": "bench passphrase long enough"})
            assert answer.status_code == 204, answer.text
            copies, vacuums, backups, verifies, sizes = [], [], [], [], []
            for run in range(RUNS):
                copies.append(plain_copy_seconds(store, root / f"copy-{run}.sqlite"))
                vacuums.append(vacuum_into_seconds(store, root / f"vacuum-{run}.sqlite"))
                started = time.perf_counter()
                made = api.post("/backups")
                backups.append(time.perf_counter() - started)
                assert made.status_code == 201, made.text
                [backup] = made.json()
                sizes.append(backup["size"])
                started = time.perf_counter()
                checked = api.post(f"/backups/{backup['id']}/verify", json={})
                verifies.append(time.perf_counter() - started)
                assert checked.json()["ok"], checked.text
        store_size = store.stat().st_size
        copy, made_in, verify_in = statistics.median(copies), statistics.median(backups), statistics.median(verifies)
        vacuum = statistics.median(vacuums)
        size = statistics.median(sizes)
        folder = next(config_folder(volume).iterdir())
        parts = {p.name: p.stat().st_size for p in folder.iterdir()}
        print(
            f"backups: {ACCOUNTS:,} accounts, {RECORDS:,} audit records, store {store_size / 1e6:.1f} MB: a backup "
            f"takes {made_in:.2f} s (median of {RUNS}) beside a plain copy of the store {copy:.3f} s (ratio "
            f"{made_in / copy:.1f}x) and VACUUM INTO alone {vacuum:.3f} s ({made_in / vacuum:.1f}x); "
            f"it is {size / 1e6:.1f} MB, {size / store_size:.2f}x the store "
            f"({', '.join(f'{k} {v / 1e6:.1f} MB' for k, v in sorted(parts.items()))}); verifying it takes "
            f"{verify_in:.2f} s"
        )
        daemon.stop()
    finally:
        daemon.kill()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
