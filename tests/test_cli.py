"""The installed `goalsite` command, run for real: words, exit codes, files."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import GOOD_GOAL, snapshot, write

COMMAND = shutil.which("goalsite", path=str(Path(sys.executable).parent)) or shutil.which("goalsite")


def run(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    assert COMMAND, "the goalsite command is not installed"
    env = {**os.environ, "NO_COLOR": "1"}
    return subprocess.run([COMMAND, *map(str, args)], capture_output=True, text=True, cwd=cwd, env=env,
                          check=False, timeout=120)


def test_version_and_help() -> None:
    assert run("--version").stdout.startswith("goalsite, version ")
    help_text = run("--help").stdout
    for command in ("check", "build", "init", "new"):
        assert command in help_text


def test_python_dash_m_runs_too() -> None:
    result = subprocess.run([sys.executable, "-m", "goalsite", "--version"], capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0 and "goalsite, version" in result.stdout


def test_check_clean_vault(vault: Path) -> None:
    write(vault, "goals/sleep.md", GOOD_GOAL)
    write(vault, "journal/2026-11-20.md", "---\nnights: 2\n---\n")
    result = run("check", vault, "--today", "2026-11-21")
    assert (result.returncode, result.stdout, result.stderr) == (0, "No problems in 2 files.\n", "")


def test_check_text_lines_and_exit_codes(vault: Path) -> None:
    write(vault, "goals/sleep.md", GOOD_GOAL.replace("specific: In bed by 23:00 and up by 07:00 on weeknights.\n", ""))
    result = run("check", vault, "--today", "2026-11-21")
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        "goals/sleep.md:2:1: error specific-missing Not specific yet: say what you will do.",
        "    Add `specific:` with what, when and where, like “In bed by 23:00 on weeknights”.",
        "goals/sleep.md:4:13: warning measurable-no-data No measurements of `nights` yet.",
        "    Add `nights: …` to a journal entry, or a `log:` row to the goal.",
        "1 error, 1 warning in 1 file.",
    ]


def test_strict_turns_warnings_into_exit_1(vault: Path) -> None:
    write(vault, "goals/sleep.md", GOOD_GOAL)
    assert run("check", vault, "--today", "2026-11-21").returncode == 0
    assert run("check", vault, "--today", "2026-11-21", "--strict").returncode == 1


def test_check_json(vault: Path) -> None:
    write(vault, "goals/sleep.md", GOOD_GOAL)
    write(vault, "journal/2026-11-20.md", "---\nmood: 6\nmood: 7\n---\n")
    result = run("check", vault, "--format", "json", "--today", "2026-11-21")
    data = json.loads(result.stdout)
    assert data["counts"] == {"error": 1, "warning": 1, "info": 0}
    assert data["problems"] == [
        {"file": "goals/sleep.md", "line": 5, "column": 13, "severity": "warning", "code": "measurable-no-data",
         "letter": "M", "message": "No measurements of `nights` yet.",
         "hint": "Add `nights: …` to a journal entry, or a `log:` row to the goal."},
        {"file": "journal/2026-11-20.md", "line": 3, "column": 1, "severity": "error", "code": "yaml-duplicate-key",
         "letter": None, "message": "`mood` is set twice (first on line 2); goalsite used the first one.",
         "hint": "Keep one `mood:` line and delete the other."},
    ]


@pytest.mark.parametrize("args", [("check", "/no/such/vault"), ("build", "/no/such/vault"),
                                  ("check", ".", "--today", "2026-02-30"), ("check", ".", "--format", "xml")])
def test_bad_usage_is_exit_2_with_one_clear_line_and_no_traceback(args: tuple[str, ...], tmp_path: Path) -> None:
    result = run(*args, cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and result.stderr.strip()


@pytest.mark.parametrize(("day", "said"), [("9999-12-31", "9999-12-31 is outside the years goalsite reads, 1900 to 2199."),
                                           ("20261121", "“20261121” is not a date; write it as YYYY-MM-DD.")])
def test_today_must_be_a_day_goalsite_reads(day: str, said: str, tmp_path: Path) -> None:
    result = run("check", ".", "--today", day, cwd=tmp_path)
    assert result.returncode == 2
    assert said in result.stderr and "Traceback" not in result.stderr


def test_build_end_to_end(vault: Path, tmp_path: Path) -> None:
    write(vault, "goals/sleep.md", GOOD_GOAL)
    write(vault, "journal/2026-11-20.md", "---\nnights: 2\nmood: 11\n---\n")
    before = snapshot(vault)
    result = run("build", vault, "-o", tmp_path / "site", "--today", "2026-11-21")
    assert result.returncode == 0, result.stderr
    assert "Built the dashboard of 1 goal and 1 entry into" in result.stdout
    assert "(21 files written, 0 unchanged)" in result.stdout
    assert "mood-out-of-range" in result.stderr
    data = json.loads((tmp_path / "site" / "data" / "goals.json").read_text())
    assert (data["today"], data["goals"][0]["id"], data["problems"]) == (
        "2026-11-21", "sleep", {"error": 0, "warning": 1, "info": 0})
    assert (tmp_path / "site" / "data" / "measurements.csv").read_text().splitlines() == [
        "goal,field,date,value,unit,file,line", "sleep,nights,2026-11-20,2,,journal/2026-11-20.md,2"]
    again = run("build", vault, "-o", tmp_path / "site", "--today", "2026-11-21")
    assert "(0 files written, 21 unchanged)" in again.stdout
    assert run("build", vault, "-o", tmp_path / "site", "--today", "2026-11-21", "--strict").returncode == 1
    assert snapshot(vault) == before


def test_build_refuses_a_foreign_folder(vault: Path, tmp_path: Path) -> None:
    write(vault, "goals/sleep.md", GOOD_GOAL)
    write(tmp_path, "documents/taxes.pdf", b"%PDF")
    result = run("build", vault, "-o", tmp_path / "documents")
    assert result.returncode == 2
    assert result.stderr.startswith("goalsite: ") and "did not make" in result.stderr
    assert sorted(p.name for p in (tmp_path / "documents").iterdir()) == ["taxes.pdf"]


def test_a_broken_theme_template_is_a_clear_message(vault: Path, tmp_path: Path) -> None:
    write(vault, "goals/sleep.md", GOOD_GOAL)
    write(vault, "theme/templates/index.html", "{% extends 'base.html' %}{% block main %}{{ nope }{% endblock %}")
    result = run("build", vault, "-o", tmp_path / "site")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "The theme has a problem" in result.stderr and "index.html:1" in result.stderr


def test_a_theme_folder_in_the_vault_overrides_a_template(vault: Path, tmp_path: Path) -> None:
    write(vault, "goals/sleep.md", GOOD_GOAL)
    write(vault, "theme/templates/index.html", "{% extends 'base.html' %}{% block main %}Mine{% endblock %}")
    assert run("build", vault, "-o", tmp_path / "site").returncode == 0
    assert "<main id=\"main\">\nMine</main>" in (tmp_path / "site" / "index.html").read_text()


def test_init_new_goal_and_new_entry(tmp_path: Path) -> None:
    folder = tmp_path / "my-goals"
    result = run("init", folder)
    assert result.returncode == 0, result.stderr
    assert (folder / "START HERE.md").is_file() and (folder / "goals").is_dir()
    assert run("init", folder).returncode == 2  # never overwrites

    made = run("new", "goal", "Call my sister every Sunday", "--vault", folder, "--today", "2026-11-21")
    path = Path(made.stdout.strip())
    assert path == folder / "goals" / "call-my-sister-every-sunday.md"
    assert "title: \"Call my sister every Sunday\"" in path.read_text()
    second = Path(run("new", "goal", "Call my sister every Sunday", "--vault", folder).stdout.strip())
    assert second.name == "call-my-sister-every-sunday-2.md"

    entry = Path(run("new", "entry", "--date", "2026-11-23", "--vault", folder).stdout.strip())
    assert entry == folder / "journal" / "2026" / "2026-11-23.md"
    assert entry.read_text().startswith("---\ndate: 2026-11-23\n")
    assert Path(run("new", "entry", "--date", "2026-11-23", "--vault", folder).stdout.strip()).name == "2026-11-23-2.md"

    checked = json.loads(run("check", folder, "--format", "json").stdout)
    new_goal = {p["code"] for p in checked["problems"] if p["file"] == "goals/call-my-sister-every-sunday.md"}
    assert new_goal == {"specific-missing", "measurable-incomplete", "achievable-missing", "relevant-missing",
                        "too-many-active"}  # the example already has three active goals
    assert not [p for p in checked["problems"] if p["file"].startswith("journal/2026/2026-11-23")
                and p["severity"] == "error"]


def test_the_example_vault_has_no_errors() -> None:
    example = Path(__file__).resolve().parent.parent / "example_vault"
    result = run("check", example, "--format", "json", "--today", "2026-11-21")
    data = json.loads(result.stdout)
    assert data["counts"]["error"] == 0, data["problems"]
    assert result.returncode == 0


def test_a_goal_with_no_start_and_nothing_measured_builds(vault: Path, tmp_path: Path) -> None:
    """No `start:` or `created:`, no entry that mentions it, no number yet: a chart with nothing on it
    (this once stopped the build: the lowest of no values)."""
    write(vault, "goals/sleep.md", GOOD_GOAL.replace("created: 2026-09-01\n", ""))
    write(vault, "journal/2026-11-20.md", "---\nmood: 6\n---\nA day.\n")
    result = run("build", vault, "-o", tmp_path / "site", "--today", "2026-11-21")
    assert result.returncode == 0, result.stderr
    assert "No measurements yet." in (tmp_path / "site" / "goals" / "sleep.html").read_text()


def test_output_read_by_something_that_stops_reading_ends_quietly(tmp_path: Path) -> None:
    """`goalsite build | head -1`: what reads the output went away, and the build was done; no message
    saying something went wrong (nor that the files were not changed, which is not so)."""
    assert COMMAND
    read, written = os.pipe()
    os.close(read)  # nothing will read: the first line written fails
    try:
        example = Path(__file__).resolve().parent.parent / "example_vault"
        result = subprocess.run([COMMAND, "build", example, "-o", tmp_path / "site", "--today", "2026-11-21"],
                                stdout=written, stderr=subprocess.PIPE, text=True, timeout=120, check=False)
    finally:
        os.close(written)
    assert (result.returncode, result.stderr) == (1, "")
    assert (tmp_path / "site" / "index.html").is_file()
