"""The error hierarchy, mapped once to HTTP status codes (http/errors.py) and CLI exit codes (cli/output.py).

`InvalidInput` is bad input with a message per field; the others say why an operation could not be done.
Every message tells the user what went wrong and what to do next.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator


class HomeportError(Exception):
    """Base of every error a user may see; `code` is stable for scripts, `message` is for people."""

    code = "error"

    def __init__(self, message: str, *, code: str | None = None, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = dict(fields or {})  # field -> what is wrong with it, for forms and API clients
        if code is not None:
            self.code = code


class InvalidInput(HomeportError):
    """The request itself is wrong; `fields` maps a field name to what is wrong with it."""

    code = "invalid_input"

    @classmethod
    def field(cls, name: str, problem: str) -> InvalidInput:
        """One field is wrong: the message repeats the problem so a caller without field display sees it."""
        return cls(problem, fields={name: problem})


class Unauthenticated(HomeportError):
    """No valid sign-in: the caller must sign in (again)."""

    code = "unauthenticated"


class Forbidden(HomeportError):
    """Signed in, but not allowed to do this."""

    code = "forbidden"


class NotFound(HomeportError):
    code = "not_found"


class Conflict(HomeportError):
    """The request is valid but the current state forbids it (a guardrail, a wrong device state, a duplicate)."""

    code = "conflict"


class OffsetMismatch(Conflict):
    """A chunk of an upload sent at the wrong place; `expected` is where the next one must start (to resume)."""

    code = "upload_offset_mismatch"

    def __init__(self, message: str, expected: int) -> None:
        super().__init__(message)
        self.expected = expected


class TooManyAttempts(HomeportError):
    """Throttled: try again after `retry_after` seconds."""

    code = "too_many_attempts"

    def __init__(self, message: str, *, retry_after: int, code: str | None = None) -> None:
        super().__init__(message, code=code)
        self.retry_after = max(1, int(retry_after))


class Busy(HomeportError):
    """The device is saturated for a moment (e.g. the password hashing queue is full); retry shortly."""

    code = "busy"

    def __init__(self, message: str, *, retry_after: int = 1) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class OperationFailed(HomeportError):
    """The request was fine but doing it failed (a disk, a subprocess); the message says what to check."""

    code = "operation_failed"


class Problems:
    """Per-field problems collected while checking input, raised together so a form shows every one at once.

    problems = Problems()
    with problems.collect():                 # an InvalidInput raised inside adds its fields
        check_account_name(name)
    with problems.collect(prefix="admin."):  # the same, under a parent field
        ...
    problems.add("name", "Choose another name.")
    problems.check("The account was not created; see the fields.")
    """

    def __init__(self) -> None:
        self.fields: dict[str, str] = {}

    def add(self, field: str, problem: str) -> None:
        self.fields[field] = problem

    def add_from(self, error: HomeportError, *, prefix: str = "", rename: dict[str, str] | None = None) -> None:
        """An error's fields, or its message under `prefix` when it names none."""
        names = rename or {}
        if not error.fields:
            self.add(prefix.rstrip(".") or "body", error.message)
        for field, problem in error.fields.items():
            self.add(prefix + names.get(field, field), problem)

    @contextlib.contextmanager
    def collect(self, *, prefix: str = "", rename: dict[str, str] | None = None) -> Iterator[None]:
        try:
            yield
        except InvalidInput as exc:
            self.add_from(exc, prefix=prefix, rename=rename)

    def __contains__(self, field: object) -> bool:
        return field in self.fields

    def __bool__(self) -> bool:
        return bool(self.fields)

    def check(self, message: str) -> None:
        """Raise InvalidInput with every problem found, if there is one."""
        if self.fields:
            raise InvalidInput(message, fields=dict(self.fields))
