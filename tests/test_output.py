"""The output folder: refuse what is not ours, write atomically, rewrite nothing unchanged, prune only our files."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import GOOD_GOAL, TODAY, snapshot, write
from goalsite.build import build
from goalsite.errors import UsageError
from goalsite.output import MARKER, read_manifest, write_if_changed, write_site
from goalsite.state import MODEL, STATE


def small_vault(vault: Path) -> Path:
    write(vault, "goals/sleep.md", GOOD_GOAL)
    write(vault, "journal/2026-11-20.md", "---\nmood: 6\nnights: 2\n---\n[[sleep]]\n")
    return vault


def test_build_writes_the_site_with_its_marker(vault: Path, tmp_path: Path) -> None:
    small_vault(vault)
    result = build(vault, tmp_path / "site", TODAY)
    assert sorted(result.report.written) == [
        "assessments.html", "assets/goalsite.css", "assets/goalsite.js", "calendar.ics", "data/goals.json",
        "data/measurements.csv", "data/search-2026.js", "data/search-goals.js", "goals/index.html",
        "goals/sleep.html", "index.html", "journal/2026-11-20.html", "journal/2026-11.html", "journal/index.html",
        "problems.html", "review.html", "search.html", "timeline.html", "timeline/2026.html",
        "timeline/goal-sleep.html", "wins.html"]
    assert read_manifest(tmp_path / "site") == set(result.report.written)


def test_default_output_is_beside_the_vault(vault: Path) -> None:
    small_vault(vault)
    result = build(vault, None, TODAY)
    assert result.output == vault.parent / "vault-site"


def test_a_second_build_rewrites_nothing_and_the_vault_is_untouched(vault: Path, tmp_path: Path) -> None:
    small_vault(vault)
    before = snapshot(vault)
    build(vault, tmp_path / "site", TODAY)
    site = snapshot(tmp_path / "site")
    time.sleep(0.01)
    second = build(vault, tmp_path / "site", TODAY)
    assert second.report.written == () and second.report.removed == ()
    assert snapshot(tmp_path / "site") == site  # same bytes and same modification times
    assert snapshot(vault) == before


def test_refuses_a_folder_it_did_not_make_and_touches_nothing(vault: Path, tmp_path: Path) -> None:
    small_vault(vault)
    other = tmp_path / "photos"
    write(other, "holiday.jpg", b"jpeg")
    before = snapshot(other)
    with pytest.raises(UsageError, match="already has files that goalsite did not make"):
        build(vault, other, TODAY)
    assert snapshot(other) == before


@pytest.mark.parametrize("where", [".", "site", "journal/site"])
def test_refuses_to_write_into_the_vault(vault: Path, where: str) -> None:
    small_vault(vault)
    before = snapshot(vault)
    with pytest.raises(UsageError, match="vault"):
        build(vault, vault / where, TODAY)
    assert snapshot(vault) == before


def test_a_dot_folder_inside_the_vault_is_allowed_and_never_read(vault: Path) -> None:
    small_vault(vault)
    result = build(vault, vault / ".site", TODAY)
    assert (vault / ".site" / "index.html").is_file()
    assert len(result.vault.entries) == 1


def test_refuses_when_the_vault_is_inside_the_output(vault: Path, tmp_path: Path) -> None:
    small_vault(vault)
    with pytest.raises(UsageError, match="inside the output folder"):
        build(vault, tmp_path, TODAY)


def test_a_link_to_the_vault_is_still_the_vault(vault: Path, tmp_path: Path) -> None:
    small_vault(vault)
    os.symlink(vault, tmp_path / "sneaky")
    before = snapshot(vault)
    with pytest.raises(UsageError, match="the vault itself"):
        build(vault, tmp_path / "sneaky", TODAY)
    assert snapshot(vault) == before


def test_refuses_a_file_as_output(vault: Path, tmp_path: Path) -> None:
    small_vault(vault)
    write(tmp_path, "notes.txt", "mine")
    with pytest.raises(UsageError, match="is not a folder"):
        build(vault, tmp_path / "notes.txt", TODAY)


def test_stale_pages_are_pruned_but_not_other_files(tmp_path: Path) -> None:
    out = tmp_path / "site"
    write_site(out, {"index.html": b"a", "journal/2026-11-01.html": b"private", "journal/2026-11-02.html": b"b"})
    write(out, "journal/my-own-note.txt", "the user put this here")
    report = write_site(out, {"index.html": b"a", "journal/2026-11-02.html": b"b"})
    assert report.removed == ("journal/2026-11-01.html",)
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == [
        MARKER, "index.html", "journal/2026-11-02.html", "journal/my-own-note.txt"]


def test_empty_folders_left_by_pruning_go_too(tmp_path: Path) -> None:
    out = tmp_path / "site"
    write_site(out, {"index.html": b"a", "goals/old.html": b"x"})
    write_site(out, {"index.html": b"a"})
    assert not (out / "goals").exists()


def test_paths_outside_the_output_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="outside"):
        write_site(tmp_path / "site", {"../escape.html": b"x"})
    assert not (tmp_path / "escape.html").exists()


def test_a_tampered_manifest_never_removes_files_outside(tmp_path: Path) -> None:
    out = tmp_path / "site"
    write_site(out, {"index.html": b"a"})
    write(tmp_path, "precious.md", "keep me")
    (out / MARKER).write_text('{"files": ["../precious.md", "/etc/hostname", "index.html"]}')
    write_site(out, {"index.html": b"a"})
    assert (tmp_path / "precious.md").read_text() == "keep me"


# Killed with the fifth page's temporary file fully written but not yet renamed into place.
KILLER = """
import os, signal, sys
from pathlib import Path
from goalsite import output
real = os.replace
count = 0
def replace(source, target):
    global count
    count += 1
    if count == 5:
        os.kill(os.getpid(), signal.SIGKILL)
    return real(source, target)
os.replace = replace
output.write_site(Path(sys.argv[1]), {f"page{i}.html": b"new " * 1000 for i in range(10)})
"""


def test_a_killed_build_leaves_every_file_whole(tmp_path: Path) -> None:
    out = tmp_path / "site"
    write_site(out, {f"page{i}.html": b"old" for i in range(10)})
    process = subprocess.run([sys.executable, "-c", KILLER, str(out)], check=False)
    assert process.returncode == -signal.SIGKILL
    contents = [(out / f"page{i}.html").read_bytes() for i in range(10)]
    assert contents == [b"new " * 1000] * 4 + [b"old"] * 6  # whole pages only: never half of either
    leftovers = [p.name for p in out.iterdir() if ".goalsite-tmp-" in p.name]
    assert [name.split(".goalsite-tmp-")[0] for name in leftovers] == [".page4.html"]
    report = write_site(out, {f"page{i}.html": b"new " * 1000 for i in range(10)})
    assert report.removed == ()
    assert not [p for p in out.iterdir() if ".goalsite-tmp-" in p.name]


def test_leftover_temporaries_go_from_every_folder_written_and_only_they(tmp_path: Path) -> None:
    out = tmp_path / "site"
    files = {"index.html": b"home", "journal/a.html": b"a", "journal/deep/b.html": b"b"}
    write_site(out, files)
    leftovers = [out / ".index.html.goalsite-tmp-99", out / "journal" / ".a.html.goalsite-tmp-99",
                 out / "journal" / "deep" / ".b.html.goalsite-tmp-7"]
    for path in leftovers:
        path.write_bytes(b"half")
    (out / "journal" / ".kept").write_bytes(b"not ours")
    write_site(out, files)
    assert not [path for path in leftovers if path.exists()]
    assert (out / "journal" / ".kept").read_bytes() == b"not ours"


# Killed with the fifth new page fully written as an unnamed file, before it was linked into its folder.
LINK_KILLER = """
import os, signal, sys
from pathlib import Path
from goalsite import output
real = os.link
count = 0
def link(*args, **kwargs):
    global count
    count += 1
    if count == 5:
        os.kill(os.getpid(), signal.SIGKILL)
    return real(*args, **kwargs)
os.link = link
for i in range(10):
    output.write_if_changed(Path(sys.argv[1]) / f"page{i}.html", b"new " * 1000, new=True)
"""


@pytest.mark.skipif(not hasattr(os, "O_TMPFILE"), reason="new files are linked in whole only where O_TMPFILE is")
def test_a_killed_first_build_leaves_whole_pages_and_nothing_else(tmp_path: Path) -> None:
    out = tmp_path / "site"
    out.mkdir()
    process = subprocess.run([sys.executable, "-c", LINK_KILLER, str(out)], check=False)
    assert process.returncode == -signal.SIGKILL
    assert sorted(p.name for p in out.iterdir()) == [f"page{i}.html" for i in range(4)]  # no temporary file
    assert {(out / f"page{i}.html").read_bytes() for i in range(4)} == {b"new " * 1000}


def test_where_new_files_cannot_be_linked_in_they_are_renamed_into_place(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """No /proc, or a file system without unnamed files: the temporary file and rename, every time."""
    from goalsite import output

    monkeypatch.setitem(output._PROC_FDS, os.getpid(), None)
    renamed: list[str] = []
    real = os.replace
    monkeypatch.setattr(os, "replace", lambda source, target: renamed.append(Path(target).name) or real(source, target))
    out = tmp_path / "site"
    out.mkdir()
    assert write_if_changed(out / "a.html", b"first", new=True)
    assert write_if_changed(out / "b.html", b"second", new=True)
    assert renamed == ["a.html", "b.html"]
    assert [(p.name, p.read_bytes()) for p in sorted(out.iterdir())] == [("a.html", b"first"), ("b.html", b"second")]


@pytest.mark.skipif(not hasattr(os, "O_TMPFILE"), reason="new files are linked in whole only where O_TMPFILE is")
def test_a_refused_link_is_not_tried_again_and_the_page_is_still_written(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Linking an unnamed file in may be refused (a security module, say): that page is written the
    other way, and so is every later one, rather than each being written twice."""
    import errno

    from goalsite import output

    monkeypatch.delitem(output._PROC_FDS, os.getpid(), raising=False)  # this process starts afresh
    links: list[str] = []

    def refuse(source: str, target: object, **kwargs: object) -> None:
        links.append(Path(str(target)).name)
        raise PermissionError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "link", refuse)
    out = tmp_path / "site"
    out.mkdir()
    assert write_if_changed(out / "a.html", b"first", new=True)
    assert write_if_changed(out / "b.html", b"second", new=True)
    assert links == ["a.html"]
    assert [(p.name, p.read_bytes()) for p in sorted(out.iterdir())] == [("a.html", b"first"), ("b.html", b"second")]
    monkeypatch.delitem(output._PROC_FDS, os.getpid())  # later tests link again


def test_a_new_file_is_written_whole_where_it_belongs(tmp_path: Path) -> None:
    out = tmp_path / "site"
    out.mkdir()
    assert write_if_changed(out / "a.html", b"first", new=True)
    assert write_if_changed(out / "deeper" / "b.html", b"in a new folder", new=True)
    # Said to be new but there after all (another build wrote it): replaced, never left as it was.
    assert write_if_changed(out / "a.html", b"second", new=True)
    assert (out / "a.html").read_bytes() == b"second"
    assert (out / "deeper" / "b.html").read_bytes() == b"in a new folder"
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*")) == ["a.html", "deeper", "deeper/b.html"]
    mode = (out / "a.html").stat().st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    assert mode == 0o666 & ~umask  # as any file the person makes, not the 0o600 of a temporary file


def test_build_output_is_deterministic(vault: Path, tmp_path: Path) -> None:
    small_vault(vault)
    build(vault, tmp_path / "one", dt.date(2026, 11, 21))
    build(vault, tmp_path / "two", dt.date(2026, 11, 21))
    one, two = snapshot(tmp_path / "one"), snapshot(tmp_path / "two")
    del one[STATE], two[STATE], one[MODEL], two[MODEL]  # they record each written file's time
    assert {k: v[0] for k, v in one.items()} == {k: v[0] for k, v in two.items()}


def test_an_empty_vault_builds_every_page(vault: Path, tmp_path: Path) -> None:
    result = build(vault, tmp_path / "site", TODAY)
    assert len(result.report.written) == 15  # 9 fixed pages, 2 assets, calendar, goals' search index, 2 data files
    index = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    assert "No active goals yet." in index


def test_a_vault_theme_overrides_a_static_file(vault: Path, tmp_path: Path) -> None:
    small_vault(vault)
    write(vault, "theme/static/goalsite.css", "body { color: rebeccapurple; }\n")
    write(vault, "theme/static/extra.css", "p { margin: 0; }\n")
    build(vault, tmp_path / "site", TODAY)
    assert (tmp_path / "site/assets/goalsite.css").read_text() == "body { color: rebeccapurple; }\n"
    assert (tmp_path / "site/assets/extra.css").is_file() and (tmp_path / "site/assets/goalsite.js").is_file()


def test_item_nine_above_zero_shows_a_calm_note_with_the_persons_contacts(vault: Path, tmp_path: Path) -> None:
    write(vault, "goalsite.yaml", "crisis: ['Dr. Lee: 030 1234', 'Emergency: 112']\n")
    write(vault, "journal/2026-11-20.md", "---\nphq9: [1, 1, 1, 1, 1, 1, 1, 1, 1]\n---\n")
    build(vault, tmp_path / "site", TODAY)
    for page in ("index.html", "assessments.html", "review.html"):
        html = (tmp_path / "site" / page).read_text(encoding="utf-8")
        assert "Please talk to someone about this now" in html, page
        assert "<li>Dr. Lee: 030 1234</li>" in html and "<li>Emergency: 112</li>" in html
    assert "Please talk to someone" not in (tmp_path / "site" / "wins.html").read_text(encoding="utf-8")
    write(vault, "journal/2026-11-21.md", "---\nphq9: [1, 1, 1, 1, 1, 1, 1, 1, 0]\n---\n")
    build(vault, tmp_path / "site", TODAY)
    assert "Please talk to someone" not in (tmp_path / "site" / "index.html").read_text(encoding="utf-8")


def test_a_page_may_be_named_by_text_as_workers_name_thousands(tmp_path: Path) -> None:
    """Render workers give each page's path as text; a new page and a page written again are written the same."""
    out = tmp_path / "site"
    (out / "journal").mkdir(parents=True)
    page = f"{out}/journal/a.html"
    assert write_if_changed(page, b"first", new=True)
    assert not write_if_changed(page, b"first")  # the same bytes: left alone
    assert write_if_changed(page, b"second")
    assert write_if_changed(f"{out}/new-folder/b.html", b"made", new=True)
    assert (out / "journal" / "a.html").read_bytes() == b"second" and (out / "new-folder" / "b.html").read_bytes() == b"made"
    assert sorted(path.name for path in out.rglob("*")) == ["a.html", "b.html", "journal", "new-folder"]
