"""The password policy (security-baseline.md "Passwords"), with generated inputs."""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from homeport.accounts import policy
from homeport.accounts.policy import MAX_PASSWORD_BYTES, PasswordPolicy, common_passwords, digest_table, is_common
from homeport.core.errors import InvalidInput

POLICY = PasswordPolicy(min_length=12)
# Letters from several scripts, digits, punctuation and spaces; no surrogates or NUL.
PRINTABLE = st.characters(categories=("L", "N", "P", "Zs", "S"), exclude_characters="\x00")


def test_the_shipped_list_has_ten_thousand_common_passwords_that_fit_the_policy() -> None:
    words = common_passwords()
    assert len(words) == 10_000
    assert all(len(w) >= 8 for w in words)
    assert "password" in words and "baseball" in words


def test_the_shipped_digests_are_the_list_s() -> None:
    shipped = Path(policy.__file__).parent / "data" / "common-passwords.b2"
    built = digest_table(common_passwords())
    if os.environ.get("UPDATE_GOLDEN") == "1":
        shipped.write_bytes(built)
    assert shipped.read_bytes() == built, "the list changed: run this test with UPDATE_GOLDEN=1"


def test_every_listed_word_is_found_and_others_are_not() -> None:
    words = common_passwords()
    assert all(is_common(word) for word in words)  # the first, the last, and every one between
    near = {word + "!" for word in words} | {word[:-1] for word in words} | {"correct horse battery staple"}
    assert not any(is_common(word) for word in near - words)


@given(st.text(PRINTABLE, min_size=0, max_size=11))
def test_anything_shorter_than_the_minimum_is_refused(password: str) -> None:
    # Fewer than 12 characters as typed is too short, whatever NFKC expands them to.
    with pytest.raises(InvalidInput) as caught:
        POLICY.check(password, "alice")
    assert "password" in caught.value.fields


@settings(max_examples=200)
@given(st.text(PRINTABLE, min_size=12, max_size=256))
def test_long_passwords_of_any_script_pass_unless_common_or_with_the_name(password: str) -> None:
    normalised = unicodedata.normalize("NFKC", password)
    if (
        len(normalised) < 12
        or normalised.isspace()
        or len(normalised.encode()) > MAX_PASSWORD_BYTES
        or is_common(normalised.casefold())
        or "alice" in normalised.casefold()
    ):
        return
    assert POLICY.check(password, "alice") == normalised


@given(st.text(PRINTABLE, min_size=0, max_size=20), st.text(PRINTABLE, min_size=0, max_size=20))
def test_a_password_containing_the_user_name_is_refused(before: str, after: str) -> None:
    password = before + "Alice" + after + "x" * 12
    with pytest.raises(InvalidInput, match="user name"):
        POLICY.check(password, "alice")


def test_no_composition_rules() -> None:
    assert POLICY.check("all lower case words", "alice") == "all lower case words"
    assert POLICY.check("4444 5555 6666 1", "alice")


def test_common_passwords_are_refused_whatever_the_case() -> None:
    with pytest.raises(InvalidInput, match="most common"):
        PasswordPolicy(min_length=8).check("BaseBall", "alice")


def test_256_characters_are_accepted_and_the_byte_cap_holds() -> None:
    assert len(POLICY.check("é" * 256, "alice")) == 256
    assert len(POLICY.check("😀" * 256, "alice")) == 256  # 1024 bytes: exactly the cap
    with pytest.raises(InvalidInput, match="1024 bytes"):
        POLICY.check("😀" * 257, "alice")


def test_normalisation_is_nfkc() -> None:
    assert POLICY.check("ｆｕｌｌｗｉｄｔｈ ｐａｓｓ", "alice") == "fullwidth pass"


@pytest.mark.parametrize(
    ("password", "counted"),
    [
        ("\ufdfa", 1),  # one ligature that NFKC expands to 18 characters
        ("\ufdfa" * 11, 11),
        ("\u3392" * 6, 6),  # "㎒" -> "MHz"
        ("e\u0301" * 6, 6),  # 12 code points as typed, 6 characters after NFKC
    ],
)
def test_length_is_the_smaller_of_as_typed_and_normalised(password: str, counted: int) -> None:
    with pytest.raises(InvalidInput, match=f"at least 12 characters \\(this one has {counted}\\)"):
        POLICY.check(password, "alice")


def test_twelve_expanding_characters_are_enough() -> None:
    assert POLICY.check("\ufdfa" * 12, "alice") == unicodedata.normalize("NFKC", "\ufdfa" * 12)


@given(st.text(PRINTABLE, min_size=1, max_size=40))
def test_an_accepted_password_is_long_enough_both_as_typed_and_normalised(password: str) -> None:
    try:
        normalised = POLICY.check(password, "alice")
    except InvalidInput:
        return
    assert len(password) >= 12 and len(normalised) >= 12


WHITE_SPACE = st.one_of(st.characters(categories=("Zs",)), st.sampled_from("\t\n\r\x0b\x0c\x85\u2028\u2029"))


@given(st.text(WHITE_SPACE, min_size=1, max_size=80))
def test_a_password_made_only_of_white_space_is_refused(password: str) -> None:
    with pytest.raises(InvalidInput, match="only spaces") as caught:
        POLICY.check(password, "alice")
    assert "password" in caught.value.fields


def test_twelve_spaces_are_refused_with_a_reason() -> None:
    with pytest.raises(InvalidInput, match="only spaces or other blank or invisible characters"):
        POLICY.check(" " * 12, "alice")
    assert POLICY.check("  two words and spaces  ", "alice") == "  two words and spaces  "


@pytest.mark.parametrize("bad", ["valid length pw\x00", "valid length pw\ud800"])
def test_nul_and_lone_surrogates_are_refused_with_a_reason(bad: str) -> None:
    with pytest.raises(InvalidInput, match="NUL or unpaired surrogate"):
        POLICY.check(bad, "alice")


@pytest.mark.parametrize("length", [7, 65])
def test_the_minimum_is_settable_only_from_8_to_64(length: int) -> None:
    from homeport.accounts.policy import check_min_length_setting

    with pytest.raises(InvalidInput):
        check_min_length_setting(length)


@pytest.mark.parametrize("invisible", ["\u200b", "\u3164", "\u2800", "\u200d", "\ufeff"])
def test_a_password_of_invisible_characters_is_refused(invisible: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        PasswordPolicy().check(invisible * 20, "alice")
    assert "invisible" in caught.value.fields["password"]


@pytest.mark.parametrize("padded", ["  password1234  ", "password1234\u200b", "\u200bpassword1234", "pass word1234"])
def test_padding_or_hidden_characters_do_not_get_a_common_password_past_the_list(padded: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        PasswordPolicy().check(padded, "alice")
    assert "most common" in caught.value.fields["password"]


def test_invisible_characters_do_not_count_toward_the_length() -> None:
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"  # 7 code points, 4 visible
    with pytest.raises(InvalidInput):
        PasswordPolicy().check(family * 2, "alice")
    with pytest.raises(InvalidInput):
        PasswordPolicy().check("short words" + "\u200b" * 5, "alice")
