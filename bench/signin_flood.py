"""A legitimate sign-in while 200 addresses flood the sign-in in parallel: goal p99 <= 3x its idle p99.

The owner signs in from 127.0.0.1 with the device cookie of an earlier sign-in, one sign-in at a time, each
on a new TLS connection (a browser after a restart: the heavier and realistic case; the TCP + TLS handshake
is timed apart too), first idle, then while 127.0.0.2-127.0.0.201 (all of 127.0.0.0/8 is local on Linux)
loop wrong-password sign-ins for the owner's account and random names over kept-alive connections
(bench/flooder.py, a process of its own). Twice: (a) default settings, where the flooders get auto-blocked
within seconds, and (b) auto block turned off through the API, which leaves the hashing pool's fairness alone
against the flood (the worst case). Informative, not a goal: after every FRESH_EVERY owner sign-ins, a
first-time browser (no device cookie, so no priority) signs in to the owner's account from an address of
its own. The daemon calibrates its Argon2id parameters itself, as on a real device.
"""

from __future__ import annotations

import http.client
import json
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import argon2

from bench.clients import percentile
from homeport.auth.devices import DEVICE_COOKIE
from homeport.http.cookies import SESSION_COOKIE
from tests.support.daemon import Daemon

ADMIN, PASSWORD = "alice", "correct horse battery staple"
FLOOD_FIRST, FLOOD_LAST = 2, 201  # 127.0.0.2 .. 127.0.0.201: 200 addresses
SAMPLES = 100  # owner sign-ins per phase
FRESH_EVERY = 5  # a first-time browser's sign-in after every 5th owner sign-in
FLOOD_MAX_SECONDS = 300.0  # the generator stops by itself after this, whatever happens here
SETTLE_SECONDS = 3.0  # after a flood: tarpitted answers and queued hashes drain
GOAL = 3.0
NOISY_PERCENT = 15.0  # other processes' CPU during a phase above which its figures are flagged
TICK = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Attempt:
    started: float  # time.monotonic()
    status: int
    connect: float  # TCP + TLS handshake
    total: float  # connect, request, answer


@dataclass(frozen=True)
class CpuSnapshot:
    at: float
    system_busy: float  # seconds of CPU used by everything on the machine
    interrupts: float  # of which in interrupts (loopback TCP is mostly processed in softirq)
    daemon: float
    threads: dict[int, float]  # the daemon's threads
    me: float

    @staticmethod
    def take(pid: int) -> CpuSnapshot:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
        ticks = [int(f) for f in fields]
        busy = (sum(ticks[:8]) - ticks[3] - ticks[4]) / TICK  # all but idle and iowait (guest is in user)
        interrupts = (ticks[5] + ticks[6]) / TICK
        threads: dict[int, float] = {}
        for task in Path(f"/proc/{pid}/task").iterdir():
            try:
                threads[int(task.name)] = _ticks(task / "stat") / TICK
            except (FileNotFoundError, ProcessLookupError):
                continue  # the thread ended meanwhile
        usage = resource.getrusage(resource.RUSAGE_SELF)
        daemon = _ticks(Path(f"/proc/{pid}/stat")) / TICK
        return CpuSnapshot(time.monotonic(), busy, interrupts, daemon, threads, usage.ru_utime + usage.ru_stime)


def _ticks(stat: Path) -> int:
    after_name = stat.read_text().rsplit(")", 1)[1].split()
    return int(after_name[11]) + int(after_name[12])  # utime, stime


@dataclass
class Phase:
    name: str
    blocking: bool = True  # auto block on
    owner: list[Attempt] = field(default_factory=list)
    fresh: list[Attempt] = field(default_factory=list)
    flood: dict[str, Any] = field(default_factory=dict)
    cpu: str = ""
    others: float = 0.0  # percent of a core other processes used meanwhile
    max_threads: int = 0
    seconds: float = 0.0


def sign_in(daemon: Daemon, source: str, cookie: str | None = None) -> tuple[Attempt, http.client.HTTPResponse, bytes]:
    """One sign-in of the owner on a new connection from `source`."""
    connection = http.client.HTTPSConnection(
        "localhost", daemon.https_port, context=daemon.tls_context(), timeout=30, source_address=(source, 0)
    )
    headers = {"content-type": "application/json"}
    if cookie:
        headers["Cookie"] = f"{DEVICE_COOKIE}={cookie}"
    try:
        started = time.monotonic()
        connection.connect()
        connected = time.monotonic()
        connection.request(
            "POST", "/api/v1/auth/login", json.dumps({"username": ADMIN, "password": PASSWORD}).encode(), headers
        )
        answer = connection.getresponse()
        body = answer.read()
        done = time.monotonic()
        return Attempt(started, answer.status, connected - started, done - started), answer, body
    finally:
        connection.close()


def cookie_of(answer: http.client.HTTPResponse, name: str) -> str:
    for header, value in answer.getheaders():
        if header.lower() == "set-cookie" and value.startswith(f"{name}="):
            return value.split(";", 1)[0].split("=", 1)[1]
    raise AssertionError(f"no {name} cookie in the sign-in answer")


def api(daemon: Daemon, session: tuple[str, str], method: str, path: str, body: Any = None) -> Any:
    """A call as the signed-in owner (session cookie and CSRF token)."""
    headers = {"Cookie": f"{SESSION_COOKIE}={session[0]}", "X-CSRF-Token": session[1]}
    status, answer, _ = daemon.request(method, path, body, headers)
    assert status == 200, answer
    return answer


def measure(daemon: Daemon, phase: Phase, cookie: str, fresh_prefix: str) -> None:
    """SAMPLES owner sign-ins one after another; a first-time browser's after every FRESH_EVERY of them."""
    for n in range(1, SAMPLES + 1):
        phase.owner.append(sign_in(daemon, "127.0.0.1", cookie)[0])
        if n % FRESH_EVERY == 0:
            phase.fresh.append(sign_in(daemon, f"{fresh_prefix}.{n // FRESH_EVERY}")[0])


def watch_threads(pid: int, stop: threading.Event, phase: Phase) -> None:
    """The daemon's thread count at its highest (Starlette runs sync routes in a pool of at most 40)."""
    while not stop.wait(0.2):
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except (FileNotFoundError, ProcessLookupError):
            return  # the daemon is gone; the measuring side will say so
        for line in status.splitlines():
            if line.startswith("Threads:"):
                phase.max_threads = max(phase.max_threads, int(line.split()[1]))


def cpu_share(pid: int, before: CpuSnapshot, after: CpuSnapshot, flooder: float) -> tuple[str, float]:
    """Where the machine's CPU went (percent of one core; 2 cores = 200 %), and the share of other processes."""
    wall = after.at - before.at

    def pct(seconds: float) -> str:
        return f"{100 * seconds / wall:.0f} %"

    threads = sorted(
        ((after.threads[tid] - before.threads.get(tid, 0.0), tid) for tid in after.threads if tid != pid),
        reverse=True,
    )
    hashing = sum(seconds for seconds, _ in threads[:2])
    loop = after.threads.get(pid, 0.0) - before.threads.get(pid, 0.0)
    daemon = after.daemon - before.daemon
    me = after.me - before.me
    interrupts = after.interrupts - before.interrupts
    others = after.system_busy - before.system_busy - interrupts - daemon - me - flooder
    text = (
        f"daemon {pct(daemon)} (event loop {pct(loop)}, two busiest threads ~Argon2 {pct(hashing)}, "
        f"other threads {pct(daemon - loop - hashing)}), flood generator {pct(flooder)}, measuring client "
        f"{pct(me)}, interrupts {pct(interrupts)}, other processes {pct(max(0.0, others))}"
    )
    return text, 100 * max(0.0, others) / wall


def run_phase(daemon: Daemon, phase: Phase, cookie: str, fresh_prefix: str, ca: Path) -> Phase:
    assert daemon.process is not None
    pid = daemon.process.pid
    command = [
        sys.executable, "-m", "bench.flooder", str(daemon.https_port), str(ca), ADMIN, str(FLOOD_FIRST),
        str(FLOOD_LAST), str(FLOOD_MAX_SECONDS),
    ]  # fmt: skip
    flooder = subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parents[1]
    )
    stop = threading.Event()
    watcher = threading.Thread(target=watch_threads, args=(pid, stop, phase), daemon=True)
    try:
        assert flooder.stdin is not None
        assert flooder.stdout is not None
        assert flooder.stdout.readline().strip() == "ready", "the flood generator did not start"
        watcher.start()
        before = CpuSnapshot.take(pid)
        measure(daemon, phase, cookie, fresh_prefix)
        after = CpuSnapshot.take(pid)
        phase.seconds = after.at - before.at
        flooder.stdin.write("stop\n")
        flooder.stdin.flush()
        out, _ = flooder.communicate(timeout=60)
        phase.flood = json.loads(out)
        share = phase.flood["cpu_seconds"] * phase.seconds / phase.flood["seconds"]  # the measured part of it
        phase.cpu, phase.others = cpu_share(pid, before, after, share)
    finally:
        stop.set()
        if flooder.poll() is None:
            flooder.kill()
            flooder.wait(10)
        if watcher.is_alive():
            watcher.join(5)
    time.sleep(SETTLE_SECONDS)
    return phase


def idle_phase(daemon: Daemon, cookie: str) -> Phase:
    assert daemon.process is not None
    phase = Phase("idle")
    before = CpuSnapshot.take(daemon.process.pid)
    measure(daemon, phase, cookie, "127.0.1")
    after = CpuSnapshot.take(daemon.process.pid)
    phase.seconds = after.at - before.at
    phase.cpu, phase.others = cpu_share(daemon.process.pid, before, after, 0.0)
    return phase


def argon2_note(home: Path) -> str:
    """The parameters the daemon calibrated, and what one verification costs here on an idle core."""
    conn = sqlite3.connect(home / "config.sqlite")
    try:
        stored = conn.execute("SELECT password_hash FROM users WHERE name = ?", (ADMIN,)).fetchone()[0]
    finally:
        conn.close()
    params = argon2.extract_parameters(stored)
    hasher = argon2.PasswordHasher()
    times = []
    for _ in range(5):
        began = time.perf_counter()
        hasher.verify(stored, PASSWORD.encode())
        times.append(time.perf_counter() - began)
    return (
        f"Argon2id as the daemon calibrated it: m={params.memory_cost // 1024} MiB, t={params.time_cost}, "
        f"p={params.parallelism}, one verification {ms(sorted(times)[2])}"
    )


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def latency(attempts: list[Attempt]) -> str:
    ok = [a for a in attempts if a.status == 200]
    statuses = Counter(a.status for a in attempts)
    if not ok:
        return f"no success in {len(attempts)} ({dict(statuses)})"
    connect = [a.connect for a in ok]
    total = [a.total for a in ok]
    return (
        f"{len(ok)}/{len(attempts)} succeeded{'' if len(ok) == len(attempts) else f' {dict(statuses)}'}; "
        f"p50 {ms(percentile(total, 0.5))}, p99 {ms(percentile(total, 0.99))} "
        f"(of which TCP + TLS handshake p50 {ms(percentile(connect, 0.5))}, p99 {ms(percentile(connect, 0.99))})"
    )


def p99_of(attempts: list[Attempt]) -> float:
    ok = [a.total for a in attempts if a.status == 200]
    return percentile(ok, 0.99) if ok else float("inf")


def flood_summary(flood: dict[str, Any]) -> str:
    answers = Counter[str](flood["answers"])
    by_status = Counter[str]()
    for key, count in answers.items():
        by_status[key.split()[0]] += count
    return (
        f"{sum(answers.values()) / flood['seconds']:.0f} answers/s over {flood['connections']} TLS connections, "
        f"{by_status['401']} x 401, {by_status['429']} x 429, {by_status['503']} x 503 "
        f"({', '.join(f'{k}: {v}' for k, v in answers.most_common())}); errors {flood['errors'] or 'none'}"
    )


def blocking_summary(phase: Phase, idle_p99: float) -> str:
    """How soon the flood addresses got auto-blocked, and the owner's sign-ins before and after the last block."""
    blocked = phase.flood["blocked_at"]
    if not blocked:
        return "no flood address auto-blocked"
    t0, last = phase.flood["started_at"], blocked[-1]
    before = [a for a in phase.owner if a.started < last]
    after = [a for a in phase.owner if a.started >= last]
    split = ", ".join(
        f"{label} {len(part)} sign-ins, p99 {ms(p99_of(part))} ({p99_of(part) / idle_p99:.2f}x idle)"
        for label, part in (("before the last block:", before), ("after:", after))
        if part
    )
    return (
        f"{len(blocked)} of {FLOOD_LAST - FLOOD_FIRST + 1} flood addresses auto-blocked, p50 after "
        f"{blocked[len(blocked) // 2] - t0:.1f} s, the last after {last - t0:.1f} s; owner {split}"
    )


def report(phase: Phase, idle: Phase) -> bool:
    """Print the phase's figures; True if every owner sign-in succeeded within GOAL times the idle p99."""
    idle_p99 = p99_of(idle.owner)
    all_in = all(a.status == 200 for a in phase.owner)
    ratio = p99_of(phase.owner) / idle_p99
    print(f"  {phase.name} ({phase.seconds:.0f} s):")
    print(f"    owner with device cookie: {latency(phase.owner)}")
    if phase is not idle:
        print(f"    ratio p99 flood / p99 idle {ratio:.2f} (goal <= {GOAL:g}{'' if all_in else ', every sign-in in'})")
    print(f"    first-time browser (no device cookie, an address of its own), informative: {latency(phase.fresh)}")
    if phase.flood:
        print(f"    flood: {flood_summary(phase.flood)}")
        print(f"    auto block: {blocking_summary(phase, idle_p99) if phase.blocking else 'off'}")
        print(f"    daemon threads at most {phase.max_threads}")
    print(f"    CPU: {phase.cpu}")
    if phase.others > NOISY_PERCENT:
        print(f"    (other processes used {phase.others:.0f} % of a core meanwhile: these figures are not reliable)")
    return all_in and ratio <= GOAL


def main() -> None:
    started = time.monotonic()
    root = Path(tempfile.mkdtemp(prefix="hp-bench-flood-", dir="/tmp"))
    volume = root / "volume1"
    volume.mkdir()
    daemon = Daemon(root / "home", volume)
    try:
        daemon.start()
        status, body, _ = daemon.request(
            "POST", "/api/v1/setup", {"name": "nas", "admin": {"username": ADMIN, "password": PASSWORD}}
        )
        assert status == 201, body
        first, answer, body = sign_in(daemon, "127.0.0.1")
        assert first.status == 200, body
        cookie = cookie_of(answer, DEVICE_COOKIE)
        session = (cookie_of(answer, SESSION_COOKIE), json.loads(body)["csrf_token"])
        print(
            f"Sign-in under a flood from {FLOOD_LAST - FLOOD_FIRST + 1} addresses ({os.cpu_count()} cores; "
            f"{argon2_note(root / 'home')}; a new TLS connection per owner sign-in)"
        )
        ca = root / "home" / "tls" / "ca.crt"
        idle = idle_phase(daemon, cookie)
        report(idle, idle)
        blocking = run_phase(daemon, Phase("(a) flood, default settings (auto block on)"), cookie, "127.0.2", ca)
        held = [report(blocking, idle)]
        api(daemon, session, "PATCH", "/api/v1/settings/security", {"auto_block_enabled": False})
        worst = Phase("(b) flood, auto block off (the pool's fairness alone)", blocking=False)
        worst = run_phase(daemon, worst, cookie, "127.0.3", ca)
        held.append(report(worst, idle))
        print(
            f"  goal p99 <= {GOAL:g}x idle: (a) {'holds' if held[0] else 'FAILS'}, (b) "
            f"{'holds' if held[1] else 'FAILS'}; run time {time.monotonic() - started:.0f} s"
        )
        daemon.stop()
    finally:
        daemon.kill()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
