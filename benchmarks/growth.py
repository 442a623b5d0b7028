"""How a cold build grows from 10,000 entries to 50,000: builds of the two vaults, alternating, each
into a new folder, and the large one's time as a multiple of the small one's (the goal: within 5.5×).

    python3 benchmarks/growth.py                    # 10k, 50k, 10k, 50k, 10k (about two minutes)
    python3 benchmarks/growth.py --pairs 3 --small 1000 --large 5000

Each line: wall time, the CPU of the command and its workers (user + system), their page faults, the
memory pages the machine handed out while it ran (/proc/vmstat: new memory for every process and for
the files written), and the processor time the host took from this machine meanwhile (`host.py`: a
build that waited for the host shows it there). Before the first build the script times a new page of
memory (`page_cost`: 10-15 µs on this project's VM, where memory freed more than a second or two
before has gone back to the host; each build after the first starts with what the one before freed,
about 3 µs a page to use again). The ratios set each large build against the median of the small
ones, and against the two small builds on either side of it (which ran on the host as it was then:
its speed drifts by a third over minutes).

The figures a large build gives on a virtual machine depend on the host: a page of memory the guest
has not used lately may cost the host a fault to give back (this project's VM reports its free memory
to the host, which takes it back), and a build of 50,000 entries needs more new memory at once than
there is of the recently used. System time shows it. Two more things skew them, so this script
avoids them:

- Deleting thousands of files just before (compare.py's or a test run's clean-up, `rm -rf` of old
  output): on an ext4 file system without a journal, creating files then walks past the recently
  deleted inodes for a few minutes. The output folders are removed only at the end, and before the
  first build the script times creating files, and waits (up to `--wait` seconds) while that is slow
  (`settle.py`).
- Python compiling goalsite's modules in every run (an editable install, PYTHONDONTWRITEBYTECODE):
  they are compiled first, as `pip install .` would have.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bytecode import compile_goalsite  # noqa: E402
from generate_vault import generate  # noqa: E402
from host import allocated, page_cost, since, stolen  # noqa: E402
from settle import add_wait_option, settle  # noqa: E402

TODAY = "2026-11-21"


def build(vault: Path, out: Path) -> dict[str, float]:
    """One cold build by the installed command, as a whole process; a failure stops the benchmark."""
    command = [sys.executable, "-m", "goalsite", "build", str(vault), "-o", str(out), "--today", TODAY]
    before, stolen_before = allocated(), stolen()
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _pid, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    after, stolen_after = allocated(), stolen()
    if os.waitstatus_to_exitcode(status) != 0:
        error = process.stderr.read().decode(errors="replace") if process.stderr else ""
        sys.exit(f"{' '.join(command)} failed:\n{error[-2000:]}")
    return {"wall": seconds, "user": usage.ru_utime, "system": usage.ru_stime, "faults": usage.ru_minflt,
            "peak": usage.ru_maxrss / 1024,  # the last two -1 where they are not known
            "new": since(before, after), "stolen": since(stolen_before, stolen_after)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", type=int, default=10_000, help="entries in the small vault")
    parser.add_argument("--large", type=int, default=50_000, help="entries in the large vault")
    parser.add_argument("--pairs", type=int, default=2, help="large builds (each between two small ones)")
    parser.add_argument("--vaults", type=Path, default=HERE / "vaults", help="where generated vaults are kept")
    add_wait_option(parser)
    args = parser.parse_args()
    compile_goalsite()
    vaults = {}
    for entries in (args.small, args.large):
        vaults[entries] = args.vaults / str(entries)
        if not (vaults[entries] / "goals").is_dir():
            generate(entries, vaults[entries])
    work = Path(tempfile.mkdtemp(prefix="growth-"))
    runs: list[dict[str, float]] = []  # in the order built: small, large, small, …
    try:
        settle(work, args.wait)
        order = [args.small] + [args.large, args.small] * args.pairs
        cost = page_cost()  # before the first build: after it, each build reuses memory the one before freed
        if cost is not None:
            print(f"a new page of memory: {cost:.1f} µs (one freed in the last second or two: about 3 µs)")
        for number, entries in enumerate(order):
            figures = build(vaults[entries], work / f"out-{number}")
            runs.append(figures)
            new = f"{figures['new']:6.0f} MiB new" if figures["new"] >= 0 else ""
            host = f"  stolen {figures['stolen']:5.2f} s" if figures["stolen"] >= 0 else ""
            print(f"  {entries:>7,} entries {figures['wall']:7.2f} s  user {figures['user']:6.2f} s  system "
                  f"{figures['system']:6.2f} s  faults {figures['faults']:8,.0f}  peak {figures['peak']:4.0f} MiB  "
                  f"{new}{host}",
                  flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    smalls, larges = runs[0::2], runs[1::2]
    small = statistics.median(run["wall"] for run in smalls)
    ratios = [run["wall"] / small for run in larges]
    cpu = statistics.median(run["user"] for run in smalls)
    print(f"\n{args.large:,} against {args.small:,} entries (the median of {len(smalls)} small builds, "
          f"{small:.2f} s): " + ", ".join(f"{ratio:.2f}×" for ratio in ratios)
          + f"; median {statistics.median(ratios):.2f}×")
    beside = [2 * run["wall"] / (smalls[number]["wall"] + smalls[number + 1]["wall"]) for number, run in enumerate(larges)]
    print("each against the small builds either side of it: " + ", ".join(f"{ratio:.2f}×" for ratio in beside)
          + f"; median {statistics.median(beside):.2f}×")
    print("user CPU: " + ", ".join(f"{run['user'] / cpu:.2f}×" for run in larges) + f" of {cpu:.2f} s")


if __name__ == "__main__":
    main()
