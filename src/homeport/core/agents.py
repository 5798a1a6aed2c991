"""A browser's User-Agent as a person names it: "Chromium on Linux", "Safari on iPhone", "curl"."""

from __future__ import annotations

import re

from homeport.core.text import neutralise_direction_controls

# Order matters: Edge and Opera also say "Chrome", Chrome also says "Safari", Android also says "Linux".
_BROWSERS = (
    (re.compile(r"\bEdg(e|A|iOS)?/"), "Edge"),
    (re.compile(r"\bOPR/|\bOpera\b"), "Opera"),
    (re.compile(r"\bFirefox/|\bFxiOS/"), "Firefox"),
    (re.compile(r"\bHeadlessChrome/"), "Chromium (headless)"),
    (re.compile(r"\bChromium/"), "Chromium"),
    (re.compile(r"\bChrome/|\bCriOS/"), "Chrome"),
    (re.compile(r"\bVersion/[\d.]+.*\bSafari/"), "Safari"),
    (re.compile(r"^curl/"), "curl"),
    (re.compile(r"^python-(httpx|requests)|^httpx2?/|^testclient"), "a script"),
    (re.compile(r"^Wget/"), "Wget"),
)
_SYSTEMS = (
    (re.compile(r"\biPhone\b"), "iPhone"),
    (re.compile(r"\biPad\b"), "iPad"),
    (re.compile(r"\bAndroid\b"), "Android"),
    (re.compile(r"\bCrOS\b"), "ChromeOS"),
    (re.compile(r"\bWindows\b"), "Windows"),
    (re.compile(r"\bMac OS X\b|\bMacintosh\b"), "macOS"),
    (re.compile(r"\bLinux\b|\bX11\b"), "Linux"),
)


def describe_agent(user_agent: str) -> str:
    agent = user_agent.strip()
    if not agent:
        return "Unknown client"
    browser = next((name for pattern, name in _BROWSERS if pattern.search(agent)), None)
    system = next((name for pattern, name in _SYSTEMS if pattern.search(agent)), None)
    if browser and system:
        return f"{browser} on {system}"
    if browser or system:
        return browser or f"A browser on {system}"
    # An unknown client's own words reach pages and scripts (the approvals dialog): never its direction controls.
    return neutralise_direction_controls(agent.split("/")[0][:40]) or "Unknown client"
