"""The real watcher on real files, saved the way real editors and sync tools save them.

Each test asserts the site that results (its content), never how many events arrived.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from watchdog.observers import Observer

from conftest import as_in_a_terminal, write
from goalsite.build import Builder, BuildResult
from goalsite.watch import Watcher, _Collector, is_temporary

TODAY = dt.date(2026, 11, 21)
ENTRY = "---\nmood: 6\n---\n{text}\n"


class Live:
    def __init__(self, vault: Path, out: Path, poll: bool) -> None:
        self.builder = Builder(vault, out, TODAY, live=True)
        self.results: list[BuildResult] = []
        self.errors: list[Exception] = []
        self.watcher = Watcher(self.builder, poll, self.results.append, self.errors.append)
        self.out = out

    def page(self, path: str) -> str | None:
        try:
            return (self.out / path).read_text(encoding="utf-8")
        except FileNotFoundError:
            return None

    def wait_for(self, check: Callable[[], bool], seconds: float = 15) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if check():
                return
            time.sleep(0.05)
        raise AssertionError(f"the site did not get there in {seconds} s; errors: {self.errors}")

    def shows(self, path: str, text: str) -> None:
        self.wait_for(lambda: text in (self.page(path) or ""))


@pytest.fixture(params=["native", "polling"])
def live(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Live]:
    vault = tmp_path / "vault"
    for day in range(1, 6):
        write(vault, f"journal/2026-11-0{day}.md", ENTRY.format(text=f"Day {day} original."))
    write(vault, "goals/sleep.md", "---\ntitle: Sleep\n---\n")
    watching = Live(vault, tmp_path / "site", request.param == "polling")
    watching.watcher.start()
    yield watching
    watching.watcher.stop()
    assert watching.errors == []


def test_plain_save(live: Live) -> None:
    (live.builder.root / "journal/2026-11-03.md").write_text(ENTRY.format(text="Plain save."))
    live.shows("journal/2026-11-03.html", "Plain save.")


def test_save_by_rename(live: Live) -> None:  # VS Code, gedit, most "atomic save" editors
    target = live.builder.root / "journal/2026-11-03.md"
    temporary = target.with_name(".2026-11-03.md.tmp")
    temporary.write_text(ENTRY.format(text="Saved by rename."))
    os.replace(temporary, target)
    live.shows("journal/2026-11-03.html", "Saved by rename.")


def test_vim_backup_probe_and_swap_dance(live: Live) -> None:
    folder = live.builder.root / "journal"
    target = folder / "2026-11-03.md"
    (folder / ".2026-11-03.md.swp").write_bytes(b"b0VIM 9.0" + b"\0" * 100)
    probe = folder / "4913"
    probe.write_text("")
    probe.unlink()
    os.rename(target, folder / "2026-11-03.md~")  # for a moment the file does not exist
    time.sleep(0.05)
    target.write_text(ENTRY.format(text="Saved by vim."))
    (folder / "2026-11-03.md~").unlink()
    (folder / ".2026-11-03.md.swp").unlink()
    live.shows("journal/2026-11-03.html", "Saved by vim.")
    assert live.page("journal/2026-11-03.html") is not None
    assert not [p for p in live.out.rglob("*") if "4913" in p.name or p.name.endswith(("~.html", ".swp"))]


def test_emacs_lock_link_and_jetbrains_temporaries(live: Live) -> None:
    folder = live.builder.root / "journal"
    os.symlink("sam@laptop.1234:1700000000", folder / ".#2026-11-04.md")
    target = folder / "2026-11-04.md"
    new = folder / "2026-11-04.md___jb_tmp___"
    new.write_text(ENTRY.format(text="Saved by a JetBrains editor."))
    os.rename(target, folder / "2026-11-04.md___jb_old___")
    os.rename(new, target)
    (folder / "2026-11-04.md___jb_old___").unlink()
    (folder / ".#2026-11-04.md").unlink()
    live.shows("journal/2026-11-04.html", "Saved by a JetBrains editor.")


def test_syncthing_temporary_then_rename(live: Live) -> None:
    folder = live.builder.root / "journal"
    temporary = folder / ".syncthing.2026-11-07.md.tmp"
    temporary.write_text(ENTRY.format(text="Synced from the phone."))
    os.rename(temporary, folder / "2026-11-07.md")
    live.shows("journal/2026-11-07.html", "Synced from the phone.")


def test_a_burst_of_hundreds_of_writes_ends_in_one_correct_site(live: Live) -> None:
    folder = live.builder.root / "journal" / "2025"
    folder.mkdir()
    for day in range(300):
        date = dt.date(2025, 1, 1) + dt.timedelta(days=day)
        (folder / f"{date}.md").write_text(ENTRY.format(text=f"Burst {day}."))
    last = dt.date(2025, 1, 1) + dt.timedelta(days=299)
    live.shows(f"journal/{last}.html", "Burst 299.")
    live.wait_for(lambda: len(list((live.out / "journal").glob("2025-*-*.html"))) == 300)
    assert len(live.results) < 60  # bursts are gathered, not one build per write


def test_deleted_and_renamed_files_and_folders(live: Live) -> None:
    root = live.builder.root
    (root / "journal/2026-11-02.md").unlink()
    os.rename(root / "journal/2026-11-05.md", root / "journal/2026-11-15.md")
    live.wait_for(lambda: live.page("journal/2026-11-02.html") is None and live.page("journal/2026-11-05.html") is None)
    live.shows("journal/2026-11-15.html", "Day 5 original.")
    write(root, "journal/old/2026-10-01.md", ENTRY.format(text="In a folder."))
    live.shows("journal/2026-10-01.html", "In a folder.")
    os.rename(root / "journal/old", root / "journal/archive")
    time.sleep(0.3)
    live.shows("journal/2026-10-01.html", "In a folder.")
    shutil.rmtree(root / "journal/archive")
    live.wait_for(lambda: live.page("journal/2026-10-01.html") is None)
    assert live.page("index.html") is not None


def test_a_file_truncated_then_rewritten(live: Live) -> None:
    target = live.builder.root / "journal/2026-11-01.md"
    with open(target, "w") as handle:
        handle.flush()
        os.fsync(handle.fileno())
        time.sleep(0.05)
        handle.write(ENTRY.format(text="Rewritten after truncating."))
    live.shows("journal/2026-11-01.html", "Rewritten after truncating.")


def test_a_broken_file_keeps_the_others_and_its_fix_shows(live: Live) -> None:
    target = live.builder.root / "journal/2026-11-03.md"
    target.write_text("---\nmood: [6\n---\nBroken.\n")
    live.wait_for(lambda: "2026-11-03.md" in (live.page("problems.html") or ""))
    assert "Day 3 original." in (live.page("journal/2026-11-03.html") or "")  # the last good version stays
    assert "Day 4 original." in (live.page("journal/2026-11-04.html") or "")
    target.write_text(ENTRY.format(text="Fixed."))
    live.shows("journal/2026-11-03.html", "Fixed.")
    live.wait_for(lambda: "2026-11-03.md" not in (live.page("problems.html") or ""))


def test_the_vault_vanishing_and_coming_back(live: Live, tmp_path: Path) -> None:
    root = live.builder.root
    away = tmp_path / "away"
    os.rename(root, away)
    time.sleep(1.0)
    assert live.page("journal/2026-11-01.html") is not None  # never pruned to empty while it is gone
    (away / "journal/2026-11-01.md").write_text(ENTRY.format(text="Edited while away."))
    os.rename(away, root)
    live.shows("journal/2026-11-01.html", "Edited while away.")
    (root / "journal/2026-11-02.md").write_text(ENTRY.format(text="Watched again."))
    live.shows("journal/2026-11-02.html", "Watched again.")


def test_dot_folders_never_cause_a_build(tmp_path: Path) -> None:
    vault = tmp_path / "vault"
    write(vault, "journal/2026-11-01.md", ENTRY.format(text="x"))
    watching = Live(vault, tmp_path / "site", poll=False)
    watching.watcher.start()
    try:
        time.sleep(0.3)
        builds = watching.watcher.builds
        for number in range(20):  # Obsidian rewrites this on almost every click
            write(vault, ".obsidian/workspace.json", f'{{"n": {number}}}')
        time.sleep(0.5)
        assert watching.watcher.builds == builds
    finally:
        watching.watcher.stop()


def test_a_file_closed_after_writing_settles_the_burst(tmp_path: Path) -> None:
    """The short quiet spell: a writer that closed its file is done with it; one still writing is not."""
    vault = tmp_path / "vault"
    path = write(vault, "journal/2026-11-01.md", ENTRY.format(text="x"))
    watcher = Watcher(Builder(vault, tmp_path / "site", TODAY, live=True))  # not started: nothing takes the burst
    observer = Observer()
    observer.schedule(_Collector(vault, None, watcher.hint), str(vault), recursive=True)
    observer.start()
    try:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write("more\n")
            handle.flush()
            deadline = time.monotonic() + 5
            while path not in watcher.unsettled and time.monotonic() < deadline:
                time.sleep(0.01)
            assert watcher.unsettled == {path}  # modified, still open
        deadline = time.monotonic() + 5
        while watcher.unsettled and time.monotonic() < deadline:
            time.sleep(0.01)
        assert watcher.unsettled == set() and watcher.pending == {path}
    finally:
        observer.stop()
        observer.join()


@pytest.mark.parametrize("name", ["4913", ".x.md.swp", "x.md~", "#x.md#", ".#x.md", "x.md___jb_tmp___",
                                  ".goutputstream-ABC", ".~lock.x.md#", ".syncthing.x.md.tmp", ".DS_Store",
                                  "Thumbs.db", "x.md.crdownload", "x.md.part"])
def test_temporary_names(name: str) -> None:
    assert is_temporary(name)


def test_real_names_are_not_temporary() -> None:
    assert not any(is_temporary(name) for name in ("2026-11-21.md", "sleep.md", "notes.yaml", "4914.md"))


@pytest.mark.parametrize("signal_name", ["SIGINT", "SIGTERM", "SIGHUP"])
def test_ctrl_c_stops_cleanly(tmp_path: Path, signal_name: str) -> None:
    """Ctrl-C, a `kill` or a service manager's stop (SIGTERM), a closed terminal (SIGHUP): all the same stop."""
    vault = tmp_path / "vault"
    write(vault, "journal/2026-11-01.md", ENTRY.format(text="x"))
    process = subprocess.Popen([sys.executable, "-m", "goalsite", "watch", str(vault), "-o", str(tmp_path / "site")],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=as_in_a_terminal)
    deadline = time.monotonic() + 20
    while not (tmp_path / "site" / "index.html").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    process.send_signal(getattr(signal, signal_name))
    out, err = process.communicate(timeout=10)  # how fast: benchmarks/live.py reports it, tests do not time
    assert process.returncode == 0, err
    assert "Stopped." in out and "Traceback" not in err
    assert not [p for p in (tmp_path / "site").rglob("*") if ".goalsite-tmp-" in p.name]
