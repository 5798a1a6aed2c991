"""A real `homeport serve` process on loopback, started and always stopped by the test (by PID)."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

START_TIMEOUT = 20.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Daemon:
    home: Path
    volume: Path
    https_port: int = field(default_factory=free_port)
    http_port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None
    env: dict[str, str] = field(default_factory=dict)
    extra: tuple[str, ...] = ()  # more `homeport serve` arguments

    @property
    def base(self) -> str:
        return f"https://localhost:{self.https_port}"

    def command(self, *extra: str) -> list[str]:
        return [
            sys.executable, "-m", "homeport", "serve", "--home", str(self.home), "--bind", "127.0.0.1",
            "--https-port", str(self.https_port), "--http-port", str(self.http_port), "--volume", str(self.volume),
            # In the root namespace nothing may go out on the host's real network: no mDNS here, and no Samba on
            # the host's port 445 (a test that wants it passes `--smb embedded --smb-port N`: the last one counts).
            "--no-discovery", "--smb", "off", *self.extra, *extra,
        ]  # fmt: skip

    def start(self, wait: bool = True) -> Daemon:
        self.log_path = self.home.parent / f"daemon-{self.https_port}-{time.monotonic_ns()}.log"
        log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            self.command(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True, env={**os.environ, **self.env}
        )
        log.close()
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise AssertionError(f"the daemon exited with {self.process.returncode}:\n{self.log()}")
            with contextlib.suppress(OSError):
                status, _, _ = self.request("GET", "/api/v1/system")
                if status == 200:
                    return
            time.sleep(0.05)
        raise AssertionError(f"the daemon did not answer within {START_TIMEOUT} s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path and self.log_path.exists() else ""

    def tls_context(self) -> ssl.SSLContext:
        """A client that trusts only this device's CA, as the owner's browser would after trusting it once."""
        return ssl.create_default_context(cafile=str(self.home / "tls" / "ca.crt"))

    def set_up(self, admin: str = "alice", password: str = "correct horse battery staple", name: str = "nas") -> Daemon:
        """The setup wizard's API call: the device named, its first administrator made."""
        status, body, _ = self.request(
            "POST", "/api/v1/setup", {"name": name, "admin": {"username": admin, "password": password}}
        )
        assert status == 201, body
        return self

    def request(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> tuple[int, Any, dict[str, str]]:
        """One HTTPS request on its own connection, closed whatever happens."""
        connection = http.client.HTTPSConnection("localhost", self.https_port, context=self.tls_context(), timeout=10)
        try:
            payload = None if body is None else json.dumps(body).encode()
            connection.request(
                method, path, body=payload, headers={"content-type": "application/json", **(headers or {})}
            )
            answer = connection.getresponse()
            raw = answer.read()
            headers: dict[str, str] = {}
            for name, value in answer.getheaders():  # repeated headers (Set-Cookie) joined, the first one first
                headers[name.lower()] = f"{headers[name.lower()]}, {value}" if name.lower() in headers else value
            return answer.status, json.loads(raw) if raw else None, headers
        finally:
            connection.close()

    def get(self, path: str) -> Any:
        status, body, _ = self.request("GET", path)
        assert status == 200, body
        return body

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15.0) -> int:
        assert self.process is not None
        if self.process.poll() is None:
            os.kill(self.process.pid, sig)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def cli(self, *args: str, stdin: str = "", as_user: int | None = None) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "homeport", *args, "--home", str(self.home)]
        if as_user is not None:
            command = ["setpriv", f"--reuid={as_user}", f"--regid={as_user}", "--clear-groups", *command]
        return subprocess.run(command, input=stdin, capture_output=True, text=True, timeout=60, check=False)


@contextlib.contextmanager
def running(home: Path, volume: Path) -> Iterator[Daemon]:
    daemon = Daemon(home, volume).start()
    try:
        yield daemon
    finally:
        daemon.kill()
