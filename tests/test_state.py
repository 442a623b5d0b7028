"""`goalsite build` starts from the state the last build left beside the output: only what changed is
read and rendered, and a state that cannot be trusted is never used."""

from __future__ import annotations

import datetime as dt
import gc
import os
import pickle
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jinja2
import pytest
from test_cli import run
from test_incremental import SUMMARIES, TODAY, same_as_fresh, vault_with_entries

from conftest import no_process_left, snapshot, write
from goalsite import state
from goalsite.build import build, checked
from goalsite.errors import Problem
from goalsite.load import load_vault
from goalsite.state import MODEL, STATE

EVERY_FILE = 32 + 5  # pages and data files rendered by the first build, and 5 theme assets


def test_nothing_changed_renders_and_writes_nothing(vault: Path, tmp_path: Path) -> None:
    vault_with_entries(vault)
    first = build(vault, tmp_path / "site", TODAY)
    assert len(first.rendered) == 32
    before = snapshot(tmp_path / "site")
    again = build(vault, tmp_path / "site", TODAY)
    assert again.rendered == () and again.report.written == ()
    assert again.report.unchanged == len(before) - 3  # every file but the marker and the two state files
    assert snapshot(tmp_path / "site") == before
    assert [entry.file for entry in again.vault.entries][:2] == ["journal/2025/2025-12-31.md",
                                                                 "journal/2026/2026-11-01.md"]


def test_one_edited_entry_renders_only_what_depends_on_it(vault: Path, tmp_path: Path) -> None:
    vault_with_entries(vault)
    build(vault, tmp_path / "site", TODAY)
    write(vault, "journal/2026/2026-11-05.md", "---\nmood: 7\nnights: 0\n---\nDay five, edited. [[sleep]]\n")
    result = build(vault, tmp_path / "site", TODAY)
    assert set(result.rendered) == SUMMARIES | {
        "journal/2026-11-05.html", "journal/2026-11.html", "timeline/2026.html", "data/search-2026.js",
        "goals/sleep.html", "timeline/goal-sleep.html"}
    assert "Day five, edited." in (tmp_path / "site" / "journal" / "2026-11-05.html").read_text()
    same_as_fresh(vault, tmp_path / "site", tmp_path)


def test_added_and_deleted_entries_and_a_goal_edit_end_as_a_fresh_build(vault: Path, tmp_path: Path) -> None:
    vault_with_entries(vault)
    build(vault, tmp_path / "site", TODAY)
    (vault / "journal" / "2026" / "2026-11-03.md").unlink()
    write(vault, "journal/2026/2026-11-15.md", "---\nmood: 3\nwalks: 2\n---\nNew. [[walks]]\n")
    build(vault, tmp_path / "site", TODAY)
    assert not (tmp_path / "site" / "journal" / "2026-11-03.html").exists()
    same_as_fresh(vault, tmp_path / "site", tmp_path)
    goal = (vault / "goals" / "walks.md").read_text().replace("title: walks", "title: Daily walks")
    write(vault, "goals/walks.md", goal)
    result = build(vault, tmp_path / "site", TODAY)
    assert len(result.rendered) == 32  # a goal may show on any page
    same_as_fresh(vault, tmp_path / "site", tmp_path)


def _fresh(vault: Path, folder: Path, today: dt.date) -> dict[str, bytes]:
    """The site a cold build of `today` makes, without its state."""
    build(vault, folder, today, fresh=True)
    return {name: data for name, (data, _mode) in snapshot(folder).items() if name not in state.STATE_FILES}


def test_a_new_day_renders_what_shows_the_day_and_leaves_the_entries_and_months_as_they_are(
        vault: Path, tmp_path: Path) -> None:
    vault_with_entries(vault)
    build(vault, tmp_path / "site", TODAY)
    entries_before = {name: data for name, (data, _mode) in snapshot(tmp_path / "site").items()
                      if name.startswith("journal/20")}
    tomorrow = TODAY + dt.timedelta(days=1)
    result = build(vault, tmp_path / "site", tomorrow)
    assert set(result.rendered) == SUMMARIES | {
        "goals/sleep.html", "goals/walks.html", "timeline/goal-sleep.html", "timeline/goal-walks.html",
        "timeline/2025.html", "timeline/2026.html"}
    # Written: what shows the day (the goals' search data is made again, and found the same).
    assert set(result.report.written) == set(result.rendered) - {"data/search-goals.js"} | {"data/goals.json"}
    site = {name: data for name, (data, _mode) in snapshot(tmp_path / "site").items() if name not in state.STATE_FILES}
    assert site == _fresh(vault, tmp_path / "fresh", tomorrow)  # what a cold build of the day makes, byte for byte
    assert {name: data for name, data in site.items() if name.startswith("journal/20")} == entries_before
    assert b"on Sun 22 Nov 2026." in site["index.html"] and b"on Sun 22 Nov 2026." in site["goals/sleep.html"]
    assert b"Made by goalsite from your own files. " in site["journal/2026-11-04.html"]
    # The day after, with an entry edited too: its pages as well, and the next build starts from the new day.
    write(vault, "journal/2026/2026-11-05.md", "---\nmood: 7\nnights: 0\n---\nDay five, edited. [[sleep]]\n")
    after = tomorrow + dt.timedelta(days=1)
    result = build(vault, tmp_path / "site", after)
    assert "journal/2026-11-05.html" in result.rendered and "journal/2026-11-04.html" not in result.rendered
    site = {name: data for name, (data, _mode) in snapshot(tmp_path / "site").items() if name not in state.STATE_FILES}
    assert site == _fresh(vault, tmp_path / "fresh", after)
    assert build(vault, tmp_path / "site", after).rendered == ()


def test_a_theme_that_shows_the_day_on_every_page_has_every_page_made_again_on_a_new_day(
        vault: Path, tmp_path: Path) -> None:
    vault_with_entries(vault)
    base = (Path(__file__).resolve().parent.parent / "themes" / "default" / "templates" / "base.html").read_text()
    write(vault, "theme/templates/base.html", base.replace("{% if made_on %} on {{ made_on }}{% endif %}",
                                                           " on {{ site.today_long }}"))
    build(vault, tmp_path / "site", TODAY)
    tomorrow = TODAY + dt.timedelta(days=1)
    rendered = build(vault, tmp_path / "site", tomorrow).rendered
    assert len(rendered) == 30 and not [name for name in rendered if name.startswith("data/search-20")]  # every page
    assert "files on Sun 22 Nov 2026." in (tmp_path / "site" / "journal" / "2026-11-04.html").read_text()


def test_a_theme_edit_or_a_hand_edited_page_renders_everything(vault: Path, tmp_path: Path) -> None:
    vault_with_entries(vault)
    build(vault, tmp_path / "site", TODAY)
    build(vault, tmp_path / "site", TODAY + dt.timedelta(days=1))
    page = tmp_path / "site" / "journal" / "2026-11-04.html"
    kept = page.read_bytes()
    page.write_text("changed by hand")
    result = build(vault, tmp_path / "site", TODAY + dt.timedelta(days=1))
    assert len(result.rendered) == 32 and result.report.written == ("journal/2026-11-04.html",)
    assert page.read_bytes() == kept
    (tmp_path / "site" / "assets" / "goalsite.css").unlink()
    build(vault, tmp_path / "site", TODAY + dt.timedelta(days=1))
    assert (tmp_path / "site" / "assets" / "goalsite.css").is_file()
    write(vault, "theme/templates/entry.html", "{% extends 'base.html' %}{% block main %}Mine{% endblock %}")
    result = build(vault, tmp_path / "site", TODAY + dt.timedelta(days=1))
    assert len(result.rendered) == 32
    assert "Mine" in page.read_text()


def test_a_changed_state_is_ignored(vault: Path, tmp_path: Path) -> None:
    vault_with_entries(vault)
    build(vault, tmp_path / "site", TODAY)
    state = tmp_path / "site" / STATE
    blob = bytearray(state.read_bytes())
    blob[-5] ^= 1
    state.write_bytes(bytes(blob))
    assert len(build(vault, tmp_path / "site", TODAY).rendered) == 32


class _Planted:
    def __reduce__(self) -> tuple[object, ...]:
        return (os.mkdir, (str(self.target),))

    def __init__(self, target: Path) -> None:
        self.target = target


@pytest.mark.parametrize("signed_with", ["no key", "another key"])
def test_a_planted_state_never_runs(vault: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                    signed_with: str) -> None:
    """A state is a pickle: one made by someone else (a synced folder, another machine) must never be loaded."""
    vault_with_entries(vault)
    build(vault, tmp_path / "site", TODAY)
    payload = pickle.dumps(_Planted(tmp_path / "ran"))
    state = tmp_path / "site" / STATE
    if signed_with == "no key":
        state.write_bytes(b"goalsite-state 1\n" + bytes(32) + payload)
    else:
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "other-cache"))
        build(vault, tmp_path / "site", TODAY)  # a real state for this very folder, signed with another key
        monkeypatch.undo()
    assert len(build(vault, tmp_path / "site", TODAY).rendered) == 32
    assert not (tmp_path / "ran").exists()


@pytest.mark.parametrize("name", [STATE, MODEL])
def test_a_state_file_that_cannot_be_written_leaves_the_build_whole(vault: Path, tmp_path: Path, name: str) -> None:
    """A folder in the place of the state or the model: the site is built, and so is the next one."""
    vault_with_entries(vault)
    build(vault, tmp_path / "site", TODAY)
    (tmp_path / "site" / name).unlink()
    (tmp_path / "site" / name).mkdir()
    result = run("build", vault, "-o", tmp_path / "site", "--fresh", "--today", TODAY.isoformat())
    assert result.returncode == 0 and "did not expect" not in result.stderr, result.stderr
    assert "(0 files written, 36 unchanged)" in result.stdout
    assert len(build(vault, tmp_path / "site", TODAY).rendered) == 32  # nothing trusted: everything again
    assert (tmp_path / "site" / name).is_dir()  # not goalsite's to remove


def test_fresh_ignores_the_state(vault: Path, tmp_path: Path) -> None:
    vault_with_entries(vault)
    build(vault, tmp_path / "site", TODAY)
    assert len(build(vault, tmp_path / "site", TODAY, fresh=True).rendered) == 32


def test_the_command_checks_an_unchanged_vault_without_loading_anything(vault: Path, tmp_path: Path) -> None:
    vault_with_entries(vault)
    write(vault, "journal/2026/2026-11-12.md", "---\nmood: 12\n---\nToo high.\n")
    first = run("build", vault, "-o", tmp_path / "site", "--today", "2026-11-21")
    assert "(37 files written, 0 unchanged)" in first.stdout
    (tmp_path / "site" / ".goalsite-model").write_bytes(b"not a model")  # the quick check never opens it
    again = run("build", vault, "-o", tmp_path / "site", "--today", "2026-11-21")
    assert "(0 files written, 37 unchanged)" in again.stdout
    assert again.stdout.splitlines()[1:] == first.stdout.splitlines()[1:]
    assert again.stderr == first.stderr and "mood-out-of-range" in again.stderr
    assert run("build", vault, "-o", tmp_path / "site", "--today", "2026-11-21", "--strict").returncode == 1
    os.utime(vault / "journal" / "2026" / "2026-11-04.md")  # touched, not changed: the model is needed, and broken
    touched = run("build", vault, "-o", tmp_path / "site", "--today", "2026-11-21")
    assert "(0 files written, 37 unchanged)" in touched.stdout and touched.stderr == first.stderr
    write(vault, "journal/2026/2026-11-04.md", "---\nmood: 6\nnights: 1\n---\nDay 4, edited.\n")
    edited = run("build", vault, "-o", tmp_path / "site", "--today", "2026-11-21")
    assert "Day 4, edited." in (tmp_path / "site" / "journal" / "2026-11-04.html").read_text()
    assert " 0 files written" not in edited.stdout


def test_an_edit_and_its_undo_end_as_a_fresh_build(vault: Path, tmp_path: Path) -> None:
    """After a small change only the summary is saved; the model stays older, so the changed files
    are carried as drift and an undo back to the model's bytes is still rendered."""
    vault_with_entries(vault)
    build(vault, tmp_path / "site", TODAY)
    model = tmp_path / "site" / ".goalsite-model"
    saved_at = model.stat().st_mtime_ns
    original = (vault / "journal" / "2026" / "2026-11-05.md").read_text()
    write(vault, "journal/2026/2026-11-05.md", "---\nmood: 2\nnights: 4\n---\nA different day.\n")
    build(vault, tmp_path / "site", TODAY)
    assert model.stat().st_mtime_ns == saved_at
    assert "A different day." in (tmp_path / "site" / "journal" / "2026-11-05.html").read_text()
    write(vault, "journal/2026/2026-11-05.md", original)
    result = build(vault, tmp_path / "site", TODAY)
    assert "journal/2026-11-05.html" in result.report.written
    same_as_fresh(vault, tmp_path / "site", tmp_path)


def test_an_edit_no_goal_measures_keeps_the_measurements_and_the_compiled_theme(vault: Path, tmp_path: Path) -> None:
    vault_with_entries(vault)
    build(vault, tmp_path / "site", TODAY)
    csv = tmp_path / "site" / "data" / "measurements.csv"
    written_at = csv.stat().st_mtime_ns
    write(vault, "journal/2025/2025-12-31.md", "---\nmood: 4\n---\nLast year, edited.\n")
    result = build(vault, tmp_path / "site", TODAY)
    assert "journal/2025-12-31.html" in result.report.written
    assert csv.stat().st_mtime_ns == written_at
    same_as_fresh(vault, tmp_path / "site", tmp_path)


def compiling(monkeypatch: pytest.MonkeyPatch) -> list[str | None]:
    """The name of each template Jinja compiles from here on, as it compiles it."""
    compiled: list[str | None] = []
    compile_source = jinja2.Environment.compile

    def counting(self: jinja2.Environment, source: str, name: str | None = None, *args: Any, **kwargs: Any) -> Any:
        compiled.append(name)
        return compile_source(self, source, name, *args, **kwargs)

    monkeypatch.setattr(jinja2.Environment, "compile", counting)
    return compiled


def test_the_theme_is_compiled_once_and_kept_with_the_state(vault: Path, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    vault_with_entries(vault)
    build(vault, tmp_path / "site", TODAY)
    compiled = compiling(monkeypatch)
    write(vault, "journal/2026/2026-11-05.md", "---\nmood: 7\nnights: 0\n---\nDay five, edited.\n")
    result = build(vault, tmp_path / "site", TODAY)
    assert "journal/2026-11-05.html" in result.report.written and compiled == []
    theme = write(vault, "theme/templates/entry.html", '{% extends "base.html" %}{% block main %}Mine{% endblock %}\n')
    build(vault, tmp_path / "site", TODAY)
    assert compiled == ["entry.html"]  # only the template that changed
    assert (tmp_path / "site" / "journal" / "2026-11-05.html").read_text().count("Mine") == 1
    assert theme.exists()


def pages(site: Path) -> dict[str, bytes]:
    return {name: data for name, (data, _time) in snapshot(site).items() if name.endswith(".html")}


def test_a_build_into_a_new_folder_uses_the_templates_the_last_one_compiled(vault: Path, tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """They wait, signed, in the user's cache folder: a build with no state of its own compiles only a
    template whose source changed, and a cache it cannot trust is compiled anew and written again."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    vault_with_entries(vault)
    build(vault, tmp_path / "first", TODAY)
    cache = tmp_path / "cache" / "goalsite" / "compiled-templates"
    written = cache.read_bytes()
    compiled = compiling(monkeypatch)
    build(vault, tmp_path / "second", TODAY)
    assert compiled == [] and cache.read_bytes() == written
    assert pages(tmp_path / "second") == pages(tmp_path / "first")
    write(vault, "theme/templates/entry.html", '{% extends "base.html" %}{% block main %}Mine{% endblock %}\n')
    build(vault, tmp_path / "third", TODAY)
    assert compiled == ["entry.html"]  # only the theme's own template: the others are the same files
    assert (tmp_path / "third" / "journal" / "2026-11-05.html").read_text().count("Mine") == 1
    compiled.clear()
    cache.write_bytes(cache.read_bytes()[:-1] + b"!")  # changed by something else: not used
    build(vault, tmp_path / "fourth", TODAY)
    assert "base.html" in compiled and "entry.html" in compiled
    assert pages(tmp_path / "fourth") == pages(tmp_path / "third")
    compiled.clear()
    build(vault, tmp_path / "fifth", TODAY)
    assert compiled == []  # and it was written again, whole


def test_pages_an_in_between_version_touched_are_rendered_again(vault: Path, tmp_path: Path) -> None:
    """The in-between version measured a field that neither the model's version nor the last one has:
    the goal that measures it showed the in-between value, and must not keep it."""
    vault_with_entries(vault)
    build(vault, tmp_path / "site", TODAY)
    original = (vault / "journal" / "2026" / "2026-11-05.md").read_text()
    write(vault, "journal/2026/2026-11-05.md", original.replace("nights: 1\n", "nights: 1\nwalks: 4\n"))
    assert "goals/walks.html" in build(vault, tmp_path / "site", TODAY).rendered
    write(vault, "journal/2026/2026-11-05.md", original)
    result = build(vault, tmp_path / "site", TODAY)
    assert "goals/walks.html" in result.report.written and "data/measurements.csv" in result.report.written
    same_as_fresh(vault, tmp_path / "site", tmp_path)


def test_builds_after_added_deleted_and_moved_entries_each_end_as_a_fresh_build(vault: Path, tmp_path: Path) -> None:
    """Each build starts from the model with the files read since laid over it: the neighbours and
    months it re-renders are those of what the last build saw, not of the older model."""
    vault_with_entries(vault)
    build(vault, tmp_path / "site", TODAY)
    model = tmp_path / "site" / ".goalsite-model"
    saved_at = model.stat().st_mtime_ns
    steps = [
        lambda: write(vault, "journal/2026/2026-11-04-b.md", "---\ndate: 2026-11-04\ntime: '23:00'\n---\nLate.\n"),
        lambda: (vault / "journal" / "2026" / "2026-11-06.md").unlink(),
        lambda: write(vault, "journal/2026/2026-11-04-b.md", "---\ndate: 2026-10-30\n---\nMoved back.\n"),
        lambda: write(vault, "journal/2026/2026-11-05.md", "---\nmood: 3\n---\nDay five, no nights.\n"),
    ]
    for number, step in enumerate(steps):
        step()
        result = build(vault, tmp_path / "site", TODAY)
        assert result.rendered, number
        same_as_fresh(vault, tmp_path / "site", tmp_path / f"fresh-{number}")
    assert model.stat().st_mtime_ns == saved_at  # every build started from the first model


def test_the_model_is_saved_again_when_many_files_changed(vault: Path, tmp_path: Path) -> None:
    vault_with_entries(vault)
    build(vault, tmp_path / "site", TODAY)
    model = tmp_path / "site" / ".goalsite-model"
    saved_at = model.stat().st_mtime_ns
    for day in range(1, 29):
        for part in range(4):
            write(vault, f"journal/2026/2026-10-{day:02d}-{part}.md", f"---\nmood: 5\n---\nEntry {part}.\n")
    build(vault, tmp_path / "site", TODAY)
    assert model.stat().st_mtime_ns != saved_at  # 112 new files: more than DRIFT_LIMIT
    same_as_fresh(vault, tmp_path / "site", tmp_path)


def test_a_body_edit_past_what_lists_show_renders_its_own_page_and_search_alone(vault: Path, tmp_path: Path) -> None:
    vault_with_entries(vault)
    words = " ".join(f"word{n}" for n in range(40))
    text = f"---\nmood: 6\nnights: 1\n---\n{words} [[sleep]]\n"
    write(vault, "journal/2026/2026-11-05.md", text)
    build(vault, tmp_path / "site", TODAY)
    write(vault, "journal/2026/2026-11-05.md", text + "\nA new last line.\n")
    result = build(vault, tmp_path / "site", TODAY)
    assert set(result.rendered) == {"journal/2026-11-05.html", "data/search-2026.js"}
    assert set(result.report.written) == {"journal/2026-11-05.html", "data/search-2026.js"}
    assert "A new last line." in (tmp_path / "site" / "journal" / "2026-11-05.html").read_text()
    same_as_fresh(vault, tmp_path / "site", tmp_path)


def test_a_body_edit_after_a_measured_one_keeps_what_the_last_build_measured(vault: Path, tmp_path: Path) -> None:
    """The model saved 1 night; the next build read 3 (kept as drift beside the older model). A body
    edit after that changes no figure: the figures stay those of 3 nights, not the model's."""
    vault_with_entries(vault)
    words = " ".join(f"word{n}" for n in range(40))
    build(vault, tmp_path / "site", TODAY)
    write(vault, "journal/2026/2026-11-05.md", f"---\nmood: 6\nnights: 3\n---\n{words}\n")
    build(vault, tmp_path / "site", TODAY)
    write(vault, "journal/2026/2026-11-05.md", f"---\nmood: 6\nnights: 3\n---\n{words}\n\nMore.\n")
    build(vault, tmp_path / "site", TODAY)
    assert "sleep,nights,2026-11-05,3," in (tmp_path / "site" / "data" / "measurements.csv").read_text()
    same_as_fresh(vault, tmp_path / "site", tmp_path)


def test_body_edits_one_after_another_each_render_their_own_page_alone(vault: Path, tmp_path: Path) -> None:
    """Each build lays the bodies read since over the model, whose figures and problems are still the
    last build's: the next body edit needs no more than the first did. After a measured edit the model's
    figures are older; a body edit then works them out again, and still renders only its own page."""
    vault_with_entries(vault)
    words = " ".join(f"word{n}" for n in range(40))
    for day in (5, 6):
        write(vault, f"journal/2026/2026-11-0{day}.md", f"---\nmood: 6\nnights: 1\n---\n{words}\n")
    build(vault, tmp_path / "site", TODAY)
    for number, day in enumerate((5, 6, 5)):
        write(vault, f"journal/2026/2026-11-0{day}.md", f"---\nmood: 6\nnights: 1\n---\n{words} {number}\n")
        result = build(vault, tmp_path / "site", TODAY)
        assert set(result.rendered) == {f"journal/2026-11-0{day}.html", "data/search-2026.js"}, number
        same_as_fresh(vault, tmp_path / "site", tmp_path / f"fresh-{number}")
    write(vault, "journal/2026/2026-11-06.md", f"---\nmood: 2\nnights: 1\n---\n{words} 1\n")
    assert "index.html" in build(vault, tmp_path / "site", TODAY).rendered
    write(vault, "journal/2026/2026-11-06.md", f"---\nmood: 2\nnights: 1\n---\n{words} 3\n")
    assert set(build(vault, tmp_path / "site", TODAY).rendered) == {"journal/2026-11-06.html", "data/search-2026.js"}
    same_as_fresh(vault, tmp_path / "site", tmp_path / "fresh-last")
    write(vault, "journal/2026/2026-11-05.md", f"---\nmood: 6\nnights: 1\n---\n{words} 4\n")
    assert set(build(vault, tmp_path / "site", TODAY).rendered) == {"journal/2026-11-05.html", "data/search-2026.js"}
    same_as_fresh(vault, tmp_path / "site", tmp_path / "fresh-after")


def test_a_body_edit_after_a_new_link_keeps_the_goal_start_the_last_build_saw(vault: Path, tmp_path: Path) -> None:
    """A goal with no `start:` starts at the first entry that mentions it. The model saw none; the last
    build saw one. A body edit after that works out the goals again from what the last build saw."""
    vault_with_entries(vault)
    write(vault, "goals/calm.md", (vault / "goals/sleep.md").read_text().replace("title: sleep", "title: calm")
          .replace("start: 2026-10-01\n", "").replace("field: nights", "field: calm"))
    words = " ".join(f"word{n}" for n in range(40))
    write(vault, "journal/2025/2025-12-31.md", f"---\nmood: 5\n---\n{words}\n")
    build(vault, tmp_path / "site", TODAY)
    write(vault, "journal/2025/2025-12-31.md", f"---\nmood: 5\n---\n{words} [[calm]]\n")
    build(vault, tmp_path / "site", TODAY)
    write(vault, "journal/2025/2025-12-31.md", f"---\nmood: 5\n---\n{words} [[calm]] again\n")
    result = build(vault, tmp_path / "site", TODAY)
    assert set(result.rendered) == {"journal/2025-12-31.html", "data/search-2025.js"}
    assert '"start": "2025-12-31"' in (tmp_path / "site" / "data" / "goals.json").read_text()
    calm = result.vault.goal("calm")
    assert calm is not None and calm.start == dt.date(2025, 12, 31)  # what the command reports from
    same_as_fresh(vault, tmp_path / "site", tmp_path)


def _fresh_check(vault: Path, today: dt.date) -> tuple[tuple[Problem, ...], int]:
    model, _today = load_vault(vault, today)
    return tuple(model.problems), model.files_read


def test_check_reads_from_the_last_builds_state_and_says_what_a_whole_reading_says(vault: Path) -> None:
    """`goalsite check` after a build (into the usual folder beside the vault) starts from its state: the
    same problems, in the same order, as reading everything, after every kind of change; nothing written."""
    vault_with_entries(vault)
    write(vault, "journal/2026/2026-11-12.md", "---\nmood: 12\n---\nToo high.\n")
    out = vault.parent / "vault-site"
    build(vault, None, TODAY)
    assert (out / STATE).is_file()

    def same() -> tuple[tuple[Problem, ...], int]:
        before = snapshot(out)
        found = checked(vault, TODAY)
        assert found is not None
        assert found == _fresh_check(vault, TODAY)
        assert snapshot(out) == before  # the state and the site are as the build left them
        return found

    problems, files = same()  # nothing changed: the summary's own
    assert ([p.code for p in problems], files) == (["measurable-no-data", "mood-out-of-range"], 14)
    write(vault, "journal/2026/2026-11-04.md", "---\nmood: 6\nmood: 7\n---\nTwice.\n")
    assert [p.code for p in same()[0]] == ["measurable-no-data", "yaml-duplicate-key", "mood-out-of-range"]
    build(vault, None, TODAY)  # a small change: the state carries it beside the older model
    assert state.load_summary(out).drift  # type: ignore[union-attr]
    (vault / "goals" / "walks.md").write_text(
        (vault / "goals" / "walks.md").read_text().replace("specific: Keep it up on weeknights for twenty minutes.\n", ""))
    assert "specific-missing" in [p.code for p in same()[0]]
    (vault / "journal" / "2026" / "2026-11-12.md").unlink()
    write(vault, "journal/2026/2026-11-30.md", "---\nnights: [3\n---\n")
    problems, files = same()
    assert "mood-out-of-range" not in [p.code for p in problems] and "yaml-syntax" in [p.code for p in problems]
    assert files == 14  # one entry gone, one new
    later = checked(vault, dt.date(2027, 3, 1))  # another day: the same model, worked out for that day
    assert later == _fresh_check(vault, dt.date(2027, 3, 1)) and later != _fresh_check(vault, TODAY)
    write(vault, "goalsite.yaml", "title: Other\n")  # other settings: no state to trust
    assert checked(vault, TODAY) is None


def test_check_goes_by_each_files_size_and_time_as_the_build_does(vault: Path) -> None:
    """What shows that check starts from the state: a file rewritten to the same size and time is not
    read again (a build does the same; an editor's save always changes the time)."""
    vault_with_entries(vault)
    assert run("build", vault, "--today", "2026-11-21").returncode == 0
    as_built = _fresh_check(vault, TODAY)
    said = run("check", vault, "--today", "2026-11-21")
    path = vault / "journal" / "2026" / "2026-11-04.md"
    text, stamp = path.read_text(), path.stat().st_mtime_ns
    broken = text.replace("mood: ", "mood: [", 1)[:-1]
    assert len(broken) == len(text)
    path.write_text(broken)
    os.utime(path, ns=(stamp, stamp))
    assert checked(vault, TODAY) == as_built
    assert run("check", vault, "--today", "2026-11-21").stdout == said.stdout  # the command starts from it too
    assert "yaml-syntax" not in [p.code for p in as_built[0]]
    assert "yaml-syntax" in [p.code for p in _fresh_check(vault, TODAY)[0]]
    os.utime(path)  # saved again
    assert checked(vault, TODAY) == _fresh_check(vault, TODAY)
    assert "yaml-syntax" in run("check", vault, "--today", "2026-11-21").stdout


def test_check_without_a_build_or_beside_a_foreign_folder_reads_everything(vault: Path) -> None:
    vault_with_entries(vault)
    assert checked(vault, TODAY) is None
    assert not (vault.parent / "vault-site").exists()  # looking made nothing
    write(vault.parent, "vault-site/notes.txt", "not goalsite's")
    assert checked(vault, TODAY) is None
    result = run("check", vault, "--today", "2026-11-21")
    assert (result.returncode, result.stdout.splitlines()[-1]) == (0, "0 errors, 1 warning in 13 files.")


def test_looking_while_the_model_loads_sees_what_looking_alone_sees(vault: Path, tmp_path: Path) -> None:
    """`look(load=True)`: a forked process looks at the files while this one loads the model. Its answer is
    the one looking alone gives; the model comes with it when something changed, and is let go (its load
    stopped) when nothing did; no process is left behind."""
    vault_with_entries(vault)
    build(vault, tmp_path / "site", TODAY)
    calm = state.look(vault, tmp_path / "site", TODAY, load=True, meanwhile=lambda: None)
    assert calm.unchanged and calm.saved is None and calm.intact == set(calm.summary.outputs)  # type: ignore[union-attr]
    assert no_process_left()
    write(vault, "journal/2026/2026-11-05.md", "---\nmood: 7\nnights: 0\n---\nDay five, edited.\n")
    ready: list[bool] = []
    seen = state.look(vault, tmp_path / "site", TODAY, load=True, meanwhile=lambda: ready.append(True))
    alone = state.look(vault, tmp_path / "site", TODAY)
    assert ready == [True] and no_process_left()
    assert (seen.unchanged, seen.intact, seen.listing) == (False, alone.intact, alone.listing)
    assert seen.intact == set(seen.summary.outputs) and len(seen.listing[0]) == 13  # type: ignore[index, union-attr]
    assert alone.saved is None and seen.saved is not None
    assert [entry.file for entry in seen.saved.vault.entries] == [entry.file for entry in build(
        vault, tmp_path / "again", TODAY, fresh=True).vault.entries]
    result = build(vault, tmp_path / "site", TODAY, seen=seen)  # the build starts from the model loaded
    assert "journal/2026-11-05.html" in result.rendered and "journal/2026-11-04.html" not in result.rendered
    same_as_fresh(vault, tmp_path / "site", tmp_path)


@pytest.mark.parametrize("how", ["fails", "is killed", "cannot start"])
@pytest.mark.parametrize("edited", [False, True])
def test_when_the_looking_process_fails_this_one_looks(vault: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      how: str, edited: bool) -> None:
    """A looking process that fails or is killed before it answered whole, or one that cannot be forked:
    this process looks itself, after the load, and sees what looking alone sees."""
    vault_with_entries(vault)
    build(vault, tmp_path / "site", TODAY)
    if edited:
        write(vault, "journal/2026/2026-11-05.md", "---\nmood: 7\nnights: 0\n---\nDay five, edited.\n")
    alone = state.look(vault, tmp_path / "site", TODAY)
    parent = os.getpid()
    looked: list[int] = []
    look_at_files = state._look_at_files

    def looking(seen: state.Look) -> None:
        if os.getpid() != parent:  # the forked process
            if how == "fails":
                raise OSError("the disk went away")
            os.kill(os.getpid(), 9)
        looked.append(parent)
        look_at_files(seen)

    def no_fork() -> int:
        raise OSError("no process to spare")

    monkeypatch.setattr(state, "_look_at_files", looking)
    if how == "cannot start":
        monkeypatch.setattr(state.os, "fork", no_fork)
    seen = state.look(vault, tmp_path / "site", TODAY, load=True, meanwhile=lambda: None)
    assert looked == [parent] and no_process_left()
    assert (seen.unchanged, seen.intact, seen.listing) == (alone.unchanged, alone.intact, alone.listing)
    assert seen.unchanged is not edited and (seen.saved is not None) is (how != "cannot start")  # loaded meanwhile


def test_a_load_no_longer_wanted_stops_at_once(vault: Path, tmp_path: Path) -> None:
    """The model's load asks `stop` between pieces (of the signature check, then of the unpickling) and ends
    when it raises `Stopped`; a `stop` that never does changes nothing."""
    vault_with_entries(vault)
    build(vault, tmp_path / "site", TODAY)
    summary = state.load_summary(tmp_path / "site")
    assert summary is not None
    asked: list[int] = []

    def patient() -> None:
        asked.append(1)

    loaded = state.load_model(tmp_path / "site", summary, patient)
    assert loaded is not None and len(asked) >= 2  # the signature once, the unpickler at least once
    assert pickle.dumps(loaded.vault) == pickle.dumps(state.load_model(tmp_path / "site", summary).vault)  # type: ignore[union-attr]
    for after in range(len(asked)):
        passes = iter(range(after))  # `after` calls pass, the next stops the load

        def impatient(passes: Iterator[int] = passes) -> None:
            if next(passes, None) is None:
                raise state.Stopped

        with pytest.raises(state.Stopped):
            state.load_model(tmp_path / "site", summary, impatient)


def test_saving_the_model_leaves_nothing_for_the_cycle_collector(vault: Path, tmp_path: Path) -> None:
    """A build turns the cycle collector off (`cli`), so what it makes must go with its last reference. The
    model's pickler did not: holding its own method, it kept its memo, a reference to everything pickled
    (64 MB at 50,000 entries), while the pages rendered."""
    vault_with_entries(vault)
    gc.collect()
    gc.disable()
    try:
        build(vault, tmp_path / "site", TODAY)
        gc.set_debug(gc.DEBUG_SAVEALL)
        gc.collect()
        left = sorted({type(thing).__qualname__ for thing in gc.garbage if type(thing).__module__ == "goalsite.state"})
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert (tmp_path / "site" / MODEL).is_file()
    assert left == []
