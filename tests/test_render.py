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
    """Speed only (the output is Jinja's either way): a Jinja that compiles templates otherwise drops it.
    A value is shown as a plain str, not a `Markup` made for each one: it is only ever joined."""
    template = environment([]).from_string("{{ a }}")
    assert template.root_render_func.__globals__["escape"] is render._escape
    assert template.render(a="<&>") == "&lt;&amp;&gt;"
    pieces = list(template.root_render_func(template.new_context({"a": "<&>"})))
    assert pieces == ["&lt;&amp;&gt;"] and type(pieces[0]) is str
    code = environment([]).compile("{{ a }}{% autoescape false %}{{ b }}{% endautoescape %}", raw=True)
    assert code.count("_escape_inner(_shown) if type(_shown := ") == 1  # a str, escaped in place; else `_escape`
    assert environment([]).from_string("{{ a }} {{ b }} {{ c }}").render(a="<", b=Markup("<i>"), c=1) == "&lt; <i> 1"


def test_a_dicts_keys_are_looked_up_in_the_templates_own_code() -> None:
    """Speed only (the cases above hold the values to Jinja's): `d.title` is looked up in place when `d` is
    a plain dict that has the key; a name every dict has as an attribute always goes through `getattr`."""
    code = environment([]).compile("{{ d.title }}{{ d.items }}{{ d.title.upper }}", raw=True)
    assert code.count("environment.getattr(") == 4  # each lookup's way out, and `d.items`'s only way
    assert code.count("if type(_value := ") == 3
    assert environment([]).from_string("{{ d.title }}|{{ d.items }}|{{ d.title.upper() }}").render(
        d={"title": "walk", "items": 1}).startswith("walk|&lt;built-in method items")


THEME = {
    "base.html": "<title>{% block title %}Base {{ site.title }}{% endblock %}</title>\n"
                 "{% for href, label in nav %}<a href=\"{{ root }}{{ href }}\"{% if href == here %} aria-current=\"page\""
                 "{% endif %}>{{ label }}</a>{% else %}no nav{% endfor %}\n"
                 "<main>{% block main %}{% endblock %}</main>{{ self.title() }}\n",
    "_item.html": "<li>{{ item.name }} ({{ item.size }}){% if item.size > 2 %} big{% endif %}</li>",
    "page.html": "{% extends \"base.html\" %}{% import \"_macros.html\" as m %}\n"
                 "{% block title %}{{ super() }} · {{ page }}{% endblock %}\n"
                 "{% block main %}{% set heading %}<h1>{{ page }} & co</h1>{% endset %}{{ heading }}"
                 "{% set ns = namespace(total=0) %}"
                 "<ul>{% for item in items %}{{ loop.index }}{{ loop.cycle('odd', 'even') }}{% include \"_item.html\" %}"
                 "{% set ns.total = ns.total + item.size %}"
                 "{% endfor %}</ul>total {{ ns.total }} · {{ m.box(\"<b>\" ~ page) }}"
                 "{% call(word) m.wrap(items|length) %}[{{ word }} {{ page|upper }}]{% endcall %}"
                 "{% filter lower %}LOUD {{ page }}{% endfilter %}"
                 "{% for node in tree recursive %}({{ node.name }}{% if node.kids %}{{ loop(node.kids) }}{% endif %})"
                 "{% endfor %}{% with x = page ~ \"!\" %}{{ x }}{% endwith %}{{ safe_html|safe }} {{ 3 if page else 4 }}"
                 "{% raw %}{{ as written }}{% endraw %}{{ \"%s-%d\"|format(page, 7) }} {{ cycle_test() }}"
                 "{% endblock %}",
    "dynamic.html": "{% if root %}{% extends layout %}{% endif %}before {{ page }}{% block main %}[{{ page }}]"
                    "{% endblock %}after {{ page }}",
    "_macros.html": "{% macro box(text) %}<span>{{ text }}</span>{% endmacro %}"
                    "{% macro wrap(n) %}<div data-n=\"{{ n }}\">{{ caller(\"hi\") }}{{ caller(\"bye\") }}</div>"
                    "{% endmacro %}",
}


def test_a_theme_renders_exactly_as_jinja_itself_renders_it(tmp_path: Path) -> None:
    """Pages are rendered with runs of text and values joined before they are passed up (speed only):
    a theme that uses every kind of block renders the very same text as with Jinja's own compiler."""
    (tmp_path / "templates").mkdir()
    for name, source in THEME.items():
        (tmp_path / "templates" / name).write_text(source, encoding="utf-8")
    context = {"site": {"title": "Mine"}, "page": "Walk <fast>", "root": "../", "here": "b.html",
               "nav": [("a.html", "A & a"), ("b.html", "B")], "safe_html": "<em>kept</em>",
               "items": [{"name": "<one>", "size": 2}, {"name": "two", "size": 3}],
               "tree": [{"name": "root", "kids": [{"name": "leaf", "kids": []}]}],
               "cycle_test": lambda: Markup("<i>called</i>")}
    ours = environment([tmp_path]).get_template("page.html")
    settings = {"autoescape": True, "undefined": jinja2.StrictUndefined, "trim_blocks": True,
                "lstrip_blocks": True, "keep_trailing_newline": True}
    theirs = jinja2.Environment(loader=jinja2.FileSystemLoader(str(tmp_path / "templates")), **settings)
    shown = ours.render(**context)
    assert shown == theirs.get_template("page.html").render(**context)
    for layout in ("base.html", None):  # a layout named at render time, or none: text outside blocks shows
        extended = {**context, "layout": layout, "root": layout}
        assert environment([tmp_path]).get_template("dynamic.html").render(**extended) == \
            theirs.get_template("dynamic.html").render(**extended)
    assert shown.count("aria-current") == 1 and "&lt;b&gt;Walk &lt;fast&gt;" in shown and "(root(leaf))" in shown
    assert "[hi WALK &lt;FAST&gt;][bye WALK &lt;FAST&gt;]" in shown and "<em>kept</em>" in shown
    assert environment([tmp_path]).from_string("{{ a }}").render(a=None) == "None"


def test_a_run_of_text_and_values_is_passed_up_once() -> None:
    template = environment([]).from_string("<p>{{ a }} and {{ b }}</p>{% if a %}<i>{{ a }}</i>{% endif %}")
    pieces = list(template.root_render_func(template.new_context({"a": "x<", "b": 2})))
    assert pieces == ["<p>x&lt; and 2</p>", "<i>x&lt;</i>"]


def test_a_block_passes_its_text_up_once() -> None:
    """However many runs, loops and includes a block holds, it yields its text once: each piece would
    otherwise climb through every template above it."""
    ours = environment([])
    ours.loader = jinja2.DictLoader({
        "base.html": "<main>{% block main %}{% endblock %}</main>{% block foot %}<p>{{ a }}</p>{% endblock %}",
        "item.html": "<li>{{ item }}</li>",
        "page.html": "{% extends 'base.html' %}{% block main %}<h1>{{ a }}</h1>{% for item in items %}"
                     "{% include 'item.html' %}{% if loop.last %}<hr>{% endif %}{% endfor %}{% endblock %}"})
    page = ours.get_template("page.html")
    context = page.new_context({"a": "x<", "items": ["1", "2"]})
    assert list(page.blocks["main"](context)) == ["<h1>x&lt;</h1><li>1</li><li>2</li><hr>"]
    assert page.render(a="x<", items=["1"]) == "<main><h1>x&lt;</h1><li>1</li><hr></main><p>x&lt;</p>"


@pytest.mark.parametrize(("templates", "expected"), [
    ({"a.html": "{{ site.title }} {{ site['today'] }} {{ page.title }}"}, {"a.html": {"title", "today"}}),
    ({"a.html": "{% extends 'b.html' %}", "b.html": "{% include '_c.html' %}{{ site.owner }}",
      "_c.html": "{% if site.problems.error %}!{% endif %}"},
     {"a.html": {"owner", "problems"}, "b.html": {"owner", "problems"}, "_c.html": {"problems"}}),
    ({"a.html": "{% import '_m.html' as m %}{{ m.f() }}", "_m.html": "{% macro f() %}{{ site.crisis }}{% endmacro %}"},
     {"a.html": {"crisis"}, "_m.html": {"crisis"}}),
    ({"a.html": "{{ site|tojson }}"}, {"a.html": None}),  # the whole of it: any key
    ({"a.html": "{% for key in site %}{{ key }}{% endfor %}"}, {"a.html": None}),
    ({"a.html": "{{ site[page.which] }}"}, {"a.html": None}),
    ({"a.html": "{% include page.part %}", "b.html": "{{ site.title }}"}, {"a.html": None, "b.html": {"title"}}),
    ({"a.html": "{% include 'b.html' %}", "b.html": "{{ site.title "}, {"a.html": None, "b.html": None}),
])
def test_which_shared_values_each_template_shows(tmp_path: Path, templates: dict[str, str],
                                                 expected: dict[str, set[str] | None]) -> None:
    (tmp_path / "templates").mkdir()
    for name, source in templates.items():
        (tmp_path / "templates" / name).write_text(source, encoding="utf-8")
    found = render.site_keys(environment([tmp_path]))
    assert found == {name: None if keys is None else frozenset(keys) for name, keys in expected.items()}
