"""One page of a list that grows (users, groups, sessions, the log): which slice, in which order, matching what.
The API takes `limit`, `offset`, `q` and `sort` (a field, `-field` for descending) and says the total in
`X-Total-Count`; the console shows the same pages."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

T = TypeVar("T")
DEFAULT_LIMIT = 50
MAX_LIMIT = 1000


@dataclass(frozen=True)
class PageRequest:
    limit: int = DEFAULT_LIMIT
    offset: int = 0
    q: str = ""
    sort: str = ""

    def order(self, allowed: Sequence[str], default: str) -> tuple[str, bool]:
        """The sort field (one of `allowed`, else `default`, which may start with `-`) and whether it is
        descending."""
        chosen = self.sort if self.sort.removeprefix("-") in allowed else default
        return chosen.removeprefix("-"), chosen.startswith("-")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    total: int
    request: PageRequest

    @property
    def next_offset(self) -> int | None:
        after = self.request.offset + len(self.items)
        return after if after < self.total else None

    @property
    def previous_offset(self) -> int | None:
        return max(0, self.request.offset - self.request.limit) if self.request.offset > 0 else None


def like_anywhere(text: str) -> str:
    """A SQL LIKE pattern (with `ESCAPE '\\'`) for `text` anywhere, its own `%` and `_` taken literally."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def page_of(
    items: Sequence[T],
    request: PageRequest,
    *,
    text: Callable[[T], str],
    keys: dict[str, Callable[[T], Any]],
    default: str,
) -> Page[T]:
    """Paging for lists kept in memory (groups, sessions): filter on `text`, sort by one of `keys`, slice."""
    needle = request.q.strip().casefold()
    found = [item for item in items if needle in text(item).casefold()] if needle else list(items)
    field, descending = request.order(list(keys), default)
    found.sort(key=keys[field], reverse=descending)
    return Page(found[request.offset : request.offset + request.limit], len(found), request)
