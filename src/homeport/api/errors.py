"""How the API documents its error answers (the answers themselves come from `homeport.http.errors`)."""

from __future__ import annotations

from typing import Any

from homeport.api.schemas import ErrorBody


def documented(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for the error statuses a route may answer with."""
    return {status: {"model": ErrorBody, "description": _DESCRIPTIONS[status]} for status in statuses}


_DESCRIPTIONS = {
    400: "Malformed request (e.g. not JSON).",
    401: "Not signed in, or wrong credentials.",
    403: "Signed in, but not allowed (or the password must be changed first).",
    404: "No such object.",
    409: "Refused in the current state (a guardrail, a duplicate, the device state).",
    422: "Invalid input; `fields` says what is wrong with each field.",
    429: "Too many attempts; see Retry-After.",
    503: "Busy for a moment; see Retry-After.",
}
