"""Whether creating files is still slow after a large deletion, and waiting until it is not.

On an ext4 file system without a journal (this project's VM has one), the inode allocator steps over
every inode deleted in the last few minutes, checking each in turn: creating a file there took 500–760 µs
for minutes after a benchmark removed its output folders, against 20–30 µs otherwise, and not evenly:
stretches of a thousand files alternate between the two (a probe of 2,000 files once said 20 µs, and the
50,000-entry build right after it spent 13 % of its time in that search). A build writes
a file a page, so a cold build of 10,000 entries run in that window paid seconds more in system time,
and every ratio measured then was skewed. The scripts that time builds probe first, and wait.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

PROBE_FILES = 10_000  # in stretches of `STRETCH`: the slow inodes lie in patches, which a short probe can miss
STRETCH = 1_000
SLOW = 100.0  # µs to create a file: clean here 20–30 µs, just after a large deletion 500–760 µs
EVERY = 15.0  # seconds between probes while it is slow
WAIT = 420.0  # seconds `settle` waits at most, unless told otherwise


def add_wait_option(parser: argparse.ArgumentParser) -> None:
    """`--wait`, for the scripts that settle before they time anything."""
    parser.add_argument("--wait", type=float, default=WAIT,
                        help="seconds to wait at most for creating files to be quick again (0: only say how quick)")


def creation_time(parent: Path) -> float:
    """Microseconds to create one empty file in the slowest stretch of `STRETCH` files, creating up to
    `PROBE_FILES` under a new folder in `parent` and stopping at the first stretch over `SLOW`. Every
    other stretch goes into a new folder of its own, which the file system may place elsewhere: one
    folder alone said 29 µs where new folders met 690 µs, and the other way round a minute later. The
    files stay: removing them would be a deletion too (the caller removes `parent` when it is done)."""
    folder = tempfile.mkdtemp(prefix="probe-", dir=parent)
    slowest = 0.0
    for number, start in enumerate(range(0, PROBE_FILES, STRETCH)):
        where = folder if number % 2 == 0 else tempfile.mkdtemp(prefix="stretch-", dir=folder)
        descriptor = os.open(where, os.O_RDONLY | os.O_DIRECTORY)
        try:
            started = time.perf_counter()
            for name in range(start, start + STRETCH):
                os.close(os.open(str(name), os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644, dir_fd=descriptor))
            slowest = max(slowest, (time.perf_counter() - started) / STRETCH * 1e6)
        finally:
            os.close(descriptor)
        if slowest > SLOW:
            break
    return slowest


def settle(parent: Path, wait: float, say: Callable[[str], None] = print) -> float:
    """Probe (`creation_time`); while creating a file takes more than `SLOW` µs, say so and probe again
    every `EVERY` seconds, for up to `wait` seconds. Says the last figure, and returns it."""
    waited = 0.0
    figure = creation_time(parent)
    while figure > SLOW and waited < wait:
        say(f"creating a file takes {figure:.0f} µs (over {SLOW:.0f}: files were deleted here in the last "
            f"minutes); probing again in {EVERY:.0f} s")
        time.sleep(EVERY)
        waited += EVERY
        figure = creation_time(parent)
    state = "slow: the figures below are skewed" if figure > SLOW else "as usual"
    say(f"creating a file: {figure:.0f} µs ({state})")
    return figure
