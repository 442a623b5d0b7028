"""How themes see the values pages pass: exactly as Jinja itself shows them, only sooner."""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from pathlib import Path
from typing import Any

import jinja2
import pytest
from markupsafe import Markup

from goalsite import render
from goalsite.model import Entry
from goalsite.render import environment
from goalsite.views import EntrySummary


class Facts(dict[str, Any]):
    """A dict whose instances carry attributes of their own: its keys are looked up as Jinja does."""

    def __init__(self, **facts: Any) -> None:
        super().__init__(facts)
        self.note = "an attribute"


class Odd(dict[str, Any]):
    def __getattr__(self, name: str) -> str:
        return f"made up {name}"


class Shown:
    def __html__(self) -> str:
        return "<span>as it says</span>"


class Words(str):
    """A kind of str: escaped as a str is."""


def entry() -> Entry:
    return Entry(file="journal/2026-11-20.md", date=dt.date(2026, 11, 20), body="Slept well after the walk.")


CASES = [
    ("{{ d.title }}", {"d": {"title": "Walk"}}),
    ("{{ d.items }}", {"d": {"items": "a key named like a method"}}),  # the method, as in Jinja
    ("{{ d.get('title') }} {{ d['items'] }}", {"d": {"title": "Walk", "items": 3}}),
    ("{{ d.note }} {{ d.mood }}", {"d": Facts(note="the key", mood=4)}),
    ("{{ d.anything }} {{ d.mood }}", {"d": Odd(mood=4)}),
    ("{{ d.last }}", {"d": OrderedDict(last="ordered")}),
    ("{{ s.title }} · {{ s.excerpt }} · {{ s.entry.file }}", {"s": EntrySummary(entry(), {"title": "Friday"})}),
    ("{{ d.__class__.__name__ }} {{ d.missing is defined }}", {"d": {"title": "Walk"}}),
    ("{{ p.name }} {{ n.real }}", {"p": Path("a/b.md"), "n": 3}),
    # What `{{ value }}` shows, escaped: words, numbers, safe HTML and things that say how to show themselves.
    ("{{ a }}|{{ b }}|{{ c }}|{{ d }}|{{ e }}|{{ f }}", {"a": "<b>'\"&</b> ·", "b": -3, "c": 2.5, "d": True,
                                                        "e": None, "f": 10**20}),
    ("{{ a }}|{{ b }}|{{ c }}|{{ d|safe }}", {"a": Markup("<i>kept</i>"), "b": Shown(), "c": Words("<x>"),
                                             "d": "<em>raw</em>"}),
]


def jinja_itself() -> jinja2.Environment:
    return jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)


@pytest.mark.parametrize(("source", "context"), CASES)
def test_templates_see_what_jinja_itself_shows(source: str, context: dict[str, Any]) -> None:
    ours = environment([]).from_string(source).render(**context)
    assert ours == jinja_itself().from_string(source).render(**context)
    assert "Slept well" in ours or "excerpt" not in source


@pytest.mark.parametrize("source", ["{{ d.mood }}", "{{ s.mood }}"])
def test_a_missing_key_is_the_same_clear_error(source: str) -> None:
    context = {"d": {"title": "Walk"}, "s": EntrySummary(entry(), {"title": "Friday"})}
    with pytest.raises(jinja2.UndefinedError) as ours:
        environment([]).from_string(source).render(**context)
    with pytest.raises(jinja2.UndefinedError) as theirs:
        jinja_itself().from_string(source).render(**context)
    assert str(ours.value) == str(theirs.value)
    assert str(ours.value) in ("'dict object' has no attribute 'mood'",
                               "'goalsite.views.EntrySummary object' has no attribute 'mood'")


def test_compiled_templates_use_the_quick_escape() -> None:
    """Speed only (the output is Jinja's either way): a Jinja that compiles templates otherwise drops it."""
    template = environment([]).from_string("{{ a }}")
    assert template.root_render_func.__globals__["escape"] is render._escape
    assert template.render(a="<&>") == "&lt;&amp;&gt;"
