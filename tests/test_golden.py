"""The example vault's whole site, byte for byte. After a deliberate change: pytest --update-golden."""

from __future__ import annotations

import shutil
from fractions import Fraction
from pathlib import Path

import pytest

from conftest import TODAY, analysed, write
from goalsite.build import build
from goalsite.state import STATE_FILES
from goalsite.views import Site

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden" / "example_site"


def files(folder: Path) -> dict[str, bytes]:
    """Every file but the build state, which is signed with this machine's key."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name not in STATE_FILES}


def test_the_example_site_matches_the_golden_copy(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    build(ROOT / "example_vault", tmp_path / "site", TODAY)
    built = files(tmp_path / "site")
    if request.config.getoption("--update-golden"):
        shutil.rmtree(GOLDEN, ignore_errors=True)
        shutil.copytree(tmp_path / "site", GOLDEN, ignore=shutil.ignore_patterns(*STATE_FILES))
        pytest.skip("golden copy rewritten")
    golden = files(GOLDEN)
    assert sorted(built) == sorted(golden)
    changed = [name for name in built if built[name] != golden[name]]
    assert changed == [], f"{len(changed)} files differ; after a deliberate change run pytest --update-golden"


def test_an_entry_summary_makes_its_excerpt_when_a_theme_asks_for_it_in_any_way() -> None:
    import datetime as dt

    from goalsite.model import Entry
    from goalsite.views import EntrySummary

    entry = Entry("journal/2026-11-21.md", dt.date(2026, 11, 21), body="# Day\n\nA walk by the river, **slowly**.\n")
    summary = EntrySummary(entry, {"title": "Day"})
    assert "excerpt" in summary and summary.get("excerpt") == "Day A walk by the river, slowly."
    assert summary["excerpt"] == "Day A walk by the river, slowly." and summary.get("nothing", 1) == 1


def test_the_timeline_years_are_the_years_of_its_events(tmp_path: Path) -> None:
    """Worked out without making the events (planning needs only the years), they must be the events' years."""
    vault = tmp_path / "vault"
    shutil.copytree(ROOT / "example_vault", vault)
    write(vault, "goals/old-goal.md", """\
---
title: An older goal
start: 2019-03-01
reviews: [{date: 2020-05-01}]
milestones: [{title: First step, done: 2021-02-02}]
revisions: [{date: 2022-07-07, change: Smaller steps}, {change: Undated}]
---
""")
    write(vault, "journal/2018-01-01.md", "---\nmood: 5\n---\nA start.\n")
    write(vault, "journal/2030-01-01.md", "---\nmood: 5\n---\nWritten ahead of time.\n")
    model, analysis = analysed(vault)
    site = Site(model, analysis)
    assert site.timeline_years == sorted({event["date"].year for event in site.events}, reverse=True)
    assert site.timeline_years[-5:] == [2022, 2021, 2020, 2019, 2018] and 2030 not in site.timeline_years


def test_no_page_shows_a_python_none(tmp_path: Path) -> None:
    """A value left empty must leave its words out, never show as "None" (the goal card once said
    "this None so far" for a unit that names its period, "nights per week")."""
    from html.parser import HTMLParser

    class Words(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.words: list[str] = []

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            self.words.extend(word for _name, value in attrs for word in (value or "").split())

        def handle_data(self, data: str) -> None:
            self.words.extend(data.split())

    build(ROOT / "example_vault", tmp_path / "site", TODAY)
    shown = {}
    for page in sorted((tmp_path / "site").rglob("*.html")):
        reader = Words()
        reader.feed(page.read_text(encoding="utf-8"))
        shown[page.relative_to(tmp_path / "site").as_posix()] = reader.words
    assert len(shown) == 110
    assert [name for name, words in shown.items() if any(word.strip("().,:") == "None" for word in words)] == []
    card = " ".join(shown["index.html"])
    assert "aiming for 5 nights per week (this week so far: 5 nights per week)" in card
    assert "this week so far" in " ".join(shown["goals/sleep-schedule.html"])
    assert "aiming for 1 panic attack per week" in card  # not "1 panic attacks"


@pytest.mark.parametrize(("unit", "after_one"), [
    ("panic attacks per week", "1 panic attack per week"), ("nights per week", "1 night per week"),
    ("glasses of water", "1 glass of water"), ("boxes", "1 box"), ("Walks", "1 Walk"), ("mins", "1 min"),
    ("times I said no", "1 time I said no"), ("calls per days", "1 call per days"),
    # where English's regular rule may be wrong, the unit stays as written
    ("calories per day", "1 calories per day"), ("kg", "1 kg"), ("km/h", "1 km/h"), ("focus", "1 focus"),
    ("less sugar", "1 less sugar"), ("hrs", "1 hrs"), ("Nächte", "1 Nächte"), ("", "1"),
    ("veces por semana", "1 veces por semana"), ("vezes", "1 vezes"), ("paseos por día", "1 paseos por día"),
    ("Spaziergänge pro Woche", "1 Spaziergänge pro Woche"), ("sorties par semaine", "1 sorties par semaine"),
])
def test_a_unit_after_the_number_one_reads_singular(unit: str, after_one: str) -> None:
    from goalsite.views import fmt

    assert fmt(1.0, unit) == after_one
    assert fmt(Fraction(2), unit) == f"2 {unit}".strip()


def test_band_names_are_drawn_over_the_grid() -> None:
    """A grid line drawn after a band's name crossed it out ("severe" looked struck through)."""
    import datetime as dt

    from goalsite.charts import Band, Line, line_chart

    chart = line_chart([Line([(dt.date(2026, 9, 1), 14.0), (dt.date(2026, 11, 1), 7.0)], "data")], "GAD-7", "", (), (),
                       bands=[Band(0, 4.5, "b1", "minimal"), Band(14.5, 21, "b5", "severe")], low=0, high=21)
    svg = chart.svg
    assert svg.count('class="band-label"') == 2 and svg.count('class="grid"') == 5
    assert svg.rindex('class="grid"') < svg.index('class="band-label"')


def test_comments_stay_out_of_every_page_excerpt_and_search(tmp_path: Path) -> None:
    """What a person hid in Obsidian (`%%…%%`, `<!-- … -->`) is not shown on a dashboard they may show
    at a session: not on its page, in the month's excerpts, in the search data or the saved state."""
    vault = tmp_path / "vault"
    write(vault, "journal/2026-11-20.md", "---\nmood: 5\n---\nToday was fine. %%not for the session%% Walked.\n\n"
                                          "<!-- a hidden note -->\n\n%%\nblock of private words\n%%\n\nEnd.\n")
    build(vault, tmp_path / "site", TODAY)
    everything = {path.relative_to(tmp_path / "site").as_posix(): path.read_bytes()
                  for path in (tmp_path / "site").rglob("*") if path.is_file()}
    assert len(everything) > 20
    assert [name for name, data in everything.items()
            if any(words in data for words in (b"not for the session", b"hidden note", b"private words"))] == []
    assert "<p>Today was fine.  Walked.</p>\n<p>End.</p>" in everything["journal/2026-11-20.html"].decode()
    assert "Today was fine. Walked. End." in everything["journal/2026-11.html"].decode()


def test_an_entry_page_names_its_date_once(tmp_path: Path) -> None:
    """An entry without a title of its own is headed by its date; the line under the heading then says
    only what the heading does not (it used to repeat the date on most entry pages)."""
    vault = tmp_path / "vault"
    write(vault, "journal/2026-11-19.md", "---\nmood: 5\n---\nA plain day.\n")
    write(vault, "journal/2026-11-20.md", "---\ntime: \"21:30\"\n---\nEvening.\n")
    write(vault, "journal/2026-11-21.md", "---\nsession: true\n---\n# After the session\nNotes.\n")
    build(vault, tmp_path / "site", TODAY)

    def head(day: str) -> list[str]:
        text = (tmp_path / "site" / "journal" / f"2026-11-{day}.html").read_text(encoding="utf-8")
        start = text.index("<h1>")
        return text[start:text.index("<dl", start)].split("\n")[:-1]

    assert head("19") == ["<h1>Thu 19 Nov 2026</h1>"]
    assert head("20") == ["<h1>Fri 20 Nov 2026</h1>", '  <p class="meta">21:30</p>']
    assert head("21") == ["<h1>After the session</h1>", '  <p class="meta">Sat 21 Nov 2026 · session notes</p>']
