"""`homeport serve`: the daemon process. HTTPS console and API, HTTP redirect, and the CLI's Unix socket,
all on one event loop; SIGTERM/SIGINT stop it cleanly; an unusable home stops it before it listens.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import os
import shutil
import signal
import socket
import sqlite3
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import structlog

from homeport.application import create_app
from homeport.daemon import BuildOptions, StartupError, build_services, close_services, start_services, stop_services
from homeport.home import Home, HomeUnusable
from homeport.idle_memory import IdleTrim
from homeport.listeners import PortUnavailable, QuietServer, WebServers, uvicorn_config
from homeport.network.model import WebPorts
from homeport.selftest.apt_hook import apply_choice
from homeport.services import Services
from homeport.slow_clients import HandshakeBoundLoop
from homeport.store.migrate import MigrationError
from homeport.updates.restart import restart_into_current
from homeport.web.redirect import create_redirect_app

_log = structlog.get_logger("homeport.daemon")


class StartupFailed(Exception):
    """The daemon cannot start; the message says why and what to do."""


@dataclass(frozen=True)
class ServeOptions:
    home: Path
    binds: tuple[str, ...] = ()
    http_port: int | None = None  # None: follow the network settings (default 5000)
    https_port: int | None = None  # None: follow the network settings (default 5001)
    build: BuildOptions = field(default_factory=BuildOptions)
    apt_hook: str = ""  # `--apt-hook`: auto, none or a path (selftest/apt_hook.py); "": leave it alone


def configure_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    logging.getLogger("uvicorn.error").setLevel(logging.WARNING)
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            # Plain tracebacks: rich's (the default when rich is installed) prints every frame's locals,
            # which would put a password from the sign-in path into the log.
            structlog.dev.ConsoleRenderer(colors=False, exception_formatter=structlog.dev.plain_traceback),
        ],
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
    )


def limit_malloc_arenas() -> None:
    """Return Argon2's large blocks to the kernel and cap per-thread arenas, so idle memory stays small."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-8, 2)  # M_ARENA_MAX
        libc.mallopt(-3, 1024 * 1024)  # M_MMAP_THRESHOLD: blocks of 1 MiB and more are mmapped


def bind_unix(path: Path) -> socket.socket:
    """The CLI socket, created with mode 0600 from the start (no window with wider permissions)."""
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    previous = os.umask(0o177)
    try:
        sock.bind(str(path))
    finally:
        os.umask(previous)
    os.chmod(path, 0o600)
    sock.listen(64)
    return sock


def console_urls(binds: Iterable[str], https_port: int, name: str) -> list[str]:
    hosts = [b for b in binds if b not in ("0.0.0.0", "::")] or ["localhost", f"{name}.local"]  # noqa: S104
    return [f"https://{f'[{h}]' if ':' in h else h}:{https_port}/" for h in hosts]


def _initial_ports(options: ServeOptions, services: Services) -> WebPorts:
    configured = services.network.current().web
    return WebPorts(
        http=options.http_port if options.http_port is not None else configured.http,
        https=options.https_port if options.https_port is not None else configured.https,
    )


async def _serve(services: Services, options: ServeOptions, home: Home, web: WebServers) -> None:
    unix = bind_unix(home.socket_path)

    def urls() -> list[str]:
        # The `.local` name the LAN knows: the device's, or `<name>-N` when another device had it first.
        name = services.device.name()
        announced = services.advertiser.host_for(name) if services.advertiser is not None else None
        return console_urls(options.binds, web.ports.https, announced or name)

    ca = services.tls.ca_certificate_pem()
    console = IdleTrim(create_app(services, urls=urls))
    web.attach(
        console,
        services.tls.server_context(),
        lambda port: create_redirect_app(ca, port, services.tls.known_hosts),
    )
    local = QuietServer(uvicorn_config(create_app(services, local=True, urls=urls)))
    loop = asyncio.get_running_loop()

    def stop() -> None:
        services.approvals.close()  # live streams end now, not after the servers' grace period
        local.should_exit = True
        web.stop()

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop)
    services.updates.restart.bind(loop, stop)
    try:
        await start_services(services)
        _log.info(
            "homeport is listening",
            console=urls()[0],
            state=services.device.state(),
            network=services.network.backend.kind,
        )
        _announce_next_step(services, urls(), home.root.absolute())
        trimming = asyncio.create_task(console.run())
        try:
            await asyncio.gather(web.run(), local.serve(sockets=[unix]))
        finally:
            trimming.cancel()
    finally:
        await stop_services(services)
        with contextlib.suppress(FileNotFoundError):
            home.socket_path.unlink()


def _announce_next_step(services: Services, urls: list[str], home: Path) -> None:
    state = services.device.state()
    steps = {
        "not-installed": "open the console and run the setup wizard",
        "damaged": "the configuration was damaged; see the console or run `homeport store start-fresh`",
    }
    print(f"Homeport console: {urls[0]}", file=sys.stderr, flush=True)
    print(f"CA certificate:   {services.tls.ca_cert_path}", file=sys.stderr, flush=True)
    print(f"File service:     {smb_line(services)}", file=sys.stderr, flush=True)
    print(f"Next:             {steps.get(state, 'sign in')}", file=sys.stderr, flush=True)
    print(f"Command line:     {cli_command()} status --home {home}", file=sys.stderr, flush=True)


def _install_apt_hook(services: Services, choice: str, home: Home) -> None:
    """The apt snippet that runs the self-test after dpkg; a failure is said (log, System health page), and the
    daemon starts anyway: console sign-in never depends on it."""
    as_service = os.geteuid() == 0 and "INVOCATION_ID" in os.environ  # started by systemd
    path, problem = apply_choice(choice, home.root, as_service=as_service)
    services.selftest.with_apt_hook(path, problem)
    if problem:
        _log.warning("apt hook not installed", reason=problem)
    elif path is not None:
        _log.info("apt hook installed", path=str(path))


def smb_line(services: Services) -> str:
    files = services.files
    if files.mode == "off":
        return "SMB off (homeport serve --smb embedded to serve shared folders)"
    host = f"{services.device.name()}.local"
    where = "Homeport's own smbd" if files.mode == "embedded" else "the host's Samba"
    if files.port == 445:
        return f"SMB at \\\\{host} (Windows) and smb://{host} (macOS, Linux), from {where}"
    return f"SMB at smb://{host}:{files.port} (macOS, Linux; Windows reaches only port 445), from {where}"


def cli_command() -> str:
    """How to run the CLI from where the daemon was started: `homeport` if that is on the PATH (the same one),
    else the path this daemon was started with (`.venv/bin/homeport` after `make run`), else `python -m`."""
    started = Path(sys.argv[0])
    on_path = shutil.which("homeport")
    if started.name == "homeport" and started.exists():
        if on_path is not None and Path(on_path).resolve() == started.resolve():
            return "homeport"
        return str(started.resolve())
    return f"{sys.executable} -m homeport"


def run(options: ServeOptions) -> None:
    """Start the daemon and block until it is stopped; raises StartupFailed with a clear message."""
    configure_logging()
    limit_malloc_arenas()
    os.umask(0o077)
    home = Home(options.home)
    try:
        home.prepare()
        lock_fd = home.lock()
    except HomeUnusable as exc:
        raise StartupFailed(str(exc)) from exc
    fixed = options.http_port is not None or options.https_port is not None
    web = WebServers(options.binds, WebPorts(), fixed)
    try:
        services = build_services(home, options.build, listeners=web)
    except StartupError as exc:
        os.close(lock_fd)
        raise StartupFailed(str(exc)) from exc
    except MigrationError as exc:
        os.close(lock_fd)
        raise StartupFailed(f"The configuration store cannot be used by this version: {exc}") from exc
    except (OSError, sqlite3.Error) as exc:
        os.close(lock_fd)
        raise StartupFailed(f"Cannot open the configuration store {home.db_path}: {exc}") from exc
    if options.apt_hook:
        _install_apt_hook(services, options.apt_hook, home)
    try:
        web.ports = _initial_ports(options, services)
        web.bind()
        with asyncio.Runner(loop_factory=HandshakeBoundLoop) as runner:
            runner.run(_serve(services, options, home, web))
    except PortUnavailable as exc:
        raise StartupFailed(str(exc)) from exc
    finally:
        close_services(services)
        os.close(lock_fd)
        _log.info("homeport stopped")
    root = services.updates.root
    if services.updates.restart.requested and root is not None:
        _log.info("restarting into the release now current")
        restart_into_current(root.root)
