"""Security settings validation: every wrong field named, nothing saved."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from homeport.core.errors import InvalidInput
from homeport.services import Services
from homeport.system.settings import SecuritySettings, validate_security


def test_defaults_are_the_baselines() -> None:
    settings = SecuritySettings()
    assert (settings.password_min_length, settings.session_idle_minutes, settings.session_absolute_hours) == (
        12,
        15,
        12,
    )
    assert (settings.auto_block_attempts, settings.auto_block_window_minutes, settings.auto_block_minutes) == (
        10,
        5,
        30,
    )
    assert (settings.account_protection_attempts, settings.account_protection_window_minutes) == (5, 1)
    assert settings.account_protection_minutes == 30


def test_every_wrong_field_is_named() -> None:
    with pytest.raises(InvalidInput) as caught:
        validate_security(
            {"session_idle_minutes": 0, "auto_block_attempts": True, "allow_list": ["nope"], "colour": "red"},
            SecuritySettings(),
        )
    assert set(caught.value.fields) == {"session_idle_minutes", "auto_block_attempts", "allow_list", "colour"}


def test_the_allow_list_is_normalised() -> None:
    updated = validate_security({"allow_list": ["192.168.1.7", "10.0.0.0/8", "10.0.0.0/8"]}, SecuritySettings())
    assert updated.allow_list == ("10.0.0.0/8", "192.168.1.7/32")


@given(st.dictionaries(st.sampled_from(list(SecuritySettings().as_dict())), st.integers(-10, 10_000) | st.booleans()))
def test_any_change_is_either_valid_or_refused_whole(changes: dict[str, object]) -> None:
    try:
        updated = validate_security(changes, SecuritySettings())
    except InvalidInput as exc:
        assert exc.fields
    else:
        assert 8 <= updated.password_min_length <= 64


def test_a_refused_change_saves_nothing(services: Services) -> None:
    with pytest.raises(InvalidInput), services.db.write() as conn:
        services.settings.update_security(conn, {"session_idle_minutes": 1})
    assert services.settings.security() == SecuritySettings()


def test_a_rolled_back_change_is_not_left_in_the_cache(services: Services) -> None:
    with pytest.raises(RuntimeError), services.db.write() as conn:
        services.settings.update_security(conn, {"session_idle_minutes": 30})
        assert services.settings.security().session_idle_minutes == 30  # visible inside its own transaction
        raise RuntimeError
    assert services.settings.security().session_idle_minutes == 15


def test_trusted_proxies_are_normalised_and_never_too_wide() -> None:
    updated = validate_security(
        {"trusted_proxies": ["::ffff:127.0.0.3", " 10.0.0.5 ", "192.168.0.0/16"], "proxy_header": "X-Real-IP"},
        SecuritySettings(),
    )
    assert updated.trusted_proxies == ("10.0.0.5/32", "127.0.0.3/32", "192.168.0.0/16")
    assert updated.proxy_header == "x-real-ip"
    for wide in (["0.0.0.0/0"], ["::/0"], ["10.0.0.0/8"], ["2001:db8::/48"]):
        with pytest.raises(InvalidInput) as caught:
            validate_security({"trusted_proxies": wide}, SecuritySettings())
        assert "too wide for a proxy" in caught.value.fields["trusted_proxies"]
    with pytest.raises(InvalidInput) as caught:
        validate_security({"trusted_proxies": ["fe80::1%eth0"]}, SecuritySettings())
    assert "%zone" in caught.value.fields["trusted_proxies"]
    with pytest.raises(InvalidInput) as caught:
        validate_security({"proxy_header": "x-client-ip"}, SecuritySettings())
    assert "proxy_header" in caught.value.fields
