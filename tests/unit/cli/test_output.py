"""The CLI's tables show data from the daemon and the LAN: direction controls and markup are shown, not obeyed."""

from __future__ import annotations

from homeport.cli import output


def test_table_cells_have_direction_controls_replaced() -> None:
    with output.out.capture() as captured:
        output.table("Accounts", ["Name", "Full name"], [["bob", "Bob \u202eexe.txt"]])
    text = captured.get()
    assert "\u202e" not in text
    assert "Bob \ufffdexe.txt" in text


def test_table_cells_are_text_not_markup() -> None:
    with output.out.capture() as captured:
        output.table("Devices", ["Name"], [["[bold]nas[/bold] [link=http://x]y[/link]"]])
    assert "[bold]nas[/bold] [link=http://x]y[/link]" in captured.get()


def test_say_replaces_direction_controls() -> None:
    with output.out.capture() as captured:
        output.say("Host name: \u2067nas\u2069")
    assert captured.get() == "Host name: \ufffdnas\ufffd\n"
