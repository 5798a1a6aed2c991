"""Account names, emails and full names: generated inputs never crash the checks."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from homeport.accounts.names import check_account_name, check_email, check_full_name
from homeport.core.errors import InvalidInput


@given(st.text(max_size=80))
def test_any_text_is_either_a_valid_name_or_a_clear_refusal(text: str) -> None:
    try:
        assert check_account_name(text) == text
    except InvalidInput as exc:
        assert exc.fields["name"]
    else:
        assert text[0].isalpha() and text.islower() and len(text) <= 32


@pytest.mark.parametrize("name", ["alice", "bob.smith", "c-3po", "x_y", "a" * 32])
def test_valid_names(name: str) -> None:
    assert check_account_name(name) == name


@pytest.mark.parametrize("name", ["", "Alice", "1bob", "a" * 33, "bob smith", "root", "bøb", "-x"])
def test_invalid_names(name: str) -> None:
    with pytest.raises(InvalidInput):
        check_account_name(name)


@given(st.text(max_size=300))
def test_emails_and_full_names_never_crash(text: str) -> None:
    for check in (check_email, check_full_name):
        try:
            check(text)
        except InvalidInput as exc:
            assert exc.fields


DIRECTION_CONTROLS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


@pytest.mark.parametrize("control", DIRECTION_CONTROLS)
def test_direction_controls_are_refused_in_full_names_descriptions_and_emails(control: str) -> None:
    from homeport.accounts.names import check_group_description

    for check, text in (
        (check_full_name, f"Bob {control}gnp.exe"),
        (check_group_description, f"Photos{control} and films"),
        (check_email, f"bob{control}@example.org"),
    ):
        with pytest.raises(InvalidInput, match="invisible direction-control characters") as caught:
            check(text)
        assert len(caught.value.fields) == 1


@given(st.text(max_size=40), st.sampled_from(DIRECTION_CONTROLS), st.text(max_size=40))
def test_no_full_name_with_a_direction_control_is_accepted(before: str, control: str, after: str) -> None:
    with pytest.raises(InvalidInput):
        check_full_name(before + control + after)


def test_right_to_left_names_are_welcome() -> None:
    assert check_full_name("דוד כהן") == "דוד כהן"
    assert check_full_name("محمد علي") == "محمد علي"
