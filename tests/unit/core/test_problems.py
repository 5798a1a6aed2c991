"""The per-field problem collector: every problem at once, under the field the form shows it next to."""

from __future__ import annotations

import pytest

from homeport.core.errors import Conflict, InvalidInput, Problems


def test_nothing_found_raises_nothing() -> None:
    problems = Problems()
    with problems.collect():
        pass
    problems.check("unused")
    assert not problems


def test_every_problem_is_raised_together_under_its_field() -> None:
    problems = Problems()
    with problems.collect():
        raise InvalidInput.field("name", "Choose another name.")
    with problems.collect(prefix="admin.", rename={"name": "username"}):
        raise InvalidInput("two", fields={"name": "Too short.", "password": "Too common."})
    problems.add("email", "Not an address.")
    assert "admin.username" in problems
    with pytest.raises(InvalidInput) as caught:
        problems.check("Nothing was saved; see the fields.")
    assert caught.value.message == "Nothing was saved; see the fields."
    assert caught.value.fields == {
        "name": "Choose another name.",
        "admin.username": "Too short.",
        "admin.password": "Too common.",
        "email": "Not an address.",
    }


def test_other_errors_pass_through_the_collector() -> None:
    problems = Problems()
    with pytest.raises(Conflict), problems.collect():
        raise Conflict("exists")
    assert not problems


def test_an_error_without_fields_lands_under_its_parent_field() -> None:
    problems = Problems()
    problems.add_from(Conflict("Taken."), prefix="admin.")
    assert problems.fields == {"admin": "Taken."}


def test_every_error_carries_fields() -> None:
    assert Conflict("x").fields == {}
    assert Conflict("x", fields={"a": "b"}).fields == {"a": "b"}
