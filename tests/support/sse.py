"""Read a Server-Sent Events stream in a thread of its own, so a test waits for an event with a deadline."""

from __future__ import annotations

import contextlib
import json
import queue
import threading
from collections.abc import Iterator
from typing import Any

from starlette.testclient import TestClient

ENDED = "(ended)"


class EventReader:
    def __init__(self, lines: Iterator[str]) -> None:
        self._events: queue.Queue[tuple[str, Any]] = queue.Queue()
        self.comments: list[str] = []
        self._thread = threading.Thread(target=self._read, args=(lines,), name="sse-reader", daemon=True)
        self._thread.start()

    def _read(self, lines: Iterator[str]) -> None:
        name, data = "message", ""
        try:
            for line in lines:
                if line.startswith(":"):
                    self.comments.append(line)
                elif line.startswith("event:"):
                    name = line[6:].strip()
                elif line.startswith("data:"):
                    data += line[5:].strip()
                elif line == "" and data:
                    self._events.put((name, json.loads(data)))
                    name, data = "message", ""
        except Exception:  # the stream was closed under us: that is its end
            pass
        finally:
            self._events.put((ENDED, None))

    def next(self, name: str | None = None, timeout: float = 5.0) -> tuple[str, Any]:
        """The next event (named `name`, skipping others); AssertionError after `timeout` seconds."""
        while True:
            try:
                found = self._events.get(timeout=timeout)
            except queue.Empty:
                raise AssertionError(f"no {name or 'event'} within {timeout} s") from None
            if name is None or found[0] in (name, ENDED):
                return found

    def ended(self, timeout: float = 5.0) -> bool:
        self._thread.join(timeout)
        return not self._thread.is_alive()


@contextlib.contextmanager
def events(client: TestClient, path: str) -> Iterator[EventReader]:
    """Open `path` as a stream; closed (and its reader thread ended) on the way out."""
    with client.stream("GET", path) as answer:
        assert answer.status_code == 200, answer.read()
        assert answer.headers["content-type"].startswith("text/event-stream")
        reader = EventReader(answer.iter_lines())
        try:
            yield reader
        finally:
            answer.close()
    reader.ended(10)
