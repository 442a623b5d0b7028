"""Whether creating files is still slow after a large deletion, and waiting until it is not.

On an ext4 file system without a journal (this project's VM has one), the inode allocator steps over
every inode deleted in the last few minutes, checking each in turn: creating a file there took 500–760 µs
for two minutes after a benchmark removed its output folders, against 20–30 µs otherwise. A build writes
a file a page, so a cold build of 10,000 entries run in that window paid seconds more in system time,
and every ratio measured then was skewed. The scripts that time builds probe first, and wait.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

PROBE_FILES = 2000
SLOW = 100.0  # µs to create a file: clean here 20–30 µs, just after a large deletion 500–760 µs
EVERY = 15.0  # seconds between probes while it is slow


def creation_time(parent: Path) -> float:
    """Microseconds to create one empty file, over `PROBE_FILES` in a new folder under `parent`. The files
    stay: removing them would be a deletion too (the caller removes `parent` when it is done)."""
    folder = tempfile.mkdtemp(prefix="probe-", dir=parent)
    descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        started = time.perf_counter()
        for number in range(PROBE_FILES):
            os.close(os.open(str(number), os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644, dir_fd=descriptor))
        return (time.perf_counter() - started) / PROBE_FILES * 1e6
    finally:
        os.close(descriptor)


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
