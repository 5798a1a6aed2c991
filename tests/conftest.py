"""Fixtures shared by every test layer."""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings
from starlette.testclient import TestClient

from homeport.accounts.passwords import Argon2Parameters
from homeport.application import create_app
from homeport.backups.keys import WrapParameters
from homeport.daemon import BuildOptions, build_services, close_services
from homeport.home import Home
from homeport.services import Services
from homeport.tls.issue import issue
from tests.support.clock import FakeClock
from tests.support.fakes import StaticInterfaces
from tests.support.loopwatch import loop_never_blocked

FLOOR = Argon2Parameters()  # OWASP m=19 MiB, t=2, p=1: the cheapest the code accepts
CHEAP_WRAP = WrapParameters(memory_kib=64, time_cost=1)  # the recovery passphrase's Argon2id, cheap in tests

# No per-example deadline (a loaded CI machine is slow, not wrong); in CI the examples are the same every run,
# so a red build can be reproduced, while local runs keep exploring new ones.
settings.register_profile("homeport", deadline=None, derandomize=bool(os.environ.get("CI")))
settings.load_profile("homeport")


TESTS = Path(__file__).resolve().parent
MARKER_OF_FOLDER = {"integration": pytest.mark.integration, "e2e": pytest.mark.e2e}
# Threads that outlive one test by design: pytest-timeout's, Python's interpreter-wide helpers, and AnyIO's
# worker threads (a pool that ends its idle threads by itself after 10 s).
LASTING_THREADS = ("MainThread", "pytest_timeout", "asyncio_", "ThreadPoolExecutor-", "AnyIO worker thread")
THREAD_GRACE_SECONDS = 5.0


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """`integration` and `e2e` follow the folder a test is in, so `make test-fast` can leave them out."""
    for item in items:
        folder = Path(str(item.fspath)).resolve().relative_to(TESTS).parts[0]
        if folder in MARKER_OF_FOLDER:
            item.add_marker(MARKER_OF_FOLDER[folder])


@pytest.fixture(autouse=True)
def no_thread_left_behind(request: pytest.FixtureRequest) -> Iterator[None]:
    """A test that leaves a thread running (a server, a watcher, a client never closed) fails: the next tests
    would share a process with it. `@pytest.mark.leaves_threads("prefix")` names a library's own."""
    marker = request.node.get_closest_marker("leaves_threads")
    allowed = LASTING_THREADS + (tuple(marker.args) if marker else ())
    before = {t.ident for t in threading.enumerate()}
    yield
    deadline = time.monotonic() + THREAD_GRACE_SECONDS
    while True:
        left = [
            t for t in threading.enumerate()
            if t.ident not in before and t.is_alive() and not t.name.startswith(allowed)
        ]  # fmt: skip
        if not left or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert not left, f"the test left threads running: {[t.name for t in left]}"


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
        BuildOptions(volumes=(volume,), argon2=FLOOR, hash_workers=2, tls_issuer=issue, backup_wrap=CHEAP_WRAP),
        clock=clock,
        interfaces=StaticInterfaces(),
    )
    yield built
    close_services(built)


@pytest.fixture
def client(services: Services) -> Iterator[TestClient]:
    with (
        TestClient(create_app(services), base_url="https://testserver") as test_client,
        loop_never_blocked(test_client.portal),
    ):
        yield test_client


@pytest.fixture
def local_client(services: Services) -> Iterator[TestClient]:
    """The CLI's surface: every call is root on the machine."""
    with TestClient(create_app(services, local=True), base_url="http://homeport") as test_client:
        yield test_client
