"""The benchmarks' own helpers: the vaults they time are the same every time, and the probe that makes
them wait out a recent deletion measures what it says (CI runs the scripts themselves as a smoke test)."""

from __future__ import annotations

import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

import settle  # noqa: E402
from generate_vault import generate  # noqa: E402


def _files(folder: Path) -> dict[str, bytes]:
    return {path.relative_to(folder).as_posix(): path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()}


def test_a_generated_vault_is_the_same_bytes_every_time(tmp_path: Path) -> None:
    generate(40, tmp_path / "one")
    generate(40, tmp_path / "two")
    one = _files(tmp_path / "one")
    assert one == _files(tmp_path / "two")
    assert len([name for name in one if name.startswith("journal/")]) == 40
    assert len([name for name in one if name.startswith("goals/")]) == 30


def test_the_probe_creates_its_files_in_a_folder_of_its_own_and_leaves_them(tmp_path: Path) -> None:
    micro = settle.creation_time(tmp_path)
    (folder,) = tmp_path.iterdir()
    assert folder.name.startswith("probe-")
    made = sorted(int(path.name) for path in folder.iterdir())
    # Every stretch whole; all of them unless one was slow (files were deleted here just before).
    assert made == list(range(len(made))) and len(made) % settle.STRETCH == 0
    assert len(made) == settle.PROBE_FILES or micro > settle.SLOW
    assert 0 < micro < 1e6  # (a second a file would be no file system at all)


def test_settling_without_waiting_probes_once_and_says_how_quick_creating_a_file_was(tmp_path: Path) -> None:
    said: list[str] = []
    figure = settle.settle(tmp_path, 0, said.append)
    assert len(list(tmp_path.iterdir())) == 1  # one probe: no waiting allowed
    state = "slow: the figures below are skewed" if figure > settle.SLOW else "as usual"
    assert said == [f"creating a file: {figure:.0f} µs ({state})"]
