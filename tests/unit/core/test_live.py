"""The live event hub: publishing from worker threads to streams on the event loop, and its bounds."""

from __future__ import annotations

import asyncio
import threading

import pytest

from homeport.core.live import QUEUE_SIZE, Ended, LiveEvent, LiveHub, TooManyStreams


def test_an_event_published_from_another_thread_reaches_the_stream() -> None:
    async def scenario() -> LiveEvent | None:
        hub = LiveHub()
        stream = hub.subscribe("user:1", "session-a")
        other = hub.subscribe("user:2", "session-b")
        worker = threading.Thread(target=hub.publish, args=("user:1", LiveEvent("notice", {"message": "hi"})))
        worker.start()
        worker.join()
        got = await stream.next(2.0)
        assert await other.next(0.05) is None  # another channel hears nothing
        return got

    assert asyncio.run(scenario()) == LiveEvent("notice", {"message": "hi"})


def test_streams_are_bounded_per_owner_and_in_total() -> None:
    async def scenario() -> None:
        hub = LiveHub(max_streams=3, per_owner=2)
        first = hub.subscribe("c", "a")
        hub.subscribe("c", "a")
        with pytest.raises(TooManyStreams) as refused:
            hub.subscribe("c", "a")
        assert not refused.value.everyone
        hub.subscribe("c", "b")
        with pytest.raises(TooManyStreams) as full:
            hub.subscribe("c", "d")
        assert full.value.everyone
        first.close()
        hub.subscribe("c", "a")  # a closed stream makes room
        assert len(hub) == 3

    asyncio.run(scenario())


def test_a_stream_that_falls_behind_is_ended_and_end_reaches_an_owner() -> None:
    async def scenario() -> None:
        hub = LiveHub()
        slow = hub.subscribe("c", "a")
        for n in range(QUEUE_SIZE + 5):
            hub.publish("c", LiveEvent("n", {"n": n}))
        await asyncio.sleep(0)  # the deliveries run on the loop
        received = 0
        with pytest.raises(Ended):
            while True:
                assert await slow.next(1.0) is not None
                received += 1
        assert received == QUEUE_SIZE
        kept = hub.subscribe("c", "b")
        hub.end(owner="b")
        await asyncio.sleep(0)
        with pytest.raises(Ended):
            await kept.next(1.0)

    asyncio.run(scenario())


def test_an_event_is_one_server_sent_event() -> None:
    assert LiveEvent("state", {"state": "approved"}).encode() == b'event: state\ndata: {"state":"approved"}\n\n'
