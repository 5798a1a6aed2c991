"""The daemon's web listeners (HTTPS console and API, HTTP redirect), movable to new ports at run time.

Ports given on the command line are fixed; otherwise they follow the network settings, and a change binds
the new ports first (so a port in use is refused before anything else moves), then retires the old servers
without waiting for them: the request that asked for the move is still being answered by one of them.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import socket
from collections.abc import Callable, Generator, Iterable
from typing import Any

import uvicorn

from homeport.core.errors import OperationFailed
from homeport.network.model import WebPorts
from homeport.slow_clients import DAEMON_TIMEOUTS, ClientTimeouts, guarded_protocol


class PortUnavailable(Exception):
    """A port could not be bound; the message says which and why."""


class QuietServer(uvicorn.Server):
    """Signals are handled once for all listeners by the daemon, not by each uvicorn server."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


def uvicorn_config(app: Any, ssl_context: Any = None, timeouts: ClientTimeouts = DAEMON_TIMEOUTS) -> uvicorn.Config:
    """Every listener's settings; the keep-alive, header and body timeouts are the protocol's (slow_clients)."""
    return uvicorn.Config(
        app,
        lifespan="off",
        http=guarded_protocol(timeouts),
        # Never believe forwarding headers here (uvicorn would from loopback): api/forwarded.py decides.
        proxy_headers=False,
        forwarded_allow_ips=[],
        access_log=False,
        server_header=False,
        date_header=True,
        log_config=None,
        timeout_graceful_shutdown=5,
        ssl_context_factory=None if ssl_context is None else (lambda *_: ssl_context),
    )


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
            raise PortUnavailable(
                f"Port {port} on {host} is already in use; stop what uses it or pick another port."
            ) from exc
        if exc.errno == errno.EACCES:
            raise PortUnavailable(
                f"Not allowed to listen on port {port}; use a port above 1023 or run as root."
            ) from exc
        raise PortUnavailable(f"Cannot listen on {host} port {port}: {exc.strerror}.") from exc
    sock.listen(128)
    return sock


def bind_tcp(binds: Iterable[str], port: int) -> list[socket.socket]:
    """Listen on each bind address; by default IPv4 everywhere, plus IPv6 where the host has it."""
    chosen = list(binds)
    if chosen:
        sockets: list[socket.socket] = []
        try:
            for host in chosen:
                sockets.append(_tcp_socket(host, port))
        except PortUnavailable:
            for sock in sockets:
                sock.close()
            raise
        return sockets
    sockets = [_tcp_socket("0.0.0.0", port)]  # noqa: S104 - an appliance answers on its LAN
    if socket.has_ipv6:
        with contextlib.suppress(PortUnavailable):
            sockets.append(_tcp_socket("::", port))
    return sockets


class WebServers:
    def __init__(self, binds: tuple[str, ...], ports: WebPorts, fixed: bool) -> None:
        self._binds = binds
        self.ports = ports
        self._fixed = fixed
        self._web: Any = None
        self._ssl: Any = None
        self._redirect: Callable[[int], Any] | None = None
        self._pending_sockets: tuple[list[socket.socket], list[socket.socket]] | None = None
        self._servers: list[tuple[QuietServer, asyncio.Task[None]]] = []
        self._retired: list[asyncio.Task[None]] = []
        self._stopped = asyncio.Event()

    @property
    def fixed(self) -> bool:
        return self._fixed

    def bind(self) -> None:
        """Bind the initial ports (before anything else starts, so a taken port stops the daemon at once)."""
        self._pending_sockets = self._bind_pair(self.ports)

    def _bind_pair(self, ports: WebPorts) -> tuple[list[socket.socket], list[socket.socket]]:
        https = bind_tcp(self._binds, ports.https)
        try:
            http = bind_tcp(self._binds, ports.http)
        except PortUnavailable:
            for sock in https:
                sock.close()
            raise
        return https, http

    def attach(self, web: Any, ssl_context: Any, redirect: Callable[[int], Any]) -> None:
        self._web, self._ssl, self._redirect = web, ssl_context, redirect

    def _launch(self, sockets: tuple[list[socket.socket], list[socket.socket]], ports: WebPorts) -> None:
        assert self._redirect is not None
        https, http = sockets
        for config, socks in (
            (uvicorn_config(self._web, self._ssl), https),
            (uvicorn_config(self._redirect(ports.https)), http),
        ):
            server = QuietServer(config)
            task = asyncio.get_running_loop().create_task(server.serve(sockets=socks))
            self._servers.append((server, task))

    async def run(self) -> None:
        """Serve until stop(); survives moves."""
        assert self._pending_sockets is not None
        self._launch(self._pending_sockets, self.ports)
        self._pending_sockets = None
        await self._stopped.wait()
        for server, _ in self._servers:
            server.should_exit = True
        await asyncio.gather(*(task for _, task in self._servers), *self._retired, return_exceptions=True)

    async def move(self, ports: WebPorts) -> None:
        if ports == self.ports:
            return
        try:
            sockets = await asyncio.to_thread(self._bind_pair, ports)
        except PortUnavailable as exc:
            raise OperationFailed(str(exc)) from exc
        retiring = list(self._servers)
        self._servers = []
        self._launch(sockets, ports)
        self.ports = ports
        for server, task in retiring:
            server.should_exit = True  # finishes the requests it has, in its own time
            self._retired.append(task)

    def stop(self) -> None:
        self._stopped.set()
