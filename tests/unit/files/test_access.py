"""Who may use a share: "no access" wins over everything, otherwise the widest grant, and nobody listed gets nothing."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from homeport.files.access import effective_access, readers_and_writers
from homeport.files.models import ACCESS_LEVELS, Access

MEMBERS = {"alice": ["administrators", "users"], "bob": ["users", "family"], "carol": ["users"], "dave": []}


def test_a_users_own_no_access_beats_a_groups_read_write() -> None:
    assert effective_access({"bob": "none"}, {"family": "rw"}, MEMBERS)["bob"] == "none"


def test_a_groups_no_access_beats_a_users_read_write() -> None:
    assert effective_access({"bob": "rw"}, {"family": "none"}, MEMBERS)["bob"] == "none"


def test_otherwise_the_widest_grant_counts() -> None:
    resolved = effective_access({"bob": "ro", "carol": "rw"}, {"family": "rw", "users": "ro"}, MEMBERS)
    assert resolved == {"alice": "ro", "bob": "rw", "carol": "rw", "dave": "none"}


def test_nobody_listed_gets_nothing() -> None:
    assert set(effective_access({}, {}, MEMBERS).values()) == {"none"}


def test_readers_and_writers_are_sorted_and_writers_read() -> None:
    readers, writers = readers_and_writers({"carol": "ro", "alice": "rw", "bob": "none", "dave": "rw"})
    assert readers == ["alice", "carol", "dave"] and writers == ["alice", "dave"]


accounts = ["alice", "bob", "carol", "dave"]
groups = ["users", "family", "kids"]
levels = st.sampled_from(ACCESS_LEVELS)
user_maps = st.dictionaries(st.sampled_from(accounts), levels)
group_maps = st.dictionaries(st.sampled_from(groups), levels)
memberships = st.fixed_dictionaries({a: st.lists(st.sampled_from(groups), unique=True) for a in accounts})
RANK = {"none": 0, "ro": 1, "rw": 2}


@given(user_maps, group_maps, memberships)
def test_the_rule_for_any_assignment(
    users: dict[str, Access], grants: dict[str, Access], members: dict[str, list[str]]
) -> None:
    resolved = effective_access(users, grants, members)
    assert resolved.keys() == members.keys()
    for account, access in resolved.items():
        applying = [users[account]] if account in users else []
        applying += [grants[g] for g in members[account] if g in grants]
        if not applying or "none" in applying:
            assert access == "none"
        else:
            assert access == max(applying, key=RANK.__getitem__)


@given(user_maps, group_maps, memberships, st.sampled_from(accounts))
def test_a_no_access_entry_never_adds_access_and_a_read_write_one_never_removes_it(
    users: dict[str, Access], grants: dict[str, Access], members: dict[str, list[str]], account: str
) -> None:
    before = effective_access(users, grants, members)
    denied = effective_access({**users, account: "none"}, grants, members)
    assert denied[account] == "none"
    assert all(RANK[denied[a]] <= RANK[before[a]] for a in members)
    if "none" not in users.values() and "none" not in grants.values():
        widened = effective_access({**users, account: "rw"}, grants, members)
        assert all(RANK[widened[a]] >= RANK[before[a]] for a in members)
