"""Unicode direction controls: found in typed text, and neutralised for display."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from homeport.core.text import DIRECTION_CONTROLS, has_direction_controls, neutralise_direction_controls

EXPECTED = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


def test_the_set_is_the_unicode_bidi_controls() -> None:
    assert frozenset(EXPECTED) == DIRECTION_CONTROLS


def test_each_control_is_found_and_replaced_by_the_replacement_character() -> None:
    for control in EXPECTED:
        assert has_direction_controls(f"abc{control}def")
        assert neutralise_direction_controls(f"abc{control}def") == "abc\ufffddef"


@given(st.text())
def test_neutralised_text_has_none_left_and_keeps_its_length(text: str) -> None:
    cleaned = neutralise_direction_controls(text)
    assert not has_direction_controls(cleaned) and len(cleaned) == len(text)
    if not has_direction_controls(text):
        assert cleaned == text


def test_right_to_left_scripts_are_untouched() -> None:
    assert neutralise_direction_controls("שלום مرحبا") == "שלום مرحبا"
