"""A whole build spreads its pages over forked workers; the site is the same, byte for byte."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import gc
import itertools
import os
import shutil
import subprocess
import sys
import threading
import time
import weakref
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from test_incremental import TODAY, vault_with_entries

import goalsite.build
import goalsite.config
import goalsite.load
import goalsite.model
import goalsite.output
import goalsite.render
import goalsite.state
import goalsite.vault
import goalsite.views
from conftest import no_process_left, snapshot, write
from goalsite import forked
from goalsite.build import build
from goalsite.errors import UsageError
from goalsite.markup import plain_excerpt
from goalsite.state import STATE_FILES

ROOT = Path(__file__).resolve().parent.parent


def site(folder: Path) -> dict[str, bytes]:
    return {name: data for name, (data, _time) in snapshot(folder).items() if name not in STATE_FILES}


def counted(monkeypatch: pytest.MonkeyPatch, module: object, name: str, calls: list[str]) -> None:
    """`module.name` still runs, and each call is noted in `calls`."""
    spread = getattr(module, name)
    monkeypatch.setattr(module, name, lambda *args, **kwargs: calls.append(name) or spread(*args, **kwargs))


def test_workers_build_the_same_site_as_one_process(vault: Path, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    vault_with_entries(vault)
    monkeypatch.setattr(goalsite.build, "PARALLEL_FROM", 10**9)
    one = build(vault, tmp_path / "one", TODAY)
    monkeypatch.setattr(goalsite.build, "PARALLEL_FROM", 1)
    calls: list[str] = []
    counted(monkeypatch, goalsite.build, "_render_in_processes", calls)
    counted(monkeypatch, goalsite.state, "write_model", calls)
    many = build(vault, tmp_path / "many", TODAY)  # into a folder not made yet
    assert calls == ["write_model", "_render_in_processes"]  # the model once, before the pages
    assert goalsite.state.look(vault, tmp_path / "many", TODAY, load=True).saved is None  # unchanged: not needed
    assert sorted(many.rendered) == sorted(one.rendered) and len(many.rendered) == 32
    assert many.report.written == one.report.written and len(many.report.written) == 36
    assert site(tmp_path / "many") == site(tmp_path / "one")
    again = build(vault, tmp_path / "many", TODAY, fresh=True)  # workers compare before writing, too
    assert again.report.written == () and again.report.unchanged == 36


def test_without_a_process_to_spare_the_build_is_done_in_one(vault: Path, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Every fork refused (no process to spare): the readers', the early Markdown workers' and the pages'
    work is done in this process, and the site is the one workers build."""
    vault_with_entries(vault)
    monkeypatch.setattr(goalsite.build, "PARALLEL_FROM", 1)
    monkeypatch.setattr(goalsite.load, "PARALLEL_FROM", 1)
    spread = build(vault, tmp_path / "spread", TODAY)
    forks: list[int] = []

    def no_fork() -> int:
        forks.append(1)
        raise OSError("no process to spare")

    monkeypatch.setattr(os, "fork", no_fork)
    alone = build(vault, tmp_path / "alone", TODAY)
    # The first reader, the early worker and the first page worker (both only with more than one core): each refused.
    assert len(forks) == (3 if (os.cpu_count() or 1) > 1 else 1)
    assert site(tmp_path / "alone") == site(tmp_path / "spread") and len(alone.rendered) == 32
    assert sorted(alone.rendered) == sorted(spread.rendered) and no_process_left()


def test_a_theme_error_in_a_worker_is_reported_plainly(vault: Path, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    vault_with_entries(vault)
    write(vault, "theme/templates/entry.html", "{% extends 'base.html' %}{% block main %}{{ no_such }}{% endblock %}")
    monkeypatch.setattr(goalsite.build, "PARALLEL_FROM", 1)
    with pytest.raises(UsageError, match="The theme has a problem, so no page was written: 'no_such' is undefined"):
        build(vault, tmp_path / "site", TODAY)


def test_a_first_read_spread_over_workers_finds_the_same_vault(vault: Path, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    vault_with_entries(vault)
    write(vault, "journal/2026/2026-11-12.md", "---\nmood: 12\ndate: 2026-13-01\n---\nBroken date.\n")
    write(vault, "journal/2026/2026-11-13.md", b"\xff\xfe\x00broken")
    one = build(vault, tmp_path / "one", TODAY)
    monkeypatch.setattr(goalsite.load, "PARALLEL_FROM", 1)
    calls: list[str] = []
    counted(monkeypatch, goalsite.load, "_read_in_processes", calls)
    many = build(vault, tmp_path / "many", TODAY)
    assert calls == ["_read_in_processes"]
    assert many.vault.problems == one.vault.problems and len(many.vault.problems) >= 2
    assert many.vault.entries == one.vault.entries and many.vault.goals == one.vault.goals
    assert site(tmp_path / "many") == site(tmp_path / "one")


def test_the_model_saved_while_workers_render_is_a_sound_start(vault: Path, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """The model is pickled while the workers render: the next build starts from it, not from scratch."""
    vault_with_entries(vault)
    monkeypatch.setattr(goalsite.build, "PARALLEL_FROM", 1)
    build(vault, tmp_path / "many", TODAY)
    write(vault, "journal/2026/2026-11-05.md", "---\nmood: 7\nnights: 0\n---\nDay five, edited. [[sleep]]\n")
    result = build(vault, tmp_path / "many", TODAY)
    assert "journal/2026-11-04.html" not in result.rendered and "journal/2026-11-05.html" in result.report.written
    assert "data/measurements.csv" in result.report.written  # nights changed: the sleep goal's rows
    monkeypatch.setattr(goalsite.build, "PARALLEL_FROM", 10**9)
    build(vault, tmp_path / "one", TODAY)
    assert site(tmp_path / "many") == site(tmp_path / "one")


def test_the_sizes_and_times_workers_note_are_the_written_files(vault: Path, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Each worker notes the size and time of the pages it wrote; the state keeps exactly what is on disk,
    so a page edited by hand afterwards is noticed and written again."""
    vault_with_entries(vault)
    monkeypatch.setattr(goalsite.build, "PARALLEL_FROM", 1)
    out = tmp_path / "many"
    build(vault, out, TODAY)
    summary = goalsite.state.load_summary(out)
    assert summary is not None and len(summary.outputs) == 36
    assert summary.outputs == goalsite.state.outputs(out, sorted(summary.outputs))
    page = out / "journal" / "2026-11-04.html"
    page.write_bytes(page.read_bytes().replace(b"</body>", b"<!-- mine --></body>"))
    result = build(vault, out, TODAY)
    assert "journal/2026-11-04.html" in result.report.written and b"mine" not in page.read_bytes()


def test_a_model_written_before_a_theme_error_is_not_trusted(vault: Path, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """The model is written while the workers render; when they then fail, the summary left by the build
    before does not vouch for it, and the next build starts from scratch, right."""
    vault_with_entries(vault)
    monkeypatch.setattr(goalsite.build, "PARALLEL_FROM", 1)
    out = tmp_path / "many"
    build(vault, out, TODAY)
    write(vault, "journal/2026/2026-11-05.md", "---\nmood: 7\nnights: 0\n---\nDay five, edited. [[sleep]]\n")
    write(vault, "theme/templates/entry.html", "{% extends 'base.html' %}{% block main %}{{ no_such }}{% endblock %}")
    with pytest.raises(UsageError):
        build(vault, out, TODAY)
    (vault / "theme" / "templates" / "entry.html").unlink()
    summary = goalsite.state.load_summary(out)
    assert summary is not None and goalsite.state.load_model(out, summary) is None
    build(vault, out, TODAY)
    monkeypatch.setattr(goalsite.build, "PARALLEL_FROM", 10**9)
    build(vault, tmp_path / "one", TODAY)
    assert site(out) == site(tmp_path / "one")


def test_a_template_that_does_not_compile_is_reported_by_the_page_that_uses_it(vault: Path, tmp_path: Path,
                                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    vault_with_entries(vault)
    write(vault, "theme/templates/unused.html", "{% if %}")  # no page uses it: the site is still built
    monkeypatch.setattr(goalsite.build, "PARALLEL_FROM", 1)
    assert len(build(vault, tmp_path / "site", TODAY).rendered) == 32
    write(vault, "theme/templates/entry.html", "{% extends 'base.html' %}{% block main %}{% if %}{% endblock %}")
    with pytest.raises(UsageError, match=r"The theme has a problem, so no page was written: .*entry\.html:1: "):
        build(vault, tmp_path / "site", TODAY)


def test_a_live_first_build_uses_the_workers_and_serves_what_they_wrote(vault: Path, tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """`watch` and `serve` start with a whole build, before any thread of theirs runs: it may fork."""
    from goalsite.build import Builder

    vault_with_entries(vault)
    one = Builder(vault, tmp_path / "one", TODAY, live=True)
    one.build()
    monkeypatch.setattr(goalsite.build, "PARALLEL_FROM", 1)
    monkeypatch.setattr(goalsite.load, "PARALLEL_FROM", 1)
    calls: list[str] = []
    counted(monkeypatch, goalsite.build, "_render_in_processes", calls)
    counted(monkeypatch, goalsite.load, "_read_in_processes", calls)
    many = Builder(vault, tmp_path / "many", TODAY, live=True)
    first = many.build()
    assert sorted(calls) == ["_read_in_processes", "_render_in_processes"]
    assert len(first.report.written) == 36 and first.report.unchanged == 0
    assert many.site() == one.site() and len(many.site()) == 36  # every file, in memory to be served
    assert site(tmp_path / "many") == site(tmp_path / "one")
    looked: list[dict[str, bytes]] = []
    path = write(vault, "journal/2026/2026-11-05.md", "---\nmood: 7\nnights: 1\n---\nDay five, live. [[sleep]]\n")
    many.build([path], looked.append)
    assert [list(pages) for pages in looked] == [["journal/2026-11-05.html"]]
    assert b"Day five, live." in many.site()["journal/2026-11-05.html"]


@pytest.mark.parametrize("count", [0, 1, 49, 50, 51, 399, 400, 1000, 10_265])
def test_work_is_cut_into_pieces_that_shrink_towards_the_end(count: int) -> None:
    pieces = goalsite.load.chunks(count, 50)
    assert [index for piece in pieces for index in piece] == list(range(count))
    sizes = [len(piece) for piece in pieces]
    assert all(sizes) and sizes == sorted(sizes, reverse=True)
    assert all(size >= 50 for size in sizes[:-1])
    if count >= 10_000:  # big pieces first (few hand-offs), small ones last (the workers end together)
        assert sizes[0] > 500 and sizes[-2] == 50 and len(pieces) < 80


def test_the_theme_is_compiled_while_workers_read(vault: Path, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """A whole read spread over workers leaves this process free: it compiles the theme then, not after."""
    vault_with_entries(vault)
    monkeypatch.setattr(goalsite.load, "PARALLEL_FROM", 1)
    calls: list[str] = []
    reading = goalsite.load._read_in_processes

    def read(*args: object) -> object:
        calls.append("read")
        found = reading(*args)  # type: ignore[arg-type]
        calls.append("read done")
        return found

    monkeypatch.setattr(goalsite.load, "_read_in_processes", read)
    counted(monkeypatch, goalsite.build, "_compile", calls)
    counted(monkeypatch, goalsite.render, "environment", calls)
    build(vault, tmp_path / "many", TODAY)
    assert calls == ["read", "environment", "_compile", "read done"]  # and not made again for the render
    monkeypatch.setattr(goalsite.load, "PARALLEL_FROM", 10**9)
    build(vault, tmp_path / "one", TODAY)
    assert site(tmp_path / "many") == site(tmp_path / "one")


def early_results(monkeypatch: pytest.MonkeyPatch, slow_assemble: float = 0.0) -> list[dict[int, str]]:
    """The HTML each build's early workers handed over (`_EarlyMarkdown.collect`); with `slow_assemble`,
    assembling the vault waits that long first, so that the workers finish every body meanwhile."""
    handed: list[dict[int, str]] = []
    collect = goalsite.build._EarlyMarkdown.collect

    def collected(self: goalsite.build._EarlyMarkdown, *args: Any) -> dict[int, goalsite.views.ReadyHtml]:
        ready = collect(self, *args)
        handed.append({place: html.text() for place, html in ready.items()})
        return ready

    monkeypatch.setattr(goalsite.build._EarlyMarkdown, "collect", collected)
    if slow_assemble:
        assemble = goalsite.build.assemble
        monkeypatch.setattr(goalsite.build, "assemble", lambda *args: time.sleep(slow_assemble) or assemble(*args))
    return handed


def test_bodies_rendered_early_are_what_each_page_would_render(vault: Path, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """While this process assembles the vault, a worker renders the entries' bodies; the pages use them,
    and the site is the same as one process makes."""
    vault_with_entries(vault)
    write(vault, "journal/2026/2026-11-11.md", "---\nmood: 6\n---\nSee [[2026-11-02]], [[walks]] and [[nowhere]]: "
                                               "==calm== ✓\n\n- [x] done\n")
    monkeypatch.setattr(goalsite.build, "PARALLEL_FROM", 10**9)
    one = build(vault, tmp_path / "one", TODAY)
    monkeypatch.setattr(goalsite.build, "PARALLEL_FROM", 1)
    handed = early_results(monkeypatch, slow_assemble=1.0)
    many = build(vault, tmp_path / "many", TODAY)
    assert [sorted(ready) for ready in handed] == [list(range(12))]  # every entry, by its place
    site_ = goalsite.build.Site(one.vault, one.analysis)
    page = goalsite.views.PageInfo("journal/2026-11-11.html", "", "")
    for place, entry in enumerate(one.vault.entries):
        assert handed[0][place] == site_.markdown(entry.body, page)
    assert '<a class="internal" href="../journal/2026-11-02.html"' in handed[0][11]
    assert site(tmp_path / "many") == site(tmp_path / "one")
    assert many.report.written == one.report.written


def read_and_built(vault: Path, tmp_path: Path,
                   monkeypatch: pytest.MonkeyPatch) -> tuple[goalsite.load.Reading, goalsite.build.BuildResult, Any]:
    """A vault of entries, read in this process and built once (in workers), and where its links lead:
    what the early workers are given and what they are checked against."""
    vault_with_entries(vault)
    monkeypatch.setattr(goalsite.build, "PARALLEL_FROM", 1)
    reading = goalsite.load.Reading(vault, goalsite.config.load_settings(vault)[0], [], None)
    reading.reread(None)
    one = build(vault, tmp_path / "one", TODAY)
    return reading, one, goalsite.build.Site(one.vault, one.analysis).link_world()


def test_early_bodies_are_used_only_where_links_lead_the_same_way(vault: Path, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """The workers work out where [[links]] lead from what was read; a site whose links lead elsewhere
    takes none of their HTML, and the workers are stopped so that the build may fork again."""
    reading, one, world = read_and_built(vault, tmp_path, monkeypatch)
    early = goalsite.build._EarlyMarkdown(False, 1)
    assert early.go(reading)
    time.sleep(1.0)
    assert early.collect((frozenset(), *world[1:]), one.vault.entries) == {}  # type: ignore[index]
    early.close()
    assert threading.active_count() == 1 and no_process_left()
    for workers in (1, 2):  # with more cores, more workers share the pieces
        early = goalsite.build._EarlyMarkdown(False, workers)
        assert early.go(reading)
        time.sleep(1.0)
        ready = early.collect(world, one.vault.entries)
        assert sorted(ready) == list(range(11)) and "[[" not in ready[10].text()
        early.close()
        assert threading.active_count() == 1 and no_process_left()


def memory_files(name: str) -> int:
    """How many files in memory called `name` (`memfd_create`) this process has open."""
    found = 0
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):
            found += os.readlink(f"/proc/self/fd/{fd}").startswith(f"/memfd:{name} ")
    return found


def test_the_bodies_sent_to_the_early_workers_are_let_go_when_their_work_is_taken(vault: Path, tmp_path: Path,
                                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Once the workers are stopped, no one reads the bodies the readers sent them (100 MB at 50,000
    entries): the pages' workers, forked next, are not to find that memory taken. The HTML the workers
    made stays, for the pages, until the build ends."""
    reading, one, world = read_and_built(vault, tmp_path, monkeypatch)
    early = goalsite.build._EarlyMarkdown(False, 2)
    assert memory_files("goalsite-bodies") == 1 and memory_files("goalsite-early") == 2
    assert early.go(reading)
    time.sleep(1.0)
    ready = early.collect(world, one.vault.entries)
    assert memory_files("goalsite-bodies") == 0 and memory_files("goalsite-early") == 2
    assert sorted(ready) == list(range(11)) and ready[2].text().startswith("<p>Day 2. ")
    early.close()
    assert memory_files("goalsite-early") == 0 and no_process_left()


def test_a_piece_cut_off_when_the_workers_stop_is_left_to_the_pages(vault: Path, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Workers are killed when their work is taken, wherever they are: what they finished is taken, the
    piece they were in is not, and nothing waits on them."""
    reading, one, world = read_and_built(vault, tmp_path, monkeypatch)
    monkeypatch.setattr(goalsite.build, "EARLY_PIECE", 4)
    made: list[str] = []
    render = goalsite.build.render_markdown

    def stuck(*args: object) -> str:  # in the worker: the sixth body never ends
        made.append("body")
        if len(made) == 6:
            time.sleep(600)
        return render(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(goalsite.build, "render_markdown", stuck)
    early = goalsite.build._EarlyMarkdown(False, 1)
    assert early.go(reading)
    time.sleep(1.0)
    began = time.monotonic()
    assert sorted(early.collect(world, one.vault.entries)) == [0, 1, 2, 3]
    early.close()
    assert time.monotonic() - began < 5 and no_process_left()


def test_a_failing_early_worker_leaves_each_page_its_own_markdown(vault: Path, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    vault_with_entries(vault)
    monkeypatch.setattr(goalsite.build, "PARALLEL_FROM", 10**9)
    build(vault, tmp_path / "one", TODAY)
    monkeypatch.setattr(goalsite.build, "PARALLEL_FROM", 1)

    def broken(*args: object) -> str:
        raise RuntimeError("no")

    monkeypatch.setattr(goalsite.build, "render_markdown", broken)  # the early workers' only: pages use their own
    handed = early_results(monkeypatch, slow_assemble=1.0)
    build(vault, tmp_path / "many", TODAY)
    assert handed == [{}]
    assert site(tmp_path / "many") == site(tmp_path / "one")


def test_a_build_that_fails_before_the_render_stops_its_early_workers(vault: Path, tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing is left behind when a build fails between the read and the render: no worker, no open file."""
    vault_with_entries(vault)
    monkeypatch.setattr(goalsite.build, "PARALLEL_FROM", 1)

    def broken(*args: object) -> None:
        raise RuntimeError("analysis failed")

    monkeypatch.setattr(goalsite.build, "analyse", broken)
    started: list[goalsite.build._EarlyMarkdown] = []
    start = goalsite.build._EarlyMarkdown.start
    monkeypatch.setattr(goalsite.build._EarlyMarkdown, "start",
                        staticmethod(lambda strict: started.append(start(strict)) or started[-1]))  # type: ignore[func-returns-value]
    goalsite.build._LAST.clear()  # an earlier build's builder, and the readers' files it still maps
    files = len(os.listdir("/proc/self/fd"))
    with pytest.raises(RuntimeError, match="analysis failed"):
        build(vault, tmp_path / "site", TODAY)
    assert len(started) == 1 and started[0] is not None and started[0].workers == [] and started[0].found == []
    assert no_process_left() and len(os.listdir("/proc/self/fd")) == files


def test_a_small_vault_or_a_live_build_renders_no_bodies_early(vault: Path, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """A small vault is quicker in one process; a live builder keeps no worker it would have to stop."""
    from goalsite.build import Builder

    vault_with_entries(vault)
    handed = early_results(monkeypatch)
    build(vault, tmp_path / "small", TODAY)
    monkeypatch.setattr(goalsite.build, "PARALLEL_FROM", 1)
    Builder(vault, tmp_path / "live", TODAY, live=True).build()
    assert handed == []


def test_the_model_takes_what_the_readers_sent_as_they_sent_it(vault: Path, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Readers pickle what they parsed to send it; the saved model holds those bytes as they are, and the
    rest of it points into them. Loaded, it is the model the build held, with the same objects shared (an
    entry's reading, its parse and its linking); a piece whose files changed since is not used."""
    vault_with_entries(vault)
    monkeypatch.setattr(goalsite.load, "PARALLEL_FROM", 1)
    sent: list[list[goalsite.load.Piece]] = []
    spread = goalsite.load._read_in_processes
    monkeypatch.setattr(goalsite.load, "_read_in_processes", lambda *args: sent.append(spread(*args)) or sent[-1])
    held: list[goalsite.state.Saved] = []
    write_model = goalsite.state.write_model
    monkeypatch.setattr(goalsite.state, "write_model",
                        lambda out, saved: held.append(saved) or write_model(out, saved))  # type: ignore[func-returns-value]
    out = tmp_path / "pieces"
    build(vault, out, TODAY)
    assert len(sent) == 1 and sum(len(files) for _bytes, files in sent[0]) == 13 and len(held) == 1
    assert all(isinstance(piece, memoryview) and piece.readonly for piece, _files in sent[0])  # (mapped, not read)
    model = (out / goalsite.state.MODEL).read_bytes()
    at = [model.find(piece) for piece, _files in sent[0]]
    assert -1 not in at and at == sorted(at)
    assert model.count(b"Day 3. [[sleep]]") == 1  # in its piece; the rest of the model points to it there
    ours = loaded(out)
    assert shape(ours) == shape(held[0])
    linked = [entry for entry in ours.vault.entries if entry.goals]
    assert len(linked) == 10 and len(held[0].reading.linked) == 11 and ours.reading.linked == {}
    for entry in linked:  # made again from the entry read, with its goals
        read = ours.reading.files[entry.file].parsed.entry
        assert read is not None and entry == replace(read, goals=entry.goals) and entry.goals != read.goals
    relinked = goalsite.load.assemble(ours.reading, TODAY)  # linking every entry again: the same vault
    assert relinked == ours.vault and len(ours.reading.linked) == 11
    monkeypatch.setattr(goalsite.load, "PARALLEL_FROM", 10**9)
    build(vault, tmp_path / "plain", TODAY)  # read in this process: no pieces, the same model
    theirs = loaded(tmp_path / "plain")
    assert (ours.vault.entries, ours.vault.goals, ours.reading.files) == \
        (theirs.vault.entries, theirs.vault.goals, theirs.reading.files)
    ours.reading.pieces = sent[0]  # another process's objects: no file is as these hold it
    again = tmp_path / "again"
    again.mkdir()
    summary = goalsite.state.load_summary(out)
    assert summary is not None
    summary.model = write_model(again, ours) or b""
    assert all((again / goalsite.state.MODEL).read_bytes().find(piece) == -1 for piece, _files in sent[0])
    assert shape(goalsite.state.load_model(again, summary)) == shape(held[0])  # type: ignore[arg-type]


def test_a_loaded_model_keeps_its_pieces_and_a_new_day_saves_them_again_as_they_are(
        vault: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A build that saves the model again (a new day's) writes the pieces whose files are still as read as
    they lie in the model it loaded, rather than pickling every entry again; a piece with an edited file
    is pickled anew."""
    vault_with_entries(vault)
    monkeypatch.setattr(goalsite.load, "PARALLEL_FROM", 1)
    out = tmp_path / "site"
    build(vault, out, TODAY)
    first = loaded(out)
    assert sum(len(held) for _sent, held in first.reading.pieces) == 13
    assert all(isinstance(sent, memoryview) and goalsite.load.decode_reads(sent) == held
               for sent, held in first.reading.pieces)
    assert all(first.reading.files[rel] is read for _sent, held in first.reading.pieces for rel, read in held)
    pieces = [bytes(sent) for sent, _held in first.reading.pieces]
    build(vault, out, TODAY + dt.timedelta(days=1))
    assert [bytes(sent) for sent, _held in loaded(out).reading.pieces] == pieces
    write(vault, "journal/2026/2026-11-05.md", "---\nmood: 7\n---\nDay five, edited.\n")
    build(vault, out, TODAY + dt.timedelta(days=2))
    third = loaded(out)
    assert third.reading.pieces == [] and third.reading.files["journal/2026/2026-11-05.md"].parsed.entry is not None
    assert b"Day five, edited." in (out / "journal" / "2026-11-05.html").read_bytes()


def test_a_load_of_a_model_with_pieces_asks_whether_it_is_still_wanted_between_pieces(
        vault: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A build that finds nothing changed stops the model's load it began meanwhile: every piece decoded
    before it could stop would cost it the time (0.19 → 0.34 s at 10,000 entries when it was not asked)."""
    vault_with_entries(vault)
    monkeypatch.setattr(goalsite.load, "PARALLEL_FROM", 1)
    monkeypatch.setattr(goalsite.load, "chunks", lambda count, _smallest: [range(n, min(n + 2, count))
                                                                          for n in range(0, count, 2)])
    build(vault, tmp_path / "site", TODAY)
    summary = goalsite.state.load_summary(tmp_path / "site")
    assert summary is not None
    decoded: list[int] = []
    decode = goalsite.load.decode_reads
    monkeypatch.setattr(goalsite.load, "decode_reads", lambda data: decoded.append(1) or decode(data))
    seen: list[int] = []  # pieces decoded at each ask
    saved = goalsite.state.load_model(tmp_path / "site", summary, lambda: seen.append(len(decoded)))
    assert saved is not None and len(saved.reading.pieces) == len(decoded) == 7  # 13 files, two a piece
    assert all(later - earlier <= 1 for earlier, later in itertools.pairwise(seen))


def loaded(folder: Path) -> goalsite.state.Saved:
    summary = goalsite.state.load_summary(folder)
    assert summary is not None
    saved = goalsite.state.load_model(folder, summary)
    assert saved is not None
    return saved


def shape(saved: goalsite.state.Saved) -> tuple[object, ...]:
    """What the model holds, to compare by value."""
    reading = saved.reading
    return (saved.vault, reading.files, reading.sources, saved.analysis, saved.goal_cache,
            saved.csv_rows, saved.link_world)


def test_the_model_saved_before_a_spread_render_is_the_one_a_build_in_one_process_saves(
        vault: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Written before the page workers start, the model still holds all a build made for the next one:
    each measured goal's rows of measurements.csv among them (made before the model is written)."""
    vault_with_entries(vault)
    monkeypatch.setattr(goalsite.build, "PARALLEL_FROM", 1)
    monkeypatch.setattr(goalsite.load, "PARALLEL_FROM", 1)
    build(vault, tmp_path / "spread", TODAY)
    monkeypatch.setattr(goalsite.build, "PARALLEL_FROM", 10**9)
    monkeypatch.setattr(goalsite.load, "PARALLEL_FROM", 10**9)
    build(vault, tmp_path / "one", TODAY)
    spread, one = loaded(tmp_path / "spread"), loaded(tmp_path / "one")
    assert sorted(spread.csv_rows) == ["sleep", "walks"]
    assert shape(spread) == shape(one)


def test_a_build_keeps_its_objects_until_the_next_build_starts(vault: Path, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Freeing the model as a build ends would write to every page of memory its workers shared, for a
    process about to end: the last build's builder and view are kept, and let go when the next one starts."""
    vault_with_entries(vault)
    monkeypatch.setattr(goalsite.build, "PARALLEL_FROM", 1)
    monkeypatch.setattr(goalsite.load, "PARALLEL_FROM", 1)
    build(vault, tmp_path / "one", TODAY)
    builder = goalsite.build._LAST[0]
    assert builder.rendered_with is not None
    view, pages, pieces = builder.rendered_with
    assert len(pages) == 28 and view.vault is builder.vault  # (and 4 data files)
    assert pieces == builder.reading.pieces == []  # in the model, and let go before the pages (below)
    gone = weakref.ref(builder), weakref.ref(view)
    del builder, view, pages, pieces
    gc.collect()
    assert all(ref() is not None for ref in gone)  # held after the build
    build(vault, tmp_path / "two", TODAY)
    gc.collect()
    assert [ref() for ref in gone] == [None, None]  # let go by the next
    assert goalsite.build._LAST[0].out == tmp_path / "two"


def early_view(vault: Path, monkeypatch: pytest.MonkeyPatch,
               refuse_after: int | None = None) -> tuple[goalsite.load.Reading, list[memoryview], list[memoryview]]:
    """A whole read by forked readers, a file a task, handing over to early workers (`Handover`): the
    reading, what the inbox holds, and what the readers' own files hold. With `refuse_after`, a reader
    fails at that task (its file ends there), and this process reads what it left."""
    monkeypatch.setattr(goalsite.load, "PARALLEL_FROM", 1)
    monkeypatch.setattr(goalsite.load, "chunks", lambda count, smallest: [range(n, n + 1) for n in range(count)])
    if refuse_after is not None:
        read_chunk, parent = goalsite.load._read_chunk, os.getpid()

        def failing(chunk: range) -> bytes:
            if chunk.start >= refuse_after and os.getpid() != parent:
                raise OSError("this reader stops here")
            return read_chunk(chunk)

        monkeypatch.setattr(goalsite.load, "_read_chunk", failing)
    readers = forked.files_for_workers(2, "goalsite-read")
    inbox = forked.shared_file("bodies")
    try:
        reading = goalsite.load.Reading(vault, goalsite.config.load_settings(vault)[0], [], None)
        reading.reread(None, bodies=goalsite.load.Handover(inbox, readers))
        return (reading, forked.read_messages(inbox)[0],
                [sent for fd in readers for sent in forked.task_results(fd)])
    finally:
        for fd in [inbox, *readers]:
            os.close(fd)


def test_the_readers_hand_the_early_workers_every_body_in_the_vaults_order(vault: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """The early workers are forked before the vault is read (sharing none of its objects), after the
    readers' files are made: there they find what the readers send, and from it the goals and entries
    `assemble` will. Nothing is written twice: this process's inbox stays empty."""
    vault_with_entries(vault)
    write(vault, "goals/sleep2.md", "---\nid: sleep\ntitle: Said twice\n---\n")  # the first file keeps the id
    reading, inbox, readers = early_view(vault, monkeypatch)
    assert len(reading.pieces) == 14 and len(readers) == 14  # read by forked readers, a file at a time
    assert inbox == []
    assert sorted(bytes(sent) for sent in readers) == sorted(bytes(sent) for sent, _held in reading.pieces)
    goals, bodies = goalsite.load.bodies_read(readers)
    assert goals == goalsite.load.goals_read(reading)
    assert [(goal.id, goal.file) for goal in goals] == [("sleep", "goals/sleep.md"), ("walks", "goals/walks.md")]
    entries = goalsite.load.entries_read(reading)
    assert len(entries) == 11 and bodies == [(entry.file, entry.date, entry.sort_key, entry.body) for entry in entries]


def test_what_a_failed_reader_left_reaches_the_early_workers_through_the_inbox(
        vault: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A task the readers left is read here, and added to the inbox: every file's reading reaches the
    early workers once, in the readers' files or in the inbox."""
    vault_with_entries(vault)
    reading, inbox, readers = early_view(vault, monkeypatch, refuse_after=5)
    assert len(reading.pieces) == 13 and len(readers) == 5 and len(inbox) == 8
    goals, bodies = goalsite.load.bodies_read([*inbox, *readers])
    assert goals == goalsite.load.goals_read(reading)
    entries = goalsite.load.entries_read(reading)
    assert len(entries) == 11 and bodies == [(entry.file, entry.date, entry.sort_key, entry.body) for entry in entries]


def test_early_workers_wait_for_the_read_and_end_without_it(vault: Path, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Forked before the read, the early workers wait: a vault found too small, or a build that fails
    while reading, ends them at once, leaving no process and no open file."""
    vault_with_entries(vault)
    goalsite.build._LAST.clear()  # an earlier build's builder, and the readers' files it still maps
    files = len(os.listdir("/proc/self/fd"))
    early = goalsite.build._EarlyMarkdown(False, 2)
    assert len(early.workers) == 2 and not no_process_left()
    reading = goalsite.load.Reading(vault, goalsite.config.load_settings(vault)[0], [], None)
    reading.reread(None)
    began = time.monotonic()
    assert not early.go(reading)  # 13 files: the pages render their own Markdown
    assert time.monotonic() - began < 5 and no_process_left() and len(os.listdir("/proc/self/fd")) == files

    def broken(self: object, settings: object) -> None:
        raise RuntimeError("the theme failed while the readers read")

    monkeypatch.setattr(goalsite.load, "PARALLEL_FROM", 1)
    monkeypatch.setattr(goalsite.build.Builder, "_prepare_theme", broken)
    started: list[goalsite.build._EarlyMarkdown | None] = []
    start = goalsite.build._EarlyMarkdown.start
    monkeypatch.setattr(goalsite.build._EarlyMarkdown, "start",
                        staticmethod(lambda strict: started.append(start(strict)) or started[-1]))  # type: ignore[func-returns-value]
    with pytest.raises(RuntimeError, match="while the readers read"):
        build(vault, tmp_path / "site", TODAY)
    assert len(started) == 1 and started[0] is not None and started[0].workers == []
    assert no_process_left() and len(os.listdir("/proc/self/fd")) == files


def test_jinja_is_imported_while_the_readers_read_not_before(vault: Path, tmp_path: Path) -> None:
    """A cold build starts reading as soon as it has found the files: Jinja (a third of the build's
    imports) is imported with the theme, on the main process's own time, while the readers read."""
    vault_with_entries(vault)
    code = ("import sys, datetime as dt\nimport goalsite.build, goalsite.load\n"
            "print('jinja2' in sys.modules)\n"
            "spread = goalsite.load._read_in_processes\n"
            "def watched(*args):\n    print('jinja2' in sys.modules)\n    return spread(*args)\n"
            "goalsite.load._read_in_processes = watched\ngoalsite.load.PARALLEL_FROM = 1\n"
            f"goalsite.build.build({str(vault)!r}, {str(tmp_path / 'site')!r}, dt.date(2026, 11, 21))\n"
            "print('jinja2' in sys.modules)")
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert shown == ["False", "False", "True"]


@pytest.mark.parametrize("parallel_from", [1, 10**9])
def test_a_first_read_notes_each_files_size_and_time_as_a_look_at_it_would(vault: Path, tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch,
                                                                           parallel_from: int) -> None:
    """A first read opens every file, and takes its size and time from the file opened rather than from
    a look at each before: what it keeps must be what such a look says, or the next build reads again."""
    vault_with_entries(vault)
    write(vault, "journal/2026/2026-11-14.md", "x" * (2 * 1024 * 1024 + 1))
    monkeypatch.setattr(goalsite.load, "PARALLEL_FROM", parallel_from)
    result = build(vault, tmp_path / "site", TODAY)
    assert [(p.location.file, p.code) for p in result.vault.problems if p.code == "too-large"] == \
        [("journal/2026/2026-11-14.md", "too-large")]
    reading = goalsite.build._LAST[0].reading
    assert reading is not None
    found, _problems = goalsite.vault.discover(vault.resolve(), reading.settings, tmp_path / "site")
    assert reading.sources == {source.rel: source for source in found} and len(found) >= 12
    assert all(reading.files[source.rel].signature == (source.size, source.mtime_ns) for source in found)
    assert goalsite.state.look(vault, tmp_path / "site", TODAY).unchanged
    assert build(vault, tmp_path / "site", TODAY).report.written == ()


def test_what_a_reader_sends_is_what_it_read(tmp_path: Path) -> None:
    """Entries go as plain values (`marshal`), the rest pickled; either way what comes back equals what
    was read, for every file of the example vault (questionnaires, GAS ratings, links, fields), a goal,
    a file with a problem, and an entry holding a value `marshal` does not know."""
    from fractions import Fraction

    vault = tmp_path / "vault"
    shutil.copytree(ROOT / "example_vault", vault)
    write(vault, "journal/2026/2026-11-30.md", "---\nmood: 12\ndate: 2026-13-01\n---\nBroken date.\n")
    reading = goalsite.load.Reading(vault.resolve(), goalsite.config.load_settings(vault)[0], [], None)
    sources, _ = goalsite.vault.discover(vault.resolve(), reading.settings)
    read = [(source.rel, goalsite.load._read(source, reading.settings)) for source in sources]
    kinds = {(one.parsed.goal is not None, one.parsed.entry is not None, bool(one.parsed.problems)) for _rel, one in read}
    assert {(False, True, False), (True, False, False), (False, True, True)} <= kinds
    assert any(one.parsed.entry and one.parsed.entry.questionnaires for _rel, one in read)
    assert any(one.parsed.entry and one.parsed.entry.gas for _rel, one in read)
    sent = goalsite.load.encode_reads(read)
    assert sent[:1] == b"M" and goalsite.load.decode_reads(memoryview(sent)) == read
    back = goalsite.load.decode_reads(sent)
    assert [type(one.parsed.entry) for _rel, one in back] == [type(one.parsed.entry) for _rel, one in read]
    entry = next(one.parsed.entry for _rel, one in back if one.parsed.entry and one.parsed.entry.fields)
    assert all(type(value) is goalsite.model.FieldValue for value in entry.fields.values())
    # An entry sent as plain values comes with the excerpt the lists show, made by the reader (a file
    # read here makes it when a list asks); one pickled comes as it was.
    plain = [one.parsed.entry for _rel, one in back if one.parsed.entry and not one.parsed.problems]
    assert len(plain) > 20 and all(entry.excerpt == plain_excerpt(entry.body, 24) for entry in plain)
    assert any(entry.excerpt.endswith(" …") for entry in plain)
    assert all(one.parsed.entry.excerpt is None for _rel, one in read if one.parsed.entry)
    assert all(one.parsed.entry.excerpt is None for _rel, one in back if one.parsed.entry and one.parsed.problems)
    assert tuple(field.name for field in dataclasses.fields(goalsite.model.Entry)) == goalsite.load._ENTRY_FIELDS
    rel, one = next((rel, one) for rel, one in read if one.parsed.entry and one.parsed.entry.fields)
    assert one.parsed.entry is not None
    name, value = next(iter(one.parsed.entry.fields.items()))
    odd = replace(one.parsed.entry, fields={name: value._replace(number=Fraction(1, 3))})
    unusual = [(rel, goalsite.load.FileRead(one.signature, one.digest, replace(one.parsed, entry=odd)))]
    unusual_sent = goalsite.load.encode_reads(unusual)
    assert unusual_sent[:1] == b"P" and goalsite.load.decode_reads(unusual_sent) == unusual
    # The early workers take the bodies from the same bytes, made into objects only where pickled.
    goals, bodies = goalsite.load.bodies_read([memoryview(sent), memoryview(unusual_sent)])
    entries = sorted([one.parsed.entry for _rel, one in read if one.parsed.entry] + [odd], key=lambda e: e.sort_key)
    assert bodies == [(entry.file, entry.date, entry.sort_key, entry.body) for entry in entries]
    assert [goal.id for goal in goals] == sorted(one.parsed.goal.id for _rel, one in read if one.parsed.goal)


def test_a_whole_build_has_the_page_workers_write_its_data_files_first(vault: Path, tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Made before the render (listed in the marker first), written by the page workers as their first
    tasks, not by this process, alone between the read and the render: the state still notes each one's
    size and time, the report names them, and the build says it made them once, as one process does."""
    vault_with_entries(vault)
    monkeypatch.setattr(goalsite.build, "PARALLEL_FROM", 1)
    out = tmp_path / "site"
    seen: list[tuple[bool, bool, list[str]]] = []
    spread = goalsite.build._render_in_processes

    def render(*args: Any) -> Any:
        made = [name for name, _data in args[5]]
        seen.append(((out / "data" / "goals.json").is_file(), set(made) <= goalsite.output.read_manifest(out), made))
        return spread(*args)

    monkeypatch.setattr(goalsite.build, "_render_in_processes", render)
    result = build(vault, out, TODAY)
    assert seen == [(False, True, ["calendar.ics", "data/goals.json", "data/measurements.csv",
                                   "data/search-2025.js", "data/search-2026.js", "data/search-goals.js"])]
    assert {"data/goals.json", "data/measurements.csv", "calendar.ics"} <= set(result.report.written)
    summary = goalsite.state.load_summary(out)
    assert summary is not None
    assert summary.outputs == goalsite.state.outputs(out, sorted(summary.outputs))
    assert {"data/goals.json", "calendar.ics"} <= set(summary.outputs)
    monkeypatch.setattr(goalsite.build, "PARALLEL_FROM", 10**9)
    one = build(vault, tmp_path / "one", TODAY)
    assert site(out) == site(tmp_path / "one") and sorted(result.rendered) == sorted(one.rendered)


def test_the_page_workers_take_each_months_list_with_its_entries_pages(vault: Path, tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """The workers take the pages in runs, in order: a month's list comes just before its entries' pages, so
    that the worker reading a month's entries for the list mostly renders their pages too (each worker has
    the kernel copy what it reads of the model). Every page is still there, once."""
    vault_with_entries(vault)
    write(vault, "journal/2025/2025-11-30.md", "---\nmood: 4\n---\nA month before.\n")
    monkeypatch.setattr(goalsite.build, "PARALLEL_FROM", 1)
    given: list[list[str]] = []
    spread = goalsite.build._render_in_processes

    def render(out: Path, env: Any, shared: Any, todo: list[goalsite.pages.Page], previous: set[str],
               made: Any) -> Any:
        given.append([page.path for page in todo])
        return spread(out, env, shared, todo, previous, made)

    monkeypatch.setattr(goalsite.build, "_render_in_processes", render)
    result = build(vault, tmp_path / "site", TODAY)
    journal = [path for path in given[0] if path.startswith("journal/") and path != "journal/index.html"]
    assert journal == ["journal/2025-11.html", "journal/2025-11-30.html",
                       "journal/2025-12.html", "journal/2025-12-31.html",
                       "journal/2026-11.html", *(f"journal/2026-11-{day:02d}.html" for day in range(1, 11))]
    pages = {path for path in result.rendered if path.endswith(".html")}
    assert len(given[0]) == len(set(given[0])) and set(given[0]) == pages
    assert given[0][len(given[0]) - len(journal):] == journal  # after the pages that list the whole vault


def test_the_readers_files_are_let_go_once_the_model_is_saved(vault: Path, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """What the readers sent is kept, mapped, only for the saved model: the page workers find that
    memory free, and the next build loads the model."""
    vault_with_entries(vault)
    monkeypatch.setattr(goalsite.build, "PARALLEL_FROM", 1)
    monkeypatch.setattr(goalsite.load, "PARALLEL_FROM", 1)
    goalsite.build._LAST.clear()
    mapped: list[int] = []
    spread = goalsite.build._render_in_processes

    def render(*args: Any) -> Any:
        mapped.append(memory_files("goalsite-work"))
        return spread(*args)

    monkeypatch.setattr(goalsite.build, "_render_in_processes", render)
    out = tmp_path / "site"
    first = build(vault, out, TODAY)
    assert mapped == [0]
    write(vault, "journal/2026/2026-11-03.md", "---\nmood: 2\nnights: 1\n---\nDay 3, again. [[sleep]]\n")
    again = build(vault, out, TODAY)
    assert "journal/2026-11-03.html" in again.rendered and "journal/2026-11-08.html" in first.rendered
    assert "journal/2026-11-08.html" not in again.rendered  # from the saved model: only what the edit touched
    assert site(out) == site(build(vault, tmp_path / "fresh", TODAY, fresh=True).output)
