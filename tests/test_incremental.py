"""A change re-reads, re-renders and rewrites only what it touches; the result equals a fresh build."""

from __future__ import annotations

import datetime as dt
import os
import random
import shutil
from pathlib import Path

import pytest

from conftest import snapshot, write
from goalsite.build import Builder, build
from goalsite.output import MARKER
from goalsite.state import STATE_FILES

TODAY = dt.date(2026, 11, 21)
SUMMARIES = {"index.html", "goals/index.html", "journal/index.html", "timeline.html", "wins.html", "review.html",
             "assessments.html", "problems.html", "search.html", "calendar.ics", "data/search-goals.js"}


def vault_with_entries(vault: Path) -> None:
    for name, field in (("sleep", "nights"), ("walks", "walks")):
        write(vault, f"goals/{name}.md", f"""---
title: {name}
specific: Keep it up on weeknights for twenty minutes.
measurable: {{field: {field}, baseline: 1, target: 5, per: week}}
achievable: Yes, with help.
relevant: It matters.
start: 2026-10-01
due: 2026-12-31
review_every: 2 weeks
---
""")
    for day in range(1, 11):
        write(vault, f"journal/2026/2026-11-{day:02d}.md", f"---\nmood: 6\nnights: 1\n---\nDay {day}. [[sleep]]\n")
    write(vault, "journal/2025/2025-12-31.md", "---\nmood: 5\n---\nLast year.\n")


def built(vault: Path, tmp_path: Path, extra: dict[str, str] | None = None, live: bool = False) -> Builder:
    """The test vault with `extra` files, built once; `live`: by a builder as `watch` and `serve` keep one."""
    vault_with_entries(vault)
    for rel, text in (extra or {}).items():
        write(vault, rel, text)
    builder = Builder(vault, tmp_path / "site", TODAY, live=live)
    builder.build()
    return builder


def same_as_fresh(vault: Path, builder_out: Path, tmp_path: Path) -> None:
    build(vault, tmp_path / "fresh", TODAY)
    fresh = {k: v[0] for k, v in snapshot(tmp_path / "fresh").items() if k not in STATE_FILES}
    live = {k: v[0] for k, v in snapshot(builder_out).items() if k not in STATE_FILES}
    assert live.keys() == fresh.keys()
    assert [name for name in live if live[name] != fresh[name]] == []


def test_editing_one_entry_re_renders_exactly_what_depends_on_it(vault: Path, tmp_path: Path) -> None:
    vault_with_entries(vault)
    builder = Builder(vault, tmp_path / "site", TODAY)
    first = builder.build()
    assert len(first.rendered) == 32  # 9 summaries, 2 years, 2 goals × 2, 2 months, 11 entries, 4 data files
    path = write(vault, "journal/2026/2026-11-05.md", "---\nmood: 7\nnights: 0\n---\nDay five, edited. [[sleep]]\n")
    result = builder.build([path])
    assert set(result.rendered) == SUMMARIES | {
        "journal/2026-11-05.html", "journal/2026-11.html", "timeline/2026.html", "data/search-2026.js",
        "goals/sleep.html", "timeline/goal-sleep.html"}
    assert "journal/2026-11-04.html" not in result.rendered and "goals/walks.html" not in result.rendered
    assert "journal/2026-11-05.html" in result.report.written
    same_as_fresh(vault, tmp_path / "site", tmp_path)


def test_a_new_entry_touches_its_neighbours_and_the_goals_it_measures(vault: Path, tmp_path: Path) -> None:
    vault_with_entries(vault)
    builder = Builder(vault, tmp_path / "site", TODAY)
    builder.build()
    path = write(vault, "journal/2026/2026-11-11.md", "---\nwalks: 2\n---\nA walk.\n")
    result = builder.build([path])
    assert set(result.rendered) - SUMMARIES == {
        "journal/2026-11-11.html", "journal/2026-11-10.html", "journal/2026-11.html", "timeline/2026.html",
        "data/search-2026.js", "goals/walks.html", "timeline/goal-walks.html"}
    same_as_fresh(vault, tmp_path / "site", tmp_path)


def test_deleting_and_moving_entries(vault: Path, tmp_path: Path) -> None:
    vault_with_entries(vault)
    builder = Builder(vault, tmp_path / "site", TODAY)
    builder.build()
    gone = vault / "journal/2026/2026-11-03.md"
    gone.unlink()
    result = builder.build([gone])
    assert "journal/2026-11-03.html" in result.report.removed
    assert {"journal/2026-11-02.html", "journal/2026-11-04.html"} <= set(result.rendered)
    moved = vault / "journal/2025/2025-12-31.md"
    moved.rename(vault / "journal/2026/2026-11-15.md")
    result = builder.build([moved, vault / "journal/2026/2026-11-15.md"])
    assert "journal/2025-12-31.html" in result.report.removed and "timeline/2025.html" in result.report.removed
    same_as_fresh(vault, tmp_path / "site", tmp_path)


@pytest.mark.parametrize("change", ["add", "remove"])
def test_an_entry_that_moves_to_another_page_of_its_day_re_renders_the_pages_that_name_it(
        vault: Path, tmp_path: Path, change: str) -> None:
    # 2026-11-04-a.md sorts before 2026-11-04.md, so adding it moves that entry from journal/2026-11-04.html
    # to -2.html (removing it moves it back): the pages that link there follow, the next day's pager and a
    # [[link]] by the moved entry's own name among them.
    vault_with_entries(vault)
    write(vault, "journal/2026/2026-11-08.md", "---\nmood: 6\n---\nSee [[2026-11-04]].\n")
    first = write(vault, "journal/2026/2026-11-04-a.md", "---\nmood: 3\n---\nEarlier that day.\n")
    if change == "add":
        first.unlink()
    builder = Builder(vault, tmp_path / "site", TODAY)
    builder.build()
    if change == "add":
        write(vault, "journal/2026/2026-11-04-a.md", "---\nmood: 3\n---\nEarlier that day.\n")
    else:
        first.unlink()
    result = builder.build([first])
    assert {"journal/2026-11-03.html", "journal/2026-11-05.html", "journal/2026-11-08.html"} - set(result.rendered) == set()
    same_as_fresh(vault, tmp_path / "site", tmp_path)
    build(vault, tmp_path / "cli", TODAY)  # the same from the state a whole build left on disk
    if change == "add":
        first.unlink()
    else:
        write(vault, "journal/2026/2026-11-04-a.md", "---\nmood: 3\n---\nEarlier that day.\n")
    build(vault, tmp_path / "cli", TODAY)
    same_as_fresh(vault, tmp_path / "cli", tmp_path / "again")


@pytest.mark.parametrize("live", [True, False])
def test_a_link_to_a_day_follows_an_entry_re_dated_to_it(vault: Path, tmp_path: Path, live: bool) -> None:
    # [[2026-11-20]] names whichever entry is dated that day, whatever its file is called.
    builder = built(vault, tmp_path, {"journal/2025/2025-06-01.md": "---\nmood: 5\n---\nSee [[2026-11-20]].\n"},
                    live=live)
    assert '<span class="unresolved-link">2026-11-20</span>' in (tmp_path / "site/journal/2025-06-01.html").read_text()
    path = write(vault, "journal/2026/2026-11-06.md", "---\ndate: 2026-11-20\nmood: 6\n---\nMoved.\n")
    result = builder.build([path])
    assert "journal/2025-06-01.html" in result.rendered
    assert 'href="../journal/2026-11-20.html"' in (tmp_path / "site/journal/2025-06-01.html").read_text()
    same_as_fresh(vault, tmp_path / "site", tmp_path)


@pytest.mark.parametrize("live", [True, False])
def test_the_first_change_after_midnight_renders_the_days_pages_and_what_it_touches(
        vault: Path, tmp_path: Path, live: bool) -> None:
    builder = built(vault, tmp_path, live=live)
    tomorrow = TODAY + dt.timedelta(days=1)
    builder.fixed_today = tomorrow  # (as if the clock had passed midnight while watching)
    path = write(vault, "journal/2026/2026-11-05.md", "---\nmood: 6\nnights: 1\n---\nDay five, edited. [[sleep]]\n")
    result = builder.build([path])
    assert set(result.rendered) == SUMMARIES | {
        "goals/sleep.html", "goals/walks.html", "timeline/goal-sleep.html", "timeline/goal-walks.html",
        "timeline/2025.html", "timeline/2026.html", "journal/2026-11-05.html", "journal/2026-11.html",
        "data/search-2026.js"}  # (the month lists the entry's first words)
    build(vault, tmp_path / "fresh", tomorrow, fresh=True)
    fresh = {k: v[0] for k, v in snapshot(tmp_path / "fresh").items() if k not in STATE_FILES}
    assert {k: v[0] for k, v in snapshot(tmp_path / "site").items() if k not in STATE_FILES} == fresh


def test_the_watchers_rescan_after_midnight_makes_the_days_pages_with_nothing_edited(
        vault: Path, tmp_path: Path) -> None:
    builder = built(vault, tmp_path, live=True)
    assert builder.rescan().rendered == ()
    builder.fixed_today = TODAY + dt.timedelta(days=1)  # (the clock passed midnight; the rescan comes each minute)
    assert set(builder.rescan().rendered) == SUMMARIES | {
        "goals/sleep.html", "goals/walks.html", "timeline/goal-sleep.html", "timeline/goal-walks.html",
        "timeline/2025.html", "timeline/2026.html"}
    assert b"on Sun 22 Nov 2026." in builder.site()["index.html"]
    assert builder.rescan().rendered == ()


def test_a_year_that_comes_or_goes_re_renders_every_timeline_page(vault: Path, tmp_path: Path) -> None:
    # Each year's timeline and each goal's link every year there is: an entry in a year of its own
    # changes that list on pages that show nothing else of it.
    builder = built(vault, tmp_path)
    path = write(vault, "journal/2024/2024-05-01.md", "---\nmood: 5\n---\nLong ago.\n")
    result = builder.build([path])
    assert {"timeline/2024.html", "timeline/2025.html", "timeline/2026.html", "timeline/goal-sleep.html",
            "timeline/goal-walks.html"} - set(result.rendered) == set()
    assert 'href="../timeline/2024.html"' in (tmp_path / "site" / "timeline" / "2026.html").read_text()
    same_as_fresh(vault, tmp_path / "site", tmp_path)
    path.unlink()
    result = builder.build([path])
    assert "timeline/2024.html" in result.report.removed and "timeline/2025.html" in result.rendered
    same_as_fresh(vault, tmp_path / "site", tmp_path / "again")


@pytest.mark.parametrize("how", ["the file", "its folder", "a rescan", "the build command"])
def test_a_conflict_copy_that_appears_or_goes_is_reported_by_the_next_build(vault: Path, tmp_path: Path,
                                                                             how: str) -> None:
    # No file goalsite reads changed, but what it says about the vault did: a copy may hold the newest text.
    vault_with_entries(vault)
    copy = vault / "journal/2026/2026-11-05 (Sam's conflicted copy 2026-11-21).md"
    builder = Builder(vault, tmp_path / "site", TODAY, live=True)
    builder.build()
    if how == "the build command":
        build(vault, tmp_path / "site", TODAY)

    def again() -> tuple[str, ...]:
        if how == "the build command":
            result = build(vault, tmp_path / "site", TODAY)
        else:
            result = builder.rescan() if how == "a rescan" else \
                builder.build([copy if how == "the file" else copy.parent])
        return tuple(problem.code for problem in result.vault.problems if problem.location.file == copy.relative_to(
            vault).as_posix())

    copy.write_bytes((vault / "journal/2026/2026-11-05.md").read_bytes())
    assert again() == ("conflict-copy",)
    assert "conflicted copy" in (tmp_path / "site" / "problems.html").read_text(encoding="utf-8")
    copy.unlink()
    assert again() == ()
    assert "conflicted copy" not in (tmp_path / "site" / "problems.html").read_text(encoding="utf-8")
    same_as_fresh(vault, tmp_path / "site", tmp_path)


def test_a_folder_and_one_inside_it_in_one_burst_report_its_problems_once(vault: Path, tmp_path: Path) -> None:
    builder = built(vault, tmp_path, {"journal/2026/2026-11-05 (Sam's conflicted copy 2026-11-21).md": "---\n---\n"},
                    live=True)
    write(vault, "journal/2026/2026-11-06.md", "---\nmood: 2\n---\n")
    result = builder.build([vault / "journal", vault / "journal" / "2026"])
    assert [problem.code for problem in result.vault.problems].count("conflict-copy") == 1
    same_as_fresh(vault, tmp_path / "site", tmp_path)


def test_a_note_that_stops_being_an_entry_leaves_the_live_site(vault: Path, tmp_path: Path) -> None:
    # A live build keeps a half-typed file's last good version; a file that says `type: note` is not half-typed.
    builder = built(vault, tmp_path, {"notes/call.md": "---\ntype: entry\ndate: 2026-11-08\nmood: 4\n---\nA call.\n"},
                    live=True)
    assert "journal/2026-11-08-2.html" in builder.site()
    path = write(vault, "notes/call.md", "---\ntype: note\ndate: 2026-11-08\nmood: 4\n---\nA call.\n")
    result = builder.build([path])
    assert [entry.file for entry in result.vault.entries if entry.file.startswith("notes/")] == []
    assert "journal/2026-11-08-2.html" not in builder.site()
    write(vault, "notes/call.md", "---\ntype: entry\ndate: 2026-11-08\nmood: 4\n---\nA call.\n")
    builder.build([path])
    for kept in ("---\ntype: entry\ndate: 2026-11-08\nmood: [4\n---\nA call.\n",  # half-typed
                 "---\ntype: entry\ndate: 2026-11-08\n---\n<<<<<<< HEAD\nA call.\n=======\nA visit.\n>>>>>>> b\n"):
        write(vault, "notes/call.md", kept)
        result = builder.build([path])
        assert [entry.file for entry in result.vault.entries if entry.file.startswith("notes/")] == ["notes/call.md"]


def test_the_safety_rescan_sees_settings_and_theme_changes_no_event_told_of(vault: Path, tmp_path: Path) -> None:
    builder = built(vault, tmp_path, {"theme/static/goalsite.css": "body { color: black; }\n"}, live=True)
    write(vault, "goalsite.yaml", "title: Our goals\n")
    builder.rescan()
    assert "<title>Overview · Our goals</title>" in builder.site()["index.html"].decode()
    write(vault, "theme/static/goalsite.css", "body { color: navy; }\n")
    builder.rescan()
    assert builder.site()["assets/goalsite.css"] == b"body { color: navy; }\n"
    write(vault, "goalsite.yaml", "title: [Our goals\n")
    result = builder.rescan()
    assert [problem.code for problem in result.vault.problems if problem.location.file == "goalsite.yaml"] == [
        "yaml-syntax"]
    same_as_fresh(vault, tmp_path / "site", tmp_path)


def test_goal_settings_and_theme_changes_re_render_everything(vault: Path, tmp_path: Path) -> None:
    vault_with_entries(vault)
    builder = Builder(vault, tmp_path / "site", TODAY)
    everything = len(builder.build().rendered)
    goal = vault / "goals/sleep.md"
    goal.write_text(goal.read_text().replace("title: sleep", "title: Sleep well"))
    assert len(builder.build([goal]).rendered) == everything
    settings = write(vault, "goalsite.yaml", "title: Mine\n")
    assert len(builder.build([settings]).rendered) == everything
    theme = write(vault, "theme/templates/wins.html", "{% extends 'base.html' %}{% block main %}Mine{% endblock %}")
    assert len(builder.build([theme]).rendered) == everything
    same_as_fresh(vault, tmp_path / "site", tmp_path)


@pytest.mark.parametrize("live", [False, True])
def test_the_line_break_setting_renders_the_text_again(vault: Path, tmp_path: Path, live: bool) -> None:
    builder = built(vault, tmp_path, {"journal/2026/2026-11-12.md": "Woke early.\nQuiet train.\n"}, live=live)
    page = tmp_path / "site/journal/2026-11-12.html"
    assert "<p>Woke early.<br>\nQuiet train.</p>" in page.read_text()
    settings = write(vault, "goalsite.yaml", "strict_line_breaks: true\n")
    builder.build([settings])
    assert "<p>Woke early.\nQuiet train.</p>" in page.read_text()
    same_as_fresh(vault, tmp_path / "site", tmp_path)


def test_a_touch_without_a_change_renders_nothing_new(vault: Path, tmp_path: Path) -> None:
    vault_with_entries(vault)
    builder = Builder(vault, tmp_path / "site", TODAY)
    builder.build()
    path = vault / "journal/2026/2026-11-05.md"
    path.write_bytes(path.read_bytes())
    result = builder.build([path])
    assert result.report.written == ()


def test_two_goals_measuring_one_field_both_re_render(vault: Path, tmp_path: Path) -> None:
    vault_with_entries(vault)
    write(vault, "goals/rest.md", (vault / "goals/sleep.md").read_text().replace("title: sleep", "title: rest"))
    builder = Builder(vault, tmp_path / "site", TODAY)
    builder.build()
    path = write(vault, "journal/2026/2026-11-12.md", "---\nnights: 3\n---\nNo link, only the number.\n")
    rendered = set(builder.build([path]).rendered)
    assert {"goals/sleep.html", "goals/rest.html"} <= rendered
    same_as_fresh(vault, tmp_path / "site", tmp_path)


def test_a_live_edit_shows_the_entry_page_first_with_its_final_bytes(vault: Path, tmp_path: Path) -> None:
    vault_with_entries(vault)
    builder = Builder(vault, tmp_path / "site", TODAY, live=True)
    builder.build()
    looked: list[dict[str, bytes]] = []
    path = write(vault, "journal/2026/2026-11-05.md", "---\nmood: 7\nnights: 0\n---\nDay five, edited. [[sleep]]\n")
    result = builder.build([path], looked.append)
    assert [list(pages) for pages in looked] == [["journal/2026-11-05.html"]]
    first = looked[0]["journal/2026-11-05.html"]
    assert b"Day five, edited." in first
    assert first == builder.files["journal/2026-11-05.html"]  # what the whole update wrote: no second reload
    assert "journal/index.html" in result.rendered  # the rest of the update still happened
    same_as_fresh(vault, tmp_path / "site", tmp_path)


@pytest.mark.parametrize("text", [
    "---\ntime: '08:00'\nmood: 6\nnights: 1\n---\nDay 5, earlier.\n",  # a new place among the day's entries
    "---\nmood: 6\nnights: 1\ngoals: [nothing]\n---\nDay 5.\n",  # a new warning: every page's count changes
    "---\nmood: 6\nnights: 1\nphq9: 12\n---\nDay 5.\n",  # a questionnaire: the note on every page may change
])
def test_no_first_look_when_other_pages_would_differ(vault: Path, tmp_path: Path, text: str) -> None:
    vault_with_entries(vault)
    builder = Builder(vault, tmp_path / "site", TODAY, live=True)
    builder.build()
    looked: list[dict[str, bytes]] = []
    builder.build([write(vault, "journal/2026/2026-11-05.md", text)], looked.append)
    assert looked == []
    same_as_fresh(vault, tmp_path / "site", tmp_path)


def test_the_first_look_of_several_entries_at_once(vault: Path, tmp_path: Path) -> None:
    vault_with_entries(vault)
    builder = Builder(vault, tmp_path / "site", TODAY, live=True)
    builder.build()
    looked: list[dict[str, bytes]] = []
    paths = [write(vault, f"journal/2026/2026-11-0{day}.md", f"---\nmood: 6\nnights: 1\n---\nNew {day}. [[sleep]]\n")
             for day in (4, 5)]
    builder.build(paths, looked.append)
    assert sorted(looked[0]) == ["journal/2026-11-04.html", "journal/2026-11-05.html"]
    assert all(data == builder.files[name] for name, data in looked[0].items())


def test_a_session_note_touches_every_goal_only_when_what_reviews_use_changes(vault: Path, tmp_path: Path) -> None:
    vault_with_entries(vault)
    session = write(vault, "journal/2026/2026-11-06.md", "---\nsession: true\ngoals: [sleep]\n---\nTalked.\n")
    builder = Builder(vault, tmp_path / "site", TODAY)
    builder.build()
    write(vault, "journal/2026/2026-11-06.md", "---\nsession: true\ngoals: [sleep]\n---\nTalked about walks.\n")
    body_only = builder.build([session])
    assert "goals/sleep.html" in body_only.rendered and "goals/walks.html" not in body_only.rendered
    same_as_fresh(vault, tmp_path / "site", tmp_path)
    write(vault, "journal/2026/2026-11-06.md", "---\nsession: true\n---\nTalked about everything.\n")
    unlinked = builder.build([session])  # a session linked to no goal reviews every goal
    assert "goals/walks.html" in unlinked.rendered
    assert "Session" in (tmp_path / "site" / "goals" / "walks.html").read_text()
    same_as_fresh(vault, tmp_path / "site", tmp_path)


def test_the_update_still_happens_when_the_early_page_cannot_be_made(vault: Path, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    vault_with_entries(vault)
    builder = Builder(vault, tmp_path / "site", TODAY, live=True)
    builder.build()

    def broken(*args: object) -> dict[str, bytes]:
        raise RuntimeError("an early page that cannot be made")

    monkeypatch.setattr(builder, "_first_look", broken)
    looked: list[dict[str, bytes]] = []
    path = write(vault, "journal/2026/2026-11-05.md", "---\nmood: 7\nnights: 0\n---\nStill shown.\n")
    result = builder.build([path], looked.append)
    assert looked == [] and "journal/2026-11-05.html" in result.report.written
    assert "Still shown." in (tmp_path / "site" / "journal" / "2026-11-05.html").read_text()


def test_a_body_edit_past_what_lists_show_re_renders_only_its_page_and_search(vault: Path, tmp_path: Path) -> None:
    vault_with_entries(vault)
    words = " ".join(f"word{n}" for n in range(40))
    path = write(vault, "journal/2026/2026-11-05.md", f"---\nmood: 6\nnights: 1\n---\n{words} [[sleep]]\n")
    builder = Builder(vault, tmp_path / "site", TODAY)
    builder.build()
    write(vault, "journal/2026/2026-11-05.md", f"---\nmood: 6\nnights: 1\n---\n{words} [[sleep]]\n\nA new line.\n")
    result = builder.build([path])
    assert set(result.rendered) == {"journal/2026-11-05.html", "data/search-2026.js"}
    assert set(result.report.written) == {"journal/2026-11-05.html", "data/search-2026.js"}
    same_as_fresh(vault, tmp_path / "site", tmp_path)
    # Lists show the first 24 words: the month and the goal list them again (the timeline shows 12).
    write(vault, "journal/2026/2026-11-05.md",
          f"---\nmood: 6\nnights: 1\n---\n{words.replace('word20', 'twenty')} [[sleep]]\n")
    result = builder.build([path])
    assert {"journal/2026-11.html", "goals/sleep.html", "journal/index.html"} <= set(result.rendered)
    same_as_fresh(vault, tmp_path / "site", tmp_path)


EDITS = ("body", "mood", "date", "delete", "new", "goal", "break", "touch", "link", "rename", "session", "win",
         "time", "conflict", "settings", "comment", "milestone", "review", "subfolder", "crlf", "goalrename", "note")


def _edit(vault: Path, rng: random.Random, kind: str, broken: dict[Path, bytes]) -> None:
    """One change a person might make between two builds: `kind` of EDITS, on a file `rng` picks."""
    entries = sorted((vault / "journal").rglob("*.md"))
    goals = sorted(path.stem for path in (vault / "goals").glob("*.md"))
    entry, goal = rng.choice(entries), rng.choice(goals)
    text = entry.read_text(encoding="utf-8")
    day = TODAY - dt.timedelta(days=rng.randint(-3, 90))
    if kind == "body":
        entry.write_text(text + f"\nword{rng.randint(0, 99)}\n", encoding="utf-8")
    elif kind in ("mood", "date", "session", "win", "time"):
        line = {"mood": f"mood: {rng.randint(0, 12)}", "date": f"date: {day}", "time": f"time: {rng.randint(0, 23)}:30",
                "session": f"session: true\ngas: {{{goal}: {rng.randint(-2, 2)}}}", "win": "win: Said no kindly"}[kind]
        key = line.split(":", 1)[0]
        lines = [row for row in text.split("\n") if not row.startswith(key + ":")]
        entry.write_text("\n".join(lines).replace("---\n", f"---\n{line}\n", 1), encoding="utf-8")
    elif kind == "delete":
        entry.unlink()
    elif kind == "new":
        write(vault, f"journal/{day.year}/{day}-{rng.choice('abc')}.md",
              f"---\nmood: {rng.randint(1, 10)}\ngoals: [{goal}]\n---\nA new day. [[{goal}]]\n")
    elif kind == "goal":
        path = vault / "goals" / f"{goal}.md"
        status = rng.choice(["active", "paused", "achieved", "dropped"])
        lines = [row for row in path.read_text(encoding="utf-8").split("\n") if not row.startswith("status:")]
        path.write_text("\n".join(lines).replace("---\n", f"---\nstatus: {status}\n", 1), encoding="utf-8")
    elif kind == "break":  # a half-typed save, mended by the next edit
        broken[entry] = entry.read_bytes()
        entry.write_text(text.replace("---\n", "---\ntitle: [unclosed\n", 1), encoding="utf-8")
    elif kind == "touch":
        os.utime(entry, ns=(entry.stat().st_atime_ns, entry.stat().st_mtime_ns + 10**9))
    elif kind == "link":
        entry.write_text(text + f"\nSee [[{rng.choice(entries).stem[:10]}]].\n", encoding="utf-8")
    elif kind == "rename":
        entry.rename(entry.with_name(f"{entry.stem}-moved.md"))
    elif kind == "conflict":  # a sync tool's copy, reported and left out
        entry.with_name(f"{entry.stem} (Sam's conflicted copy 2026-11-21).md").write_bytes(entry.read_bytes())
    elif kind == "settings":
        write(vault, "goalsite.yaml", f"title: Goals {rng.randint(0, 9)}\nweek_start: {rng.choice(['monday', 'sunday'])}\n"
                                      f"strict_line_breaks: {rng.choice(['true', 'false'])}\n")
    elif kind == "comment":  # hidden words, a hidden tag and link, or the marks taken away again
        hidden = f"\nSeen %%for me #hid [[{goal}]] walk:: 2%% today.\n<!--\n- [ ] task\n-->\n"
        entry.write_text(text.replace("%%", "") if "%%" in text else text + hidden, encoding="utf-8")
    elif kind in ("milestone", "review"):
        path = vault / "goals" / f"{goal}.md"
        head, _, notes = path.read_text(encoding="utf-8").partition("\n---\n")
        row = {"milestone": f"milestones:\n  - {{title: Step {rng.randint(0, 9)}, due: {day}, done: {day}}}",
               "review": f"reviews:\n  - {{date: {day}, note: Looked at it}}"}[kind]
        key = row.split(":", 1)[0]
        lines = head.split("\n")
        if any(line.startswith(key + ":") for line in lines):  # the whole list is replaced
            start = next(n for n, line in enumerate(lines) if line.startswith(key + ":"))
            end = next((n for n in range(start + 1, len(lines)) if not lines[n].startswith((" ", "-"))), len(lines))
            lines[start:end] = []
        path.write_text("\n".join([*lines, row]) + "\n---\n" + notes, encoding="utf-8")
    elif kind == "subfolder":
        (entry.parent / "older").mkdir(exist_ok=True)
        entry.rename(entry.parent / "older" / entry.name)
    elif kind == "crlf":
        data = entry.read_bytes().replace(b"\r\n", b"\n")
        entry.write_bytes(data.replace(b"\n", b"\r\n") if rng.random() < 0.5 else b"\xef\xbb\xbf" + data)
    elif kind == "goalrename":
        path = vault / "goals" / f"{goal}.md"
        path.rename(path.with_name(f"{goal}-renamed.md"))
    elif kind == "note":  # a note outside the journal that says it is an entry, or no longer
        write(vault, "notes/day.md", f"---\ntype: {rng.choice(['entry', 'other'])}\ndate: {day}\nmood: 4\n---\nA note.\n")


SOAK = int(os.environ.get("GOALSITE_SOAK", "0"))  # more seeds and examples for a longer run (README)


@pytest.mark.parametrize("seed", range(1, SOAK + 1) if SOAK else [1, 2])
def test_after_any_series_of_edits_every_build_equals_a_fresh_one(tmp_path: Path, seed: int) -> None:
    """The whole site, built three ways after each edit: from the state a whole build left on disk
    (the `build` command), by a live builder told which paths or folders changed or rescanning
    (`watch`, `serve`), and fresh. Now and then a day or more passes between two edits."""
    vault = tmp_path / "vault"
    shutil.copytree(Path(__file__).resolve().parent.parent / "example_vault", vault)
    rng = random.Random(seed)
    live = Builder(vault, tmp_path / "live", TODAY, live=True)
    live.build()
    build(vault, tmp_path / "site", TODAY)
    broken: dict[Path, bytes] = {}
    today = TODAY
    for step in range(20):
        for path, data in broken.items():
            path.write_bytes(data)
        broken_now = dict(broken)
        broken.clear()
        before = {path: path.stat().st_mtime_ns for path in vault.rglob("*.*")}
        kind = rng.choice(EDITS)
        _edit(vault, rng, kind, broken)
        after = {path: path.stat().st_mtime_ns for path in vault.rglob("*.*")}
        changed = [path for path in before.keys() | after.keys() if before.get(path) != after.get(path)]
        changed += list(broken_now)
        if rng.random() < 0.3:  # (past due dates and review days, now and then)
            today += dt.timedelta(days=rng.choice([1, 1, 2, 9, 40]))
            live.fixed_today = today
        build(vault, tmp_path / "site", today)
        told = rng.choice(["paths", "folders", "rescan"])
        if told == "rescan":
            live.rescan()
        else:
            live.build(changed if told == "paths" else sorted({path.parent for path in changed}))
        fresh = tmp_path / f"fresh-{step}"
        build(vault, fresh, today, fresh=True)
        want = {name: data for name, (data, _mtime) in snapshot(fresh).items() if name not in STATE_FILES}
        got = {name: data for name, (data, _mtime) in snapshot(tmp_path / "site").items() if name not in STATE_FILES}
        assert [name for name in want.keys() | got.keys() if want.get(name) != got.get(name)] == [], (step, kind, told)
        if not broken:  # a live builder keeps a half-typed file's last good version, on purpose
            assert [name for name, data in live.site().items() if want.get(name) != data] == [], (step, kind, told)
            assert live.site().keys() == want.keys() - {MARKER}, (step, kind, told)
        shutil.rmtree(fresh)


def test_a_site_folder_removed_while_watching_is_written_whole_at_the_next_change(vault: Path, tmp_path: Path) -> None:
    """Cleaning the output folder while `watch` runs used to leave only the pages the next change touched."""
    builder = built(vault, tmp_path, live=True)
    shutil.rmtree(tmp_path / "site")
    entry = vault / "journal/2026/2026-11-05.md"
    entry.write_text(entry.read_text(encoding="utf-8") + "More.\n", encoding="utf-8")
    builder.build([entry])
    on_disk = {name: data for name, (data, _time) in snapshot(tmp_path / "site").items() if name != MARKER}
    assert on_disk == builder.site()
    same_as_fresh(vault, tmp_path / "site", tmp_path)


def test_pages_removed_while_watching_come_back_at_the_rescan(vault: Path, tmp_path: Path) -> None:
    builder = built(vault, tmp_path, live=True)
    for name in ("index.html", "assets/goalsite.css", "journal/2026-11-05.html"):
        (tmp_path / "site" / name).unlink()
    result = builder.rescan()
    assert result.report.written == ("assets/goalsite.css", "index.html", "journal/2026-11-05.html")
    assert result.report.unchanged == len(builder.site()) - 3
    same_as_fresh(vault, tmp_path / "site", tmp_path)
    assert builder.rescan().report.written == ()



@pytest.mark.parametrize("how", ["command", "live"])
def test_a_theme_that_shows_the_problem_counts_on_every_page_keeps_them_right(vault: Path, tmp_path: Path,
                                                                            how: str) -> None:
    """A theme's layout that shows `site.problems_text` on every page: an entry edit that adds a problem
    makes every page again, not only the pages that list the entry (the default theme shows the counts
    on the overview only, so there the same edit makes few pages)."""
    base = (Path(__file__).resolve().parent.parent / "themes/default/templates/base.html").read_text()
    layout = base.replace("</footer>", "<p class=\"counts\">{{ site.problems_text }}</p></footer>")
    builder = built(vault, tmp_path, {"theme/templates/base.html": layout}, live=how == "live")
    other = tmp_path / "site/journal/2026-11-04.html"
    assert '<p class="counts">1 warning</p>' in other.read_text()
    path = write(vault, "journal/2026/2026-11-05.md", "---\nmood: lots\nnights: 1\n---\nDay 5. [[sleep]]\n")
    if how == "live":
        builder.build([path])
    else:
        build(vault, tmp_path / "site", TODAY)
    assert '<p class="counts">2 warnings</p>' in other.read_text()
    same_as_fresh(vault, tmp_path / "site", tmp_path)


def test_with_the_default_theme_a_new_problem_makes_only_the_pages_that_show_it(vault: Path, tmp_path: Path) -> None:
    builder = built(vault, tmp_path)
    path = write(vault, "journal/2026/2026-11-05.md", "---\nmood: lots\nnights: 1\n---\nDay 5. [[sleep]]\n")
    result = builder.build([path])
    assert "index.html" in result.rendered and "problems.html" in result.rendered
    assert "journal/2026-11-04.html" not in result.rendered and "goals/walks.html" not in result.rendered
    assert "2 warnings" in (tmp_path / "site/index.html").read_text()
    same_as_fresh(vault, tmp_path / "site", tmp_path)
