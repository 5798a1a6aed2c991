"""User agents named as people name them."""

from __future__ import annotations

import pytest

from homeport.core.agents import describe_agent


@pytest.mark.parametrize(
    ("agent", "named"),
    [
        ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
         "Chrome on Linux"),
        ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 "
         "Safari/537.36", "Chromium (headless) on Linux"),
        ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
         "Version/17.5 Mobile/15E148 Safari/604.1", "Safari on iPhone"),
        ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 "
         "Safari/537.36 Edg/131.0.0.0", "Edge on Windows"),
        ("Mozilla/5.0 (Macintosh; Intel Mac OS X 14.5; rv:128.0) Gecko/20100101 Firefox/128.0", "Firefox on macOS"),
        ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile "
         "Safari/537.36", "Chrome on Android"),
        ("curl/7.88.1", "curl"),
        ("", "Unknown client"),
        ("SomethingNew/1.0", "SomethingNew"),
    ],
)  # fmt: skip
def test_user_agents_get_familiar_names(agent: str, named: str) -> None:
    assert describe_agent(agent) == named


def test_an_unknown_clients_own_name_never_carries_direction_controls() -> None:
    shown = describe_agent("evil\u202etxt.exe/1.0")
    assert shown == "evil\ufffdtxt.exe" and "\u202e" not in shown
