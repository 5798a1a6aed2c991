"""`homeport serve`: the daemon process. HTTPS console and API, HTTP redirect, and the CLI's Unix socket,
all on one event loop; SIGTERM/SIGINT stop it cleanly; an unusable home stops it before it listens.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import errno
import logging
import os
import signal
import socket
import sqlite3
import sys
from collections.abc import Generator, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import structlog
import uvicorn

from homeport.api.app import create_app
from homeport.daemon import BuildOptions, build_services, close_services
from homeport.home import Home, HomeUnusable
from homeport.services import Services
from homeport.store.migrate import MigrationError
from homeport.web.redirect import create_redirect_app

_log = structlog.get_logger("homeport.daemon")

DEFAULT_HTTP_PORT = 5000
DEFAULT_HTTPS_PORT = 5001


class StartupFailed(Exception):
    """The daemon cannot start; the message says why and what to do."""


@dataclass(frozen=True)
class ServeOptions:
    home: Path
    binds: tuple[str, ...] = ()
    http_port: int = DEFAULT_HTTP_PORT
    https_port: int = DEFAULT_HTTPS_PORT
    build: BuildOptions = field(default_factory=BuildOptions)


class _Server(uvicorn.Server):
    """Signals are handled once for all listeners by the daemon, not by each uvicorn server."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


def configure_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    logging.getLogger("uvicorn.error").setLevel(logging.WARNING)
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.dev.ConsoleRenderer(colors=False),
        ],
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
    )


def limit_malloc_arenas() -> None:
    """Return Argon2's large blocks to the kernel and cap per-thread arenas, so idle memory stays small."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-8, 2)  # M_ARENA_MAX
        libc.mallopt(-3, 1024 * 1024)  # M_MMAP_THRESHOLD: blocks of 1 MiB and more are mmapped


def _tcp_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)  # asyncio sets TCP_NODELAY only then
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if family == socket.AF_INET6:
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    try:
        sock.bind((host.strip("[]"), port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise StartupFailed(
                f"Port {port} on {host} is already in use; stop what uses it or pick another port."
            ) from exc
        if exc.errno == errno.EACCES:
            raise StartupFailed(f"Not allowed to listen on port {port}; use a port above 1023 or run as root.") from exc
        raise
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def bind_tcp(binds: Iterable[str], port: int) -> list[socket.socket]:
    """Listen on each bind address; by default IPv4 everywhere, plus IPv6 where the host has it."""
    chosen = list(binds)
    if chosen:
        return [_tcp_socket(host, port) for host in chosen]
    sockets = [_tcp_socket("0.0.0.0", port)]  # noqa: S104 - an appliance answers on its LAN
    if socket.has_ipv6:
        with contextlib.suppress(OSError):
            sockets.append(_tcp_socket("::", port))
    return sockets


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


def _config(app: object, ssl_context: object | None = None) -> uvicorn.Config:
    extra = {} if ssl_context is None else {"ssl_context_factory": lambda *_: ssl_context}
    return uvicorn.Config(
        app,  # type: ignore[arg-type]
        lifespan="off",
        http="httptools",
        access_log=False,
        server_header=False,
        date_header=True,
        log_config=None,
        timeout_keep_alive=30,
        timeout_graceful_shutdown=5,
        **extra,  # type: ignore[arg-type]
    )


async def _serve(services: Services, options: ServeOptions, home: Home) -> None:
    https = bind_tcp(options.binds, options.https_port)
    http = bind_tcp(options.binds, options.http_port)
    unix = bind_unix(home.socket_path)
    urls = console_urls(options.binds, options.https_port, services.device.name())
    web = create_app(services, urls=urls)
    local = create_app(services, local=True, urls=urls)
    redirect = create_redirect_app(services.tls.ca_certificate_pem(), options.https_port)
    servers = [
        (_Server(_config(web, services.tls.server_context())), https),
        (_Server(_config(redirect)), http),
        (_Server(_config(local)), [unix]),
    ]
    loop = asyncio.get_running_loop()

    def stop() -> None:
        for server, _ in servers:
            server.should_exit = True

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop)
    _log.info(
        "homeport is listening",
        console=urls[0],
        ca_certificate=str(services.tls.ca_cert_path),
        state=services.device.state(),
        socket=str(home.socket_path),
    )
    _announce_next_step(services, urls, home.root.absolute())
    try:
        await asyncio.gather(*(server.serve(sockets=socks) for server, socks in servers))
    finally:
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
    print(f"Next:             {steps.get(state, 'sign in')}", file=sys.stderr, flush=True)
    print(f"Command line:     homeport status --home {home}", file=sys.stderr, flush=True)


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
    try:
        services = build_services(home, options.build)
    except MigrationError as exc:
        os.close(lock_fd)
        raise StartupFailed(f"The configuration store cannot be used by this version: {exc}") from exc
    except (OSError, sqlite3.Error) as exc:
        os.close(lock_fd)
        raise StartupFailed(f"Cannot open the configuration store {home.db_path}: {exc}") from exc
    try:
        asyncio.run(_serve(services, options, home))
    finally:
        close_services(services)
        os.close(lock_fd)
        _log.info("homeport stopped")
