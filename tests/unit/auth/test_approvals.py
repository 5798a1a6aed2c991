"""The pieces of sign-in approval that need no service: the numbers and the QR code's address."""

from __future__ import annotations

from homeport.auth.approvals import ApprovalRequest, approve_link, draw_choices


def test_three_distinct_two_digit_choices_hold_the_number_in_any_place() -> None:
    places = set()
    for _ in range(300):
        number, choices = draw_choices()
        assert len(set(choices)) == 3 and number in choices
        assert all(10 <= n <= 99 for n in choices)
        places.add(choices.index(number))
    assert places == {0, 1, 2}  # the right one is not always first


def request() -> ApprovalRequest:
    return ApprovalRequest("abc_-1", 1, "alice", "d", "192.168.1.70", "Firefox on Linux", 0.0, 0.0, 42, (42, 17, 88))


def test_the_link_uses_the_host_the_waiting_browser_used_and_never_carries_the_number() -> None:
    assert (
        approve_link("nas.local:8443", request()) == "https://nas.local:8443/approve/abc_-1"
    )  # the number is never in it
    assert approve_link("[fd00::20]", request()) == "https://[fd00::20]/approve/abc_-1"


def test_a_strange_host_header_is_not_put_in_the_link() -> None:
    for host in ("evil.example/x?", "a b", "", "nas.local@evil", "x" * 300):
        assert approve_link(host, request()).startswith("https://homeport.local/approve/")
