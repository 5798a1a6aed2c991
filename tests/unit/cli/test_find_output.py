"""`homeport find` at 80 columns: an address, a MAC or a console URL is never broken inside (it is copied or
typed as it is); long names and sentences may wrap."""

from __future__ import annotations

import io
import re

import pytest
from rich.console import Console

from homeport.cli import find_cmd, output
from homeport.discovery.records import Sighting

LONG = Sighting(
    name="the-network-attached-storage-in-the-living-room-cupboard", state="recovery",
    addresses=("192.168.100.200", "fd12:3456:789a:1::20"), https_port=5001, model="Homeport reference board v2",
    serial="HP-2025-000123", mac="02:42:ac:11:00:02", version="1.0.0",
)  # fmt: skip
SHORT = Sighting(
    name="nas", state="ready", addresses=(), https_port=5001, model="VM", serial="1", mac="02:00:00:00:00:01",
    version="1.0.0",
)  # fmt: skip


@pytest.fixture
def screen(monkeypatch: pytest.MonkeyPatch) -> io.StringIO:
    """An 80-column terminal, and a LAN where two devices answer."""
    printed = io.StringIO()
    monkeypatch.setattr(output, "out", Console(file=printed, width=80, highlight=False, soft_wrap=True))

    async def answers(timeout: float) -> list[Sighting]:
        return [LONG, SHORT]

    monkeypatch.setattr("homeport.discovery.finder.find", answers)
    return printed


def test_addresses_macs_and_urls_stay_whole_at_80_columns(screen: io.StringIO) -> None:
    find_cmd.find(timeout=1.0, as_json=False, serve=False, port=5080, bind="127.0.0.1")
    shown = screen.getvalue()
    lines = shown.splitlines()
    assert all(len(line) <= 80 for line in lines), shown
    whole = [*LONG.addresses, LONG.mac, LONG.console_url, SHORT.mac, SHORT.console_url]
    for text in whole:
        assert any(re.search(rf"(^|\s){re.escape(text)}(\s|$)", line) for line in lines), f"{text} broken:\n{shown}"
    assert SHORT.console_url == "https://nas.local:5001/"
    for word in LONG.name.split("-"):
        assert word in shown  # the long name is all there, wrapped or not
