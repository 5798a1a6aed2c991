"""The LAN lab: network namespaces joined by a bridge, dnsmasq as the DHCP server, a client namespace.

    [server ns]  br0 10.211.0.1/24, dnsmasq (DHCP 10.211.0.100-150, lease 2 min)
        |-- veth -- [device ns] eth0: Homeport (netlink backend)
        '-- veth -- [client ns] eth0 10.211.0.200/24: `homeport find`, dig, HTTPS checks

Addresses exist only inside the namespaces. Everything started is stopped by PID, and the namespaces are
deleted, even when a test fails.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
SUBNET = "10.211.0"
CLIENT_ADDRESS = f"{SUBNET}.200"
PREFIX = "hplab"


def ip(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["ip", *args], capture_output=True, text=True, timeout=30, check=check)


def remove_stale_labs() -> None:
    """Namespaces left by a lab whose test process was killed outright."""
    for line in ip("netns", "list", check=False).stdout.splitlines():
        name = line.split()[0] if line.split() else ""
        if name.startswith(PREFIX):
            kill_namespace_processes(name)
            ip("netns", "del", name, check=False)
            shutil.rmtree(Path("/etc/netns") / name, ignore_errors=True)


def kill_namespace_processes(namespace: str) -> None:
    for pid in ip("netns", "pids", namespace, check=False).stdout.split():
        with contextlib.suppress(ProcessLookupError, ValueError):
            os.kill(int(pid), signal.SIGKILL)


@dataclass
class Lan:
    workdir: Path
    tag: str = field(default_factory=lambda: f"{PREFIX}{os.getpid() % 100000}")
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)  # namespaces a test added; removed with the lab

    @property
    def server(self) -> str:
        return f"{self.tag}-srv"

    @property
    def device(self) -> str:
        return f"{self.tag}-dev"

    @property
    def client(self) -> str:
        return f"{self.tag}-cli"

    @property
    def second_device(self) -> str:
        """Another host of the LAN that can run a second Homeport."""
        return f"{self.tag}-dv2"

    def up(self) -> Lan:
        for namespace in (self.server, self.device, self.client, self.second_device):
            ip("netns", "add", namespace)
            ip("-n", namespace, "link", "set", "lo", "up")
        ip("-n", self.server, "link", "add", "br0", "type", "bridge")
        ip("-n", self.server, "link", "set", "br0", "up")
        ip("-n", self.server, "addr", "add", f"{SUBNET}.1/24", "dev", "br0")
        for end, namespace in (("vdev", self.device), ("vcli", self.client), ("vdv2", self.second_device)):
            ip("-n", self.server, "link", "add", end, "type", "veth", "peer", "name", "eth0", "netns", namespace)
            ip("-n", self.server, "link", "set", end, "master", "br0", "up")
            ip("-n", namespace, "link", "set", "eth0", "up")
        ip("-n", self.client, "addr", "add", f"{CLIENT_ADDRESS}/24", "dev", "eth0")
        # `ip netns exec` bind-mounts /etc/netns/<ns>/resolv.conf over /etc/resolv.conf: the device's own file.
        for namespace in (self.device, self.second_device):
            (Path("/etc/netns") / namespace).mkdir(parents=True, exist_ok=True)
            (Path("/etc/netns") / namespace / "resolv.conf").write_text("")
        self._start_dnsmasq()
        return self

    @property
    def resolv_conf(self) -> Path:
        return Path("/etc/netns") / self.device / "resolv.conf"

    @property
    def dnsmasq_log(self) -> Path:
        return self.workdir / "dnsmasq.log"

    def _start_dnsmasq(self) -> None:
        command = [
            "dnsmasq", "--keep-in-foreground", "--conf-file=/dev/null", "--interface=br0", "--bind-interfaces",
            "--port=0", "--no-ping", f"--dhcp-range={SUBNET}.100,{SUBNET}.150,255.255.255.0,2m",
            f"--dhcp-option=option:router,{SUBNET}.1", f"--dhcp-option=option:dns-server,{SUBNET}.1",
            f"--dhcp-leasefile={self.workdir / 'leases'}", "--log-dhcp", f"--log-facility={self.dnsmasq_log}",
        ]  # fmt: skip
        self.processes.append(self.popen(self.server, command))
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.dnsmasq_log.exists() and "sockets bound" in self.dnsmasq_log.read_text():
                return
            time.sleep(0.05)
        raise AssertionError("dnsmasq did not start")

    def popen(self, namespace: str, command: list[str], log: Path | None = None) -> subprocess.Popen[bytes]:
        out = log.open("ab") if log else subprocess.DEVNULL
        try:
            return subprocess.Popen(
                ["ip", "netns", "exec", namespace, *command], stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True, cwd=REPO,
            )  # fmt: skip
        finally:
            if log:
                out.close()  # type: ignore[union-attr]

    def run(self, namespace: str, command: list[str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["ip", "netns", "exec", namespace, *command], capture_output=True, text=True, timeout=timeout, cwd=REPO,
            check=False,
        )  # fmt: skip

    def ipv4(self, namespace: str, interface: str = "eth0") -> list[str]:
        """The interface's IPv4 addresses as the kernel has them (`ip -j addr`)."""
        data: list[dict[str, Any]] = json.loads(ip("-j", "-n", namespace, "addr", "show", "dev", interface).stdout)
        return [f"{a['local']}/{a['prefixlen']}" for a in data[0].get("addr_info", []) if a.get("family") == "inet"]

    def default_route(self, namespace: str) -> str | None:
        routes = json.loads(ip("-j", "-n", namespace, "route", "show", "default").stdout)
        return routes[0].get("gateway") if routes else None

    def add_host(self, suffix: str) -> str:
        """Another namespace (host) for a test to wire up; removed with the lab."""
        namespace = f"{self.tag}-{suffix}"
        ip("netns", "add", namespace)
        ip("-n", namespace, "link", "set", "lo", "up")
        self.extra.append(namespace)
        return namespace

    def down(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)
        for namespace in (self.server, self.device, self.client, self.second_device, *self.extra):
            kill_namespace_processes(namespace)
            ip("netns", "del", namespace, check=False)
            shutil.rmtree(Path("/etc/netns") / namespace, ignore_errors=True)


def wait_for(check: Any, timeout: float, interval: float = 0.05) -> Any:
    """Poll `check` until it returns something truthy (bounded in time); return that."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            return result
        time.sleep(interval)


@dataclass
class LanDevice:
    """Homeport with the netlink backend in the device namespace; driven through its CLI socket."""

    lan: Lan
    home: Path
    volume: Path
    confirm_seconds: int = 10
    namespace: str = ""
    process: subprocess.Popen[bytes] | None = None
    extra_args: tuple[str, ...] = ()

    @property
    def log_path(self) -> Path:
        return self.home.parent / f"device-{self.home.name}.log"

    def start(self) -> LanDevice:
        command = [
            sys.executable, "-m", "homeport", "serve", "--home", str(self.home), "--network", "netlink",
            "--interface", "eth0", "--volume", str(self.volume), "--confirm-seconds", str(self.confirm_seconds),
            "--smb", "off",  # a test that wants the file service passes --smb embedded (the last one counts)
            *self.extra_args,
        ]  # fmt: skip
        self.process = self.lan.popen(self.namespace or self.lan.device, command, self.log_path)
        self.lan.processes.append(self.process)
        ready = wait_for(lambda: self.cli("status", "--json").returncode == 0 or self.process.poll() is not None, 30)  # type: ignore[union-attr]
        assert ready and self.process.poll() is None, self.log()
        return self

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def cli(self, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "homeport", *args, "--home", str(self.home)]
        return subprocess.run(command, input=stdin, capture_output=True, text=True, timeout=60, cwd=REPO, check=False)

    def api(self, method: str, path: str, body: Any = None) -> Any:
        """Call the daemon's API as root, through its socket (any namespace can reach a Unix socket)."""
        import httpx2

        with httpx2.Client(transport=httpx2.HTTPTransport(uds=str(self.home / "homeport.sock")), timeout=30) as http:
            answer = http.request(method, f"http://homeport/api/v1{path}", json=body)
        assert answer.status_code < 400, answer.text
        return answer.json() if answer.content else None

    def cli_json(self, *args: str) -> Any:
        done = self.cli(*args, "--json")
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(20)

    @property
    def ca(self) -> Path:
        return self.home / "tls" / "ca.crt"


def client_call(lan: Lan, device: LanDevice, *args: str, timeout: float = 60, namespace: str = "") -> Any:
    """Run tests/support/lanclient.py in the client namespace (or another); returns its JSON output."""
    command = [sys.executable, "-m", "tests.support.lanclient", str(device.ca), *args]
    done = lan.run(namespace or lan.client, command, timeout)
    assert done.returncode == 0, done.stderr + done.stdout
    return json.loads(done.stdout)


def find(lan: Lan, timeout: float = 2.0) -> list[dict[str, Any]]:
    done = lan.run(lan.client, [sys.executable, "-m", "homeport", "find", "--timeout", str(timeout), "--json"])
    assert done.returncode == 0, done.stderr
    found: list[dict[str, Any]] = json.loads(done.stdout)
    return found


@contextlib.contextmanager
def lan_lab(workdir: Path) -> Iterator[Lan]:
    remove_stale_labs()
    lan = Lan(workdir)
    try:
        yield lan.up()
    finally:
        lan.down()
