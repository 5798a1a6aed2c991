"""The in-process event bus."""

from __future__ import annotations

from homeport.core.cache import Cached
from homeport.core.events import DeviceRenamed, DeviceStateChanged, EventBus


def test_subscribers_hear_only_their_event_type_and_a_failing_one_does_not_stop_others() -> None:
    bus = EventBus()
    heard: list[object] = []

    def broken(_: DeviceRenamed) -> None:
        raise RuntimeError("listener bug")

    bus.subscribe(DeviceRenamed, broken)
    bus.subscribe(DeviceRenamed, heard.append)
    bus.publish(DeviceRenamed("a", "b"))
    bus.publish(DeviceStateChanged("ready", "recovery"))
    assert heard == [DeviceRenamed("a", "b")]


def test_a_load_that_races_an_invalidation_is_not_kept() -> None:
    values = iter([1, 2, 3])
    cache: Cached[int] = Cached(lambda: next(values))

    def racing_load() -> int:
        cache.invalidate()  # a writer commits while this load runs
        return 10

    assert cache.get() == 1
    assert cache.get() == 1
    cache.invalidate()
    cache._load = racing_load
    assert cache.get() == 10
    cache._load = lambda: 20
    assert cache.get() == 20  # the raced value was not cached
