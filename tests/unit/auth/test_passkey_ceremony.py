"""The challenge table and the answer checks, without a browser or a server."""

from __future__ import annotations

import pytest

from homeport.auth.passkey_ceremony import (
    PER_CLIENT,
    SECOND_STEP,
    SIGN_IN,
    Challenges,
    PasskeyRefused,
    RelyingParty,
    b64url,
    creation_options,
    request_options,
    verify_assertion,
    verify_new,
)
from homeport.core.errors import Busy
from tests.support.authenticator import SoftPasskey
from tests.support.clock import FakeClock

RP = RelyingParty("nas.local", "https://nas.local:5001")
CLIENT = "192.168.1.50"


def test_a_challenge_is_single_use_and_random() -> None:
    table = Challenges(FakeClock())
    first = table.new("browser:a", SIGN_IN, RP, CLIENT)
    second = table.new("browser:b", SIGN_IN, RP, CLIENT)
    assert len(first.value) == 32 and first.value != second.value
    assert table.take("browser:a", SIGN_IN, RP, CLIENT) == first
    with pytest.raises(PasskeyRefused, match="answered already"):
        table.take("browser:a", SIGN_IN, RP, CLIENT)


def test_a_challenge_lasts_two_minutes() -> None:
    clock = FakeClock()
    table = Challenges(clock)
    table.new("k", SIGN_IN, RP, CLIENT)
    clock.advance(119)
    table.take("k", SIGN_IN, RP, CLIENT)
    table.new("k", SIGN_IN, RP, CLIENT)
    clock.advance(120)
    with pytest.raises(PasskeyRefused, match="2 minutes"):
        table.take("k", SIGN_IN, RP, CLIENT)


@pytest.mark.parametrize(
    ("purpose", "client", "rp"),
    [
        (SECOND_STEP, CLIENT, RP),  # made for a sign-in, answered as a second step
        (SIGN_IN, "192.168.1.99", RP),  # another address
        (SIGN_IN, CLIENT, RelyingParty("nas.local", "https://nas.local")),  # another port of the device
    ],
)
def test_a_challenge_answers_only_what_it_was_made_for(purpose: str, client: str, rp: RelyingParty) -> None:
    table = Challenges(FakeClock())
    table.new("k", SIGN_IN, RP, CLIENT)
    with pytest.raises(PasskeyRefused):
        table.take("k", purpose, rp, client)
    with pytest.raises(PasskeyRefused):  # and the failed attempt used it up
        table.take("k", SIGN_IN, RP, CLIENT)


def test_the_table_is_bounded_and_one_address_evicts_only_its_own() -> None:
    table = Challenges(FakeClock(), limit=100)
    table.new("victim", SIGN_IN, RP, "192.168.1.9")
    for n in range(1000):
        table.new(f"browser:{n}", SIGN_IN, RP, CLIENT)
    assert len(table) == 1 + PER_CLIENT
    table.take("browser:999", SIGN_IN, RP, CLIENT)
    with pytest.raises(PasskeyRefused):
        table.take("browser:0", SIGN_IN, RP, CLIENT)
    table.take("victim", SIGN_IN, RP, "192.168.1.9")  # still there
    for n in range(100 - len(table)):  # many addresses fill the table: the next waits, nobody's is evicted
        table.new(f"crowd:{n}", SIGN_IN, RP, f"10.0.{n // 200}.{n % 200}")
    with pytest.raises(Busy):
        table.new("late", SIGN_IN, RP, "10.9.9.9")


def registered(clock: FakeClock) -> tuple[SoftPasskey, bytes, Challenges]:
    table = Challenges(clock)
    key = SoftPasskey()
    challenge = table.new("s", "register", RP, CLIENT, user_id=1)
    new = verify_new(key.create(creation_options(challenge, b"h" * 32, "alice", "", []), RP.origin), challenge)
    assert new.credential_id == b64url(key.credential_id) and new.sign_count == 0
    return key, new.public_key, table


def test_an_assertion_is_checked_against_the_stored_key() -> None:
    clock = FakeClock()
    key, public_key, table = registered(clock)
    challenge = table.new("b", SIGN_IN, RP, CLIENT)
    options = request_options(challenge, [], "required")
    assert verify_assertion(key.get(options, RP.origin), challenge, public_key, 0, require_uv=True).sign_count == 1
    impostor = SoftPasskey(credential_id=key.credential_id, rp_id=RP.rp_id, user_handle=key.user_handle)
    with pytest.raises(PasskeyRefused, match="signature or format"):
        verify_assertion(impostor.get(options, RP.origin), challenge, public_key, 0, require_uv=True)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"origin": "https://nas.local"}, "another web address"),  # the port is part of the origin
        ({"rp_id": "evil.local"}, "another device name"),
        ({"verified": False}, "did not verify you"),
        ({"sign_count": 4}, "counter went backwards"),
        ({"sign_count": 5}, "counter went backwards"),  # equal is not growing
    ],
)
def test_wrong_assertions_are_refused_with_a_fixed_reason(change: dict[str, object], reason: str) -> None:
    clock = FakeClock()
    key, public_key, table = registered(clock)
    challenge = table.new("b", SIGN_IN, RP, CLIENT)
    options = request_options(challenge, [], "required")
    origin = str(change.pop("origin", RP.origin))
    answer = key.get(options, origin, **change)  # type: ignore[arg-type]
    with pytest.raises(PasskeyRefused, match=reason) as refused:
        verify_assertion(answer, challenge, public_key, 5, require_uv=True)
    assert refused.value.counter == (reason == "counter went backwards")


def test_an_answer_to_another_challenge_is_refused() -> None:
    clock = FakeClock()
    key, public_key, table = registered(clock)
    mine = table.new("a", SIGN_IN, RP, CLIENT)
    other = table.new("b", SIGN_IN, RP, CLIENT)
    answer = key.get(request_options(other, [], "required"), RP.origin)
    with pytest.raises(PasskeyRefused, match="another \\(or an old\\) request"):
        verify_assertion(answer, mine, public_key, 0, require_uv=True)


def test_a_refusal_never_repeats_what_the_browser_sent() -> None:
    clock = FakeClock()
    key, public_key, table = registered(clock)
    challenge = table.new("b", SIGN_IN, RP, CLIENT)
    answer = key.get(request_options(challenge, [], "required"), "https://<script>challenge</script>")
    with pytest.raises(PasskeyRefused) as refused:
        verify_assertion(answer, challenge, public_key, 0, require_uv=True)
    assert "<script>" not in refused.value.message and "another web address" in refused.value.message
