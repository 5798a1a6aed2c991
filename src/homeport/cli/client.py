"""The CLI's connection to the daemon: HTTP over the home's Unix socket, errors turned into exit codes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from homeport.cli.output import EXIT_OF_STATUS, FAILED, NOT_ALLOWED, UNREACHABLE, fail
from homeport.home import Home

DEFAULT_HOME = Path("/var/lib/homeport")


class DaemonClient:
    """Imports its HTTP client lazily: `homeport serve` goes through this module and should not load it."""

    def __init__(self, home: Path, *, as_json: bool = False, timeout: float = 30.0) -> None:
        import httpx2 as httpx

        self.socket = Home(home).socket_path
        self.as_json = as_json
        self._http = httpx.Client(
            transport=httpx.HTTPTransport(uds=str(self.socket)),
            base_url="http://homeport/api/v1",
            timeout=timeout,
        )

    def __enter__(self) -> DaemonClient:
        return self

    def __exit__(self, *_: object) -> None:
        self._http.close()

    def call(self, method: str, path: str, *, json: Any = None, params: dict[str, Any] | None = None) -> Any:
        import httpx2 as httpx

        try:
            response = self._http.request(method, path, json=json, params=params)
        except httpx.ConnectError as exc:
            if isinstance(exc.__cause__, PermissionError) or "Permission denied" in str(exc):
                fail(
                    f"Not allowed to use {self.socket}; run as root or as the daemon's user (sudo).",
                    NOT_ALLOWED,
                    as_json=self.as_json,
                )
            fail(
                f"Homeport is not running with the home {self.socket.parent} (no socket at {self.socket}). "
                "Start it with `homeport serve`, or pass --home.",
                UNREACHABLE,
                as_json=self.as_json,
            )
        except httpx.HTTPError as exc:
            fail(f"Lost the connection to the daemon: {exc}", UNREACHABLE, as_json=self.as_json)
        if response.status_code >= 300:  # a redirect is never an answer from the API: a wrong path
            self._raise(response)
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    def every(self, path: str, *, page_size: int = 1000) -> list[Any]:
        """Every item of a paged list, a page at a time."""
        items: list[Any] = []
        while True:
            page = self.call("GET", path, params={"limit": page_size, "offset": len(items)})
            items.extend(page)
            if len(page) < page_size:
                return items

    def _raise(self, response: Any) -> None:
        try:
            error = response.json().get("error", {})
        except ValueError:
            error = {}
        message = error.get("message") or f"The daemon answered {response.status_code}."
        fail(
            message,
            EXIT_OF_STATUS.get(response.status_code, FAILED),
            error.get("fields"),
            as_json=self.as_json,
        )
