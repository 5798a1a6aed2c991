"""The device name is a DNS label: ASCII only, so no direction controls; the message says what to remove."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from homeport.core.errors import InvalidInput
from homeport.network.validate import parse_config
from homeport.system.device import check_device_name

DIRECTION_CONTROLS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


@given(st.text(max_size=70))
def test_an_accepted_device_name_is_plain_ascii(name: str) -> None:
    try:
        check_device_name(name)
    except InvalidInput as exc:
        assert exc.fields["name"]
    else:
        assert name.isascii() and name.isprintable() and 1 <= len(name) <= 63


@pytest.mark.parametrize("control", DIRECTION_CONTROLS)
def test_direction_controls_are_refused_with_a_message_that_names_them(control: str) -> None:
    with pytest.raises(InvalidInput, match="invisible direction-control characters") as caught:
        check_device_name(f"nas{control}")
    assert list(caught.value.fields) == ["name"]


def test_the_network_host_name_gets_the_same_message() -> None:
    raw = {"hostname": "\u202esan", "interfaces": [], "web": {"http": 5000, "https": 5001}}
    with pytest.raises(InvalidInput) as caught:
        parse_config(raw, {})
    assert "invisible direction-control characters" in caught.value.fields["hostname"]
