"""When each stage of one cold build starts and ends, with the CPU and page faults spent so far: where
the build waits on one core, and which of the two halves between the read and the render (this
process, or the early Markdown worker) finishes last. For looking at the build, not for comparing.

    python3 benchmarks/phases.py                           # the 10,000-entry vault, into a new folder
    python3 benchmarks/phases.py --entries 1000

Each line: seconds since the command started, the stage, then this process's CPU (user + system),
its children's (readers, early worker, page workers: counted once each has ended), its minor page
faults, its resident memory, and the memory pages the machine has handed out since this command
started (to every process, and to the files written), in MiB. `early piece` lines come from the early Markdown worker.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from generate_vault import generate  # noqa: E402
from host import allocated  # noqa: E402

TODAY = "2026-11-21"


def _since_start() -> float:
    """Seconds since this process started (Linux's /proc), so that imports count."""
    with open("/proc/self/stat", encoding="ascii") as stat:
        ticks = int(stat.read().split(")")[1].split()[19])
    with open("/proc/uptime", encoding="ascii") as uptime:
        up = float(uptime.read().split()[0])
    return up - ticks / os.sysconf("SC_CLK_TCK")


START = time.perf_counter() - _since_start()


ALLOCATED = allocated() or 0


def say(what: str) -> None:
    times, usage = os.times(), resource.getrusage(resource.RUSAGE_SELF)
    with open("/proc/self/statm", encoding="ascii") as statm:
        resident = int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 2**20
    print(f"{time.perf_counter() - START:6.2f} s  {what:<26} self {times.user:5.2f}+{times.system:4.2f}  "
          f"children {times.children_user:5.2f}+{times.children_system:4.2f}  faults {usage.ru_minflt:6}  "
          f"{resident:4} MiB  new pages {(allocated() or 0) - ALLOCATED:5} MiB", file=sys.stderr, flush=True)


def watch(owner: Any, name: str) -> None:
    """`owner.name` says when it starts and ends."""
    inner = getattr(owner, name)

    def watched(*args: Any, **kwargs: Any) -> Any:
        say(f"> {name}")
        try:
            return inner(*args, **kwargs)
        finally:
            say(f"< {name}")

    setattr(owner, name, watched)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--vaults", type=Path, default=HERE / "vaults", help="where generated vaults are kept")
    args = parser.parse_args()
    vault = args.vaults / str(args.entries)
    if not (vault / "goals").is_dir():
        generate(args.entries, vault)
    say("started")
    from goalsite import build, cli, load, state

    say("imported")
    for name in ("assemble", "analyse", "_render_in_processes", "write_site"):
        watch(build, name)
    for name in ("_prepare_theme", "_plan", "_data_files", "_save"):
        watch(build.Builder, name)
    watch(load, "discover")
    watch(load, "_read_in_processes")
    watch(state, "write_model")
    watch(build._EarlyMarkdown, "collect")
    early_write, bodies_read = build._early_write, load.bodies_read
    count = [0]  # in the early worker: how many bodies it was handed

    def bodies(*args: Any) -> Any:
        goals, entries = bodies_read(*args)
        count[0] = len(entries)
        return goals, entries

    def early_piece(found: int, done: object, parts: list[bytes] | None = None) -> None:
        early_write(found, done, parts)
        if not parts:
            say("early worker starts")
        elif isinstance(done, tuple) and done[0] + len(parts) == count[0]:
            say("early worker's last body")

    build.bodies_read = bodies  # type: ignore[attr-defined,assignment]  # (as `build` calls it)
    build._early_write = early_piece
    out = Path(tempfile.mkdtemp(prefix="phases-")) / "site"  # a new folder: a cold build (left for you to remove)
    sys.argv = ["goalsite", "build", str(vault), "-o", str(out), "--today", TODAY]
    try:
        cli.main(standalone_mode=False)
    finally:
        say("done")


if __name__ == "__main__":
    main()
