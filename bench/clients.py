"""Small HTTPS clients for the benchmarks: keep-alive connections, optional source address."""

from __future__ import annotations

import http.client
import json
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Client:
    port: int
    context: ssl.SSLContext
    source: str = "127.0.0.1"
    _connection: http.client.HTTPSConnection | None = None

    def request(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> tuple[int, bytes, http.client.HTTPResponse]:
        for attempt in (1, 2):
            if self._connection is None:
                self._connection = http.client.HTTPSConnection(
                    "localhost", self.port, context=self.context, timeout=30, source_address=(self.source, 0)
                )
            try:
                payload = None if body is None else json.dumps(body).encode()
                self._connection.request(
                    method, path, body=payload, headers={"content-type": "application/json", **(headers or {})}
                )
                answer = self._connection.getresponse()
                return answer.status, answer.read(), answer
            except (http.client.HTTPException, OSError):
                self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


@dataclass
class Load:
    """Run `work` in `threads` threads for `seconds`; returns the latency of every call."""

    threads: int
    seconds: float
    latencies: list[float] = field(default_factory=list)

    def run(self, make_work: Callable[[int], Callable[[], None]]) -> float:
        stop = time.monotonic() + self.seconds
        lock = threading.Lock()

        def worker(index: int) -> None:
            work = make_work(index)
            mine: list[float] = []
            while time.monotonic() < stop:
                started = time.perf_counter()
                work()
                mine.append(time.perf_counter() - started)
            with lock:
                self.latencies.extend(mine)

        started = time.monotonic()
        pool = [threading.Thread(target=worker, args=(i,)) for i in range(self.threads)]
        for thread in pool:
            thread.start()
        for thread in pool:
            thread.join(self.seconds + 60)
        return time.monotonic() - started


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]
