"""The CLI's tables show data from the daemon and the LAN: direction controls and markup are shown, not obeyed."""

from __future__ import annotations

import pytest

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


def test_a_whole_column_never_wraps_at_80_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    from rich.console import Console

    monkeypatch.setattr(output, "out", Console(width=80, highlight=False, soft_wrap=True), raising=False)
    backup_id = "data-volume-1/20261201T072500Z-manual"
    row = [backup_id, "2026-12-01 07:25", "manual", "1.2 MiB", "12 accounts, 3 shares, keys", "ok 2026-12-01 07:26"]
    with output.out.capture() as captured:
        output.table("Backups", ["Backup", "Made", "Why", "Size", "Holds", "Verified"], [row], whole=("Backup",))
    assert any(backup_id in line for line in captured.get().splitlines())
    assert max(len(line) for line in captured.get().splitlines()) <= 80
