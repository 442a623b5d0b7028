"""Wall time and peak memory of `goalsite check` and `goalsite build` on a generated vault.

    python3 benchmarks/engine.py                  # 10,000 entries, 3 runs each
    python3 benchmarks/engine.py --entries 1000 --runs 1

Each figure is a whole run of the installed command (start-up included); the
median of the runs is shown. "build (cold)" starts from an empty output folder;
"build (nothing changed)" runs again on the same output, and "build (the next day)"
once more with `--today` a day later (a day's first build: the pages that show
the day, not the entries' own). "check" reads the whole
vault; "check (after a build)" starts from the state a build left in the vault's
usual folder (`<entries>-site` beside it, made here and removed at the end), and
"check (one entry edited)" does after one entry has changed since that build.
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
from settle import add_wait_option, settle  # noqa: E402

TODAY = "2026-11-21"
TOMORROW = "2026-11-22"


def command() -> str:
    found = shutil.which("goalsite", path=str(Path(sys.executable).parent)) or shutil.which("goalsite")
    if not found:
        sys.exit("goalsite is not installed: python3 -m pip install -e .")
    return found


def measure(args: list[str]) -> tuple[float, float, int]:
    """(seconds, peak MiB, exit code) of one run."""
    started = time.perf_counter()
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _pid, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    return seconds, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--vaults", type=Path, default=HERE / "vaults", help="where generated vaults are kept")
    add_wait_option(parser)
    args = parser.parse_args()
    compile_goalsite()

    vault = args.vaults / str(args.entries)
    if not (vault / "goals").is_dir():
        started = time.perf_counter()
        generate(args.entries, vault)
        print(f"generated {vault} in {time.perf_counter() - started:.1f} s")
    size = sum(path.stat().st_size for path in vault.rglob("*") if path.is_file())
    print(f"vault: {args.entries:,} entries + 30 goals, {size / 1024 / 1024:.1f} MiB")
    goalsite = command()
    sites = Path(tempfile.mkdtemp(prefix="goalsite-engine-"))  # a new folder for each cold build (README.md)
    usual = vault.parent / f"{vault.name}-site"  # where `goalsite build VAULT` builds, and check looks
    if usual.exists():
        sys.exit(f"{usual} exists: check would start from it. Remove it first.")
    results: dict[str, list[tuple[float, float, int]]] = {
        "check": [], "build (cold)": [], "build (nothing changed)": [], "build (the next day)": [],
        "check (after a build)": [], "check (one entry edited)": []}
    check = [goalsite, "check", str(vault), "--today", TODAY]
    edited = sorted((vault / "journal").rglob("*.md"))[args.entries // 2]
    original = edited.read_bytes()
    try:
        settle(sites, args.wait)  # (files deleted just before slow every build here: see settle.py)
        for number in range(args.runs):
            results["check"].append(measure(check))
            build = [goalsite, "build", str(vault), "-o", str(sites / f"site-{number}"), "--today", TODAY]
            results["build (cold)"].append(measure(build))
            results["build (nothing changed)"].append(measure(build))
            results["build (the next day)"].append(measure([*build[:-1], TOMORROW]))
        measure([goalsite, "build", str(vault), "--today", TODAY])
        for _run in range(args.runs):
            results["check (after a build)"].append(measure(check))
        for number in range(args.runs):
            edited.write_bytes(original + f"\nedited {number}\n".encode())
            results["check (one entry edited)"].append(measure(check))
    finally:
        edited.write_bytes(original)
        shutil.rmtree(sites, ignore_errors=True)
        shutil.rmtree(usual, ignore_errors=True)
    print(f"{'command':<26}{'median s':>10}{'peak MiB':>10}")
    for name, runs in results.items():
        codes = {code for _s, _m, code in runs}
        if codes - {0, 1}:
            sys.exit(f"{name} failed with exit code {sorted(codes)}")
        print(f"{name:<26}{statistics.median(s for s, _m, _c in runs):>10.2f}"
              f"{max(m for _s, m, _c in runs):>10.0f}")


if __name__ == "__main__":
    main()
