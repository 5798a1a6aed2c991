"""Fixtures for tests with real processes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.daemon import Daemon


@pytest.fixture
def daemon(short_tmp: Path) -> Iterator[Daemon]:
    """A daemon object for a fresh home (not started); killed by PID whatever the test does."""
    volume = short_tmp / "volume1"
    volume.mkdir()
    made = Daemon(short_tmp / "home", volume)
    yield made
    made.kill()
