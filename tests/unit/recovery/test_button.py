"""The button state machine at every edge of recovery.md's timings."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from homeport.recovery.button import BOUNCE_SECONDS, Beep, ButtonMachine, Decided, Decision, Output, ShortPress

MODE_1 = Decided(Decision.MODE_1)
MODE_2 = Decided(Decision.MODE_2)


def run(edges: list[tuple[str, float]], until: float) -> list[tuple[float, Output]]:
    """Feed press/release edges, ticking at every deadline, up to `until`; returns (time, output) pairs."""
    machine = ButtonMachine()
    happened: list[tuple[float, Output]] = []
    for kind, at in [*edges, ("tick", until)]:
        while (deadline := machine.next_deadline()) is not None and deadline <= at:
            happened += [(deadline, o) for o in machine.tick(deadline)]
        outputs = {"press": machine.press, "release": machine.release, "tick": machine.tick}[kind](at)
        happened += [(at, o) for o in outputs]
    return happened


def outputs(edges: list[tuple[str, float]], until: float = 100.0) -> list[Output]:
    return [o for _, o in run(edges, until)]


@pytest.mark.parametrize("held", [0.1, 1.0, 3.9, 3.99])
def test_a_press_shorter_than_4_s_starts_no_reset_and_is_a_short_press(held: float) -> None:
    """A short press is what confirms a waiting recovery sign-in; it comes once the release is not a bounce."""
    assert run([("press", 0.0), ("release", held)], 100.0) == [(held + BOUNCE_SECONDS, ShortPress())]


def test_a_short_second_press_inside_the_reset_window_is_part_of_the_gesture_not_a_short_press() -> None:
    happened = run([("press", 0.0), ("release", 5.0), ("press", 7.0), ("release", 8.0)], 100.0)
    assert happened == [(4.0, Beep(1)), (15.0, MODE_1)]


def test_contact_bounce_within_a_short_press_is_one_short_press() -> None:
    edges = [("press", 0.0), ("release", 0.5), ("press", 0.52), ("release", 1.0)]
    assert outputs(edges) == [ShortPress()]


@pytest.mark.parametrize("held", [4.0, 4.01, 5.0])
def test_a_4_s_hold_beeps_once_at_the_mark_then_mode_1_after_the_window(held: float) -> None:
    happened = run([("press", 0.0), ("release", held)], 100.0)
    assert happened == [(4.0, Beep(1)), (held + 10.0, MODE_1)]


def test_the_beep_comes_while_still_held() -> None:
    machine = ButtonMachine()
    machine.press(0.0)
    assert machine.tick(3.999) == []
    assert machine.tick(4.0) == [Beep(1)]


def test_a_second_long_press_in_the_window_is_mode_2_with_three_beeps() -> None:
    happened = run([("press", 0.0), ("release", 5.0), ("press", 7.0), ("release", 12.0)], 100.0)
    assert happened == [(4.0, Beep(1)), (11.0, Beep(3)), (11.0, MODE_2)]


def test_second_press_at_9_9_s_after_release_is_mode_2() -> None:
    happened = run([("press", 0.0), ("release", 5.0), ("press", 14.9), ("release", 19.0)], 100.0)
    assert happened == [(4.0, Beep(1)), (18.9, Beep(3)), (18.9, MODE_2)]


def test_second_press_at_10_1_s_after_release_is_too_late() -> None:
    happened = run([("press", 0.0), ("release", 5.0), ("press", 15.1), ("release", 20.0)], 100.0)
    # The window ended at 15.0 with Mode 1; the later hold is a new gesture of its own, never a Mode 2.
    assert happened[:2] == [(4.0, Beep(1)), (15.0, MODE_1)]
    assert MODE_2 not in [o for _, o in happened]


def test_a_short_second_press_inside_the_window_keeps_the_window() -> None:
    happened = run([("press", 0.0), ("release", 5.0), ("press", 6.0), ("release", 7.0)], 100.0)
    assert happened == [(4.0, Beep(1)), (15.0, MODE_1)]


def test_a_second_hold_across_the_window_end_released_early_is_mode_1() -> None:
    happened = run([("press", 0.0), ("release", 5.0), ("press", 13.0), ("release", 16.0)], 100.0)
    assert happened == [(4.0, Beep(1)), (16.0 + BOUNCE_SECONDS, MODE_1)]  # once the release is surely one


def test_a_press_held_for_a_minute() -> None:
    assert run([("press", 0.0), ("release", 60.0)], 100.0) == [(4.0, Beep(1)), (70.0, MODE_1)]
    second = run([("press", 0.0), ("release", 5.0), ("press", 6.0), ("release", 66.0)], 100.0)
    assert second == [(4.0, Beep(1)), (10.0, Beep(3)), (10.0, MODE_2)]


def test_contact_bounce_is_one_hold() -> None:
    edges = [("press", 0.0), ("release", 2.0), ("press", 2.0 + BOUNCE_SECONDS / 2), ("release", 4.5)]
    assert run(edges, 100.0) == [(4.0, Beep(1)), (14.5, MODE_1)]
    chattering = [("press", 0.0)]
    for n in range(1, 40):  # a chattering contact for 2 s, then held
        chattering.append(("release" if n % 2 else "press", n * 0.05 - 0.03 * (n % 2)))
    assert [o for o in outputs([*chattering, ("press", 2.0), ("release", 3.0)]) if isinstance(o, Decided)] == []


def test_a_release_just_before_the_mark_does_not_beep_even_within_the_bounce_time() -> None:
    assert outputs([("press", 0.0), ("release", 3.99)]) == [ShortPress()]


def test_nothing_happens_without_a_press() -> None:
    machine = ButtonMachine()
    assert machine.tick(1000.0) == [] and machine.release(1001.0) == [] and machine.next_deadline() is None


@given(st.lists(st.floats(min_value=0.0, max_value=30.0, allow_nan=False), max_size=30))
def test_any_sequence_gives_at_most_one_decision_per_gesture_and_mode_2_only_after_beeps(times: list[float]) -> None:
    edges = [("press" if n % 2 == 0 else "release", t) for n, t in enumerate(sorted(times))]
    happened = outputs(edges, 200.0)
    for n, item in enumerate(happened):
        if item == MODE_2:
            assert happened[n - 1] == Beep(3)
        if item == Beep(3):
            assert Beep(1) in happened[:n]
