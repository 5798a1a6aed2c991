"""What a form's answer shows, kept for the page the form redirects to, so every POST ends in a redirect (a
reload never sends a form twice): a failure (what went wrong, next to each field, with what was typed), or an
outcome to show once (the links of a network change to confirm).

Kept in memory for ten minutes, at most a few thousand, readable only by the browser that sent the form (its
session, or its address before sign-in). Secrets are never kept (`Submitted.kept()` leaves them out)."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, TypeVar

from fastapi import Request

from homeport.core.ids import new_token, token_digest
from homeport.http.cookies import SESSION_COOKIE
from homeport.http.requests import client_address

FAILED_PARAM = "failed"
T = TypeVar("T")
KEEP_SECONDS = 600.0
MAX_KEPT = 4096


@dataclass(frozen=True)
class Failure:
    """Why a form was not done; the page renders `context()` over its own."""

    status: int
    message: str
    fields: dict[str, str] = field(default_factory=dict)
    typed: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)

    def context(self) -> dict[str, Any]:
        return {"error": self.message, "errors": self.fields, "form": self.typed}


@dataclass(frozen=True)
class _Kept:
    owner: str
    item: object
    expires: float


def owner_of(request: Request) -> str:
    token = request.cookies.get(SESSION_COOKIE)
    return "session:" + token_digest(token) if token else "address:" + client_address(request)


class Kept:
    def __init__(self, *, keep_seconds: float = KEEP_SECONDS, limit: int = MAX_KEPT) -> None:
        self._keep_seconds = keep_seconds
        self._limit = limit
        self._kept: OrderedDict[str, _Kept] = OrderedDict()
        self._lock = threading.Lock()

    def keep(self, owner: str, item: object) -> str:
        key = new_token()[:22]
        with self._lock:
            self._kept[key] = _Kept(owner, item, time.monotonic() + self._keep_seconds)
            while len(self._kept) > self._limit:
                self._kept.popitem(last=False)
        return key

    def recall(self, owner: str, key: str) -> object | None:
        now = time.monotonic()
        with self._lock:
            for stale in [k for k, v in self._kept.items() if v.expires < now]:
                del self._kept[stale]
            found = self._kept.get(key)
        return found.item if found is not None and found.owner == owner else None


def kept(request: Request) -> Kept:
    found: Kept = request.app.state.kept  # made by the console's install()
    return found


def keep(request: Request, item: object) -> str:
    return kept(request).keep(owner_of(request), item)


def recall(request: Request, kind: type[T], key: str) -> T | None:
    item = kept(request).recall(owner_of(request), key) if key else None
    return item if isinstance(item, kind) else None


def recall_failure(request: Request) -> Failure | None:
    return recall(request, Failure, request.query_params.get(FAILED_PARAM, ""))


def back_to(request: Request, page: str, failure: Failure) -> str:
    """Where a failed form goes: its page, with the key to what went wrong."""
    return f"{page}{'&' if '?' in page else '?'}{FAILED_PARAM}={keep(request, failure)}"
