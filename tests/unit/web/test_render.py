"""The console's templates replace direction controls in every value they show, escaping kept."""

from __future__ import annotations

from markupsafe import Markup

from homeport.web.render import TEMPLATES


class Shown:
    """Any object a template prints through its str()."""

    def __str__(self) -> str:
        return "\u2066x\u2069"


def test_every_rendered_value_has_direction_controls_replaced() -> None:
    page = TEMPLATES.env.from_string("<p>{{ name }}|{{ number }}|{{ missing }}|{{ thing }}</p>").render(
        name="Bob \u202eexe.txt", number=7, thing=Shown()
    )
    assert page == "<p>Bob \ufffdexe.txt|7||\ufffdx\ufffd</p>"


def test_escaping_still_applies_and_markup_stays_markup() -> None:
    template = TEMPLATES.env.from_string("{{ raw }}|{{ safe }}|{{ raw|e }}|{{ '<q>' }}")
    page = template.render(raw="<b>\u202e</b>", safe=Markup("<i>\u200f</i>"))
    assert page == "&lt;b&gt;\ufffd&lt;/b&gt;|<i>\ufffd</i>|&lt;b&gt;\ufffd&lt;/b&gt;|&lt;q&gt;"


def test_the_page_templates_are_autoescaped() -> None:
    page = TEMPLATES.env.get_template("_events.html").render(records=[])
    assert "Nothing yet." in page
    assert TEMPLATES.env.from_string("{{ x }}").render(x="<script>") == "&lt;script&gt;"
