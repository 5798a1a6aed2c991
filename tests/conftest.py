"""Fixtures shared by every test layer."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings
from starlette.testclient import TestClient

from homeport.accounts.passwords import Argon2Parameters
from homeport.application import create_app
from homeport.daemon import BuildOptions, build_services, close_services
from homeport.home import Home
from homeport.services import Services
from homeport.tls.issue import issue
from tests.support.clock import FakeClock
from tests.support.fakes import StaticInterfaces

FLOOR = Argon2Parameters()  # OWASP m=19 MiB, t=2, p=1: the cheapest the code accepts

# No per-example deadline (a loaded CI machine is slow, not wrong); in CI the examples are the same every run,
# so a red build can be reproduced, while local runs keep exploring new ones.
settings.register_profile("homeport", deadline=None, derandomize=bool(os.environ.get("CI")))
settings.load_profile("homeport")


@pytest.fixture
def short_tmp() -> Iterator[Path]:
    """A short temporary folder (a Unix socket path must stay under 108 bytes)."""
    path = Path(tempfile.mkdtemp(prefix="hp-", dir="/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def home(short_tmp: Path) -> Home:
    home = Home(short_tmp / "home")
    home.prepare()
    return home


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def services(home: Home, clock: FakeClock, short_tmp: Path) -> Iterator[Services]:
    volume = short_tmp / "volume1"
    volume.mkdir()
    built = build_services(
        home,
        BuildOptions(volumes=(volume,), argon2=FLOOR, hash_workers=2, tls_issuer=issue),
        clock=clock,
        interfaces=StaticInterfaces(),
    )
    yield built
    close_services(built)


@pytest.fixture
def client(services: Services) -> Iterator[TestClient]:
    with TestClient(create_app(services), base_url="https://testserver") as test_client:
        yield test_client


@pytest.fixture
def local_client(services: Services) -> Iterator[TestClient]:
    """The CLI's surface: every call is root on the machine."""
    with TestClient(create_app(services, local=True), base_url="http://homeport") as test_client:
        yield test_client
