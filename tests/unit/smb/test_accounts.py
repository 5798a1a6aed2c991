"""What passdb must hold against what it holds: every kind of difference, and a repair that leaves none."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from homeport.smb.accounts import Drift, compare
from homeport.smb.passdb import PassdbEntry

A, B = "A" * 32, "B" * 32


def entry(name: str, nt_hash: str = A, disabled: bool = False, uid: int = 70001) -> PassdbEntry:
    return PassdbEntry(name, uid, nt_hash, disabled)


def test_each_kind_of_difference() -> None:
    want = {"alice": entry("alice"), "bob": entry("bob"), "carol": entry("carol"), "dave": entry("dave")}
    have = {
        "alice": entry("alice"),
        "bob": entry("bob", B),  # another password
        "dave": entry("dave", disabled=True),  # disabled behind Homeport's back
        "mallory": entry("mallory"),  # nobody Homeport knows
    }
    drift = compare(want, have)
    assert drift == Drift(missing=("carol",), unexpected=("mallory",), wrong_hash=("bob",), wrong_flags=("dave",))
    assert drift.any and drift.names() == {"bob", "carol", "dave", "mallory"}
    assert drift.sentences() == [
        "carol: missing from Samba",
        "mallory: in Samba but not in Homeport",
        "bob: with another password in Samba",
        "dave: enabled or disabled differently in Samba",
    ]


def test_another_unix_id_is_a_difference_too() -> None:
    assert compare({"bob": entry("bob", uid=70003)}, {"bob": entry("bob", uid=70500)}).wrong_flags == ("bob",)


def test_no_difference_says_nothing() -> None:
    drift = compare({"alice": entry("alice")}, {"alice": entry("alice")})
    assert not drift.any and drift.sentences() == [] and drift.as_dict() == {
        "missing": [], "unexpected": [], "wrong_hash": [], "wrong_flags": [],
    }  # fmt: skip


names = st.sampled_from(["alice", "bob", "carol", "dave", "erin"])
entries = st.builds(entry, names, st.sampled_from([A, B, ""]), st.booleans(), st.sampled_from([70001, 70002]))
passdbs = st.lists(entries, max_size=5).map(lambda es: {e.name: e for e in es})


@given(passdbs, passdbs)
def test_the_differences_partition_the_names_and_a_repair_leaves_none(
    want: dict[str, PassdbEntry], have: dict[str, PassdbEntry]
) -> None:
    drift = compare(want, have)
    assert set(drift.missing) == want.keys() - have.keys()
    assert set(drift.unexpected) == have.keys() - want.keys()
    assert not set(drift.wrong_hash) - (want.keys() & have.keys())
    differing = {n for n in want.keys() & have.keys() if want[n] != have[n]}
    assert set(drift.wrong_hash) | set(drift.wrong_flags) == differing
    # What the file service does: write the missing and differing ones, remove the unexpected.
    repaired = {n: e for n, e in have.items() if n not in drift.unexpected}
    repaired |= {n: want[n] for n in (*drift.missing, *drift.wrong_hash, *drift.wrong_flags)}
    assert not compare(want, repaired).any


def test_an_account_homeport_cannot_give_a_hash_keeps_its_samba_entry() -> None:
    """Known to Homeport without an NT hash it can read (made before SMB, or the key replaced): Samba's entry,
    which may well hold the account's password, is not called foreign nor removed."""
    from homeport.smb.accounts import compare
    from homeport.smb.passdb import PassdbEntry

    have = {
        "carol": PassdbEntry("carol", 70003, "A" * 32, False),
        "mallory": PassdbEntry("mallory", 70009, "B" * 32, False),
    }
    drift = compare({}, have, known=("carol",))
    assert drift.unexpected == ("mallory",)
