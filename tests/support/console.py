"""Helpers to drive the console's server-rendered forms the way a browser without JavaScript does."""

from __future__ import annotations

import re

from httpx2 import Response
from starlette.testclient import TestClient

from homeport.services import Services


def form_token(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the page has no form token"
    return match.group(1)


def shown(client: TestClient, answer: Response) -> Response:
    """Every form answers with a redirect (a reload never sends it again); the page it leads to shows the outcome."""
    assert answer.status_code == 303, answer.text
    return client.get(answer.headers["location"])


def security_form(services: Services) -> dict[str, str]:
    """The Security page's form as a browser sends it for the current settings (unchecked boxes are absent)."""
    form: dict[str, str] = {}
    for name, value in services.settings.security().as_dict().items():
        if isinstance(value, bool):
            if value:
                form[name] = "1"
        elif isinstance(value, list):
            form[name] = "\n".join(value)
        else:
            form[name] = str(value)
    return form
