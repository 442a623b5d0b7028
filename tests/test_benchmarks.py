"""The benchmarks' own helpers: the vaults they time are the same every time, the probe that makes
them wait out a recent deletion measures what it says, and so do the figures of what the machine did
meanwhile (CI runs the scripts themselves as a smoke test)."""

from __future__ import annotations

import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

import host  # noqa: E402
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
    made = sorted(int(path.name) for path in folder.rglob("*") if path.is_file())
    # Every stretch whole; all of them unless one was slow (files were deleted here just before).
    assert made == list(range(len(made))) and len(made) % settle.STRETCH == 0
    assert len(made) == settle.PROBE_FILES or micro > settle.SLOW
    # Every other stretch in a folder of its own, the first in the probe's folder itself.
    stretches = len(made) // settle.STRETCH
    own = sorted(path for path in folder.iterdir() if path.is_dir())
    assert len(own) == stretches // 2 and all(path.name.startswith("stretch-") for path in own)
    assert [len(list(path.iterdir())) for path in own] == [settle.STRETCH] * len(own)
    first = sorted(int(path.name) for path in folder.iterdir() if path.is_file())[:settle.STRETCH]
    assert first == list(range(settle.STRETCH))
    assert 0 < micro < 1e6  # (a second a file would be no file system at all)


def test_settling_without_waiting_probes_once_and_says_how_quick_creating_a_file_was(tmp_path: Path) -> None:
    said: list[str] = []
    figure = settle.settle(tmp_path, 0, said.append)
    assert len(list(tmp_path.iterdir())) == 1  # one probe: no waiting allowed
    state = "slow: the figures below are skewed" if figure > settle.SLOW else "as usual"
    assert said == [f"creating a file: {figure:.0f} µs ({state})"]


def test_new_memory_touched_shows_in_the_pages_the_machine_handed_out() -> None:
    before = host.allocated()
    assert before is not None and before > 0
    touched = bytearray(64 * 2**20)  # zeroed by the kernel page by page, as it is first written
    for offset in range(0, len(touched), 4096):
        touched[offset] = 1
    after = host.allocated()
    assert after is not None and after - before >= 64


def test_what_a_new_page_costs_is_timed_on_as_many_new_pages_as_asked() -> None:
    before = host.allocated()
    cost = host.page_cost(32)
    after = host.allocated()
    assert before is not None and after is not None and after - before >= 32  # every page was new
    assert cost is not None and 0 < cost < 10_000  # microseconds, not seconds or nanoseconds


def test_stolen_time_is_seconds_that_only_grow_and_an_unknown_figure_is_minus_one() -> None:
    first = host.stolen()
    assert first is not None and first >= 0
    second = host.stolen()
    assert second is not None and second >= first
    assert host.since(first, second) == second - first
    assert host.since(None, second) == -1 and host.since(first, None) == -1
