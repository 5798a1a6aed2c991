"""The idle trim: once after each quiet spell that follows requests, never while idle without them."""

from __future__ import annotations

import asyncio

import pytest
from starlette.types import Receive, Scope, Send

from homeport import idle_memory
from homeport.idle_memory import IdleTrim


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    return None


def test_a_trim_follows_each_quiet_spell_after_requests(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(idle_memory, "LOOK_EVERY", 0.01)
    trimmer = IdleTrim(app, quiet=0.05)

    async def scenario() -> list[int]:
        running = asyncio.create_task(trimmer.run())
        seen = []
        await asyncio.sleep(0.2)
        seen.append(trimmer.trims)  # idle from the start: nothing to give back
        await trimmer({"type": "http"}, None, None)  # type: ignore[arg-type]
        await trimmer({"type": "http"}, None, None)  # type: ignore[arg-type]
        await asyncio.sleep(0.2)
        seen.append(trimmer.trims)  # one trim for the burst
        await trimmer({"type": "lifespan"}, None, None)  # type: ignore[arg-type]
        await asyncio.sleep(0.2)
        seen.append(trimmer.trims)  # not a request
        running.cancel()
        return seen

    assert asyncio.run(scenario()) == [0, 1, 1]
