"""The supervisor's decisions before a start, read from the journal and the `current` link (files only)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from homeport.updates.supervisor import journal_path, prepare_start, read_json, set_state


@pytest.fixture
def layout(tmp_path: Path) -> tuple[Path, Path, Path, Path]:
    """A releases root with an old and a new release (old current), a home with a store and its backup."""
    root, home = tmp_path / "opt", tmp_path / "home"
    old, new = root / "releases" / "0.1.0-a", root / "releases" / "0.2.0-b"
    for folder in (old, new, home):
        folder.mkdir(parents=True)
    (root / "current").symlink_to(old)
    (home / "config.sqlite").write_bytes(b"migrated by 0.2.0")
    backup = home / "updates" / "u1" / "store-before-update.sqlite"
    backup.parent.mkdir(parents=True)
    backup.write_bytes(b"as 0.1.0 left it")
    return root, home, old, new


def begin(home: Path, old: Path | None, new: Path, state: str, **extra: object) -> None:
    journal = {
        "id": "u1", "from_release": str(old) if old else None, "to_release": str(new), "from_version": "0.1.0",
        "to_version": "0.2.0", "backup": str(home / "updates" / "u1" / "store-before-update.sqlite"),
        "trial_seconds": 30, "attempts": 0, "reason": "", **extra,
    }  # fmt: skip
    set_state(home, journal, state)


def current(root: Path) -> str:
    return os.path.realpath(root / "current")


def test_no_journal_starts_current_as_it_is(layout: tuple[Path, Path, Path, Path]) -> None:
    root, home, old, _ = layout
    assert prepare_start(root, home, 120) is None
    assert current(root) == str(old)


def test_a_switch_that_moved_the_link_begins_the_trial_with_a_deadline(layout: tuple[Path, Path, Path, Path]) -> None:
    root, home, old, new = layout
    begin(home, old, new, "switching")
    (root / "current").unlink()
    (root / "current").symlink_to(new)
    journal = prepare_start(root, home, 120)
    assert journal is not None
    assert journal["state"] == "trial"
    assert journal["attempts"] == 1
    assert journal["deadline"] > 30
    assert [step for step, _ in journal["history"]] == ["switching", "trial", "trial"]


def test_a_switch_interrupted_before_the_link_moved_changed_nothing(layout: tuple[Path, Path, Path, Path]) -> None:
    root, home, old, new = layout
    begin(home, old, new, "switching")
    journal = prepare_start(root, home, 120)
    assert journal is not None
    assert journal["state"] == "rolled-back"
    assert journal["reason"] == "interrupted before the switch"
    assert current(root) == str(old)
    assert (home / "config.sqlite").read_bytes() == b"migrated by 0.2.0"  # not touched: nothing had changed


@pytest.mark.parametrize("state", ["trial", "rolling-back"])
def test_a_second_start_in_trial_or_a_rollback_restores_the_store_before_the_link(
    layout: tuple[Path, Path, Path, Path], state: str
) -> None:
    root, home, old, new = layout
    begin(home, old, new, state, attempts=1, reason="the trial failed: the console did not answer")
    (root / "current").unlink()
    (root / "current").symlink_to(new)
    journal = prepare_start(root, home, 120)
    assert journal is not None
    assert journal["state"] == "rolled-back"
    assert journal["reported"] is False  # the old release tells the administrators once it runs
    assert (home / "config.sqlite").read_bytes() == b"as 0.1.0 left it"
    assert current(root) == str(old)
    assert (new / "FAILED").read_text().strip() == "the trial failed: the console did not answer"
    assert read_json(journal_path(home)) == journal


def test_rolling_back_an_installation_that_was_not_a_release_removes_the_link(
    layout: tuple[Path, Path, Path, Path],
) -> None:
    root, home, _, new = layout
    (root / "current").unlink()
    (root / "current").symlink_to(new)
    begin(home, None, new, "trial", attempts=1)
    prepare_start(root, home, 120)
    assert not (root / "current").exists()
    assert not (root / "current").is_symlink()


@pytest.mark.parametrize("state", ["committed", "rolled-back", "failed", "preparing"])
def test_a_settled_journal_changes_nothing(layout: tuple[Path, Path, Path, Path], state: str) -> None:
    root, home, old, new = layout
    begin(home, old, new, state)
    before = json.loads(journal_path(home).read_text())
    assert prepare_start(root, home, 120) == before
    assert current(root) == str(old)
