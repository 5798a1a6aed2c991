"""Fixtures of the API tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from homeport.services import Services
from tests.support.api import create_user, setup_device, sign_in
from tests.support.recovery import browser


@pytest.fixture
def installed(services: Services) -> Iterator[TestClient]:
    """A set-up device with a static address on 192.168.1.20/24, alice (administrator) signed in, and bob."""
    with browser(services) as owner:
        setup_device(owner)
        sign_in(owner)
        create_user(owner, "bob", password="a long one for b")
        body = {"hostname": "nas", "interfaces": [{"name": "eth0", "mode": "static", "address": "192.168.1.20/24"}]}
        assert owner.put("/api/v1/network", json=body).status_code == 200
        yield owner
