"""What the machine itself did while a benchmark ran, from Linux's /proc: the figures that tell a slow
build from a slow host.

On a virtual machine two things outside the build move its times:

- **Stolen time.** The host runs other guests on the same processors; the time a processor of this
  machine had work but the host ran something else is its `steal` (/proc/stat). A build of 10,000
  entries keeps both processors busy, so each second stolen from them is up to half a second more on
  its wall clock.
- **New memory.** A page the guest has not used for a while may cost the host a fault to give back
  (`allocated`: pages handed out, to any process and to the files written). What one new page costs
  at the moment (`page_cost`) moves with the host, and a build of 50,000 entries takes some 700,000.

Neither figure from /proc is there on every system: each is None where /proc does not say, and `since`
then gives -1.
"""

from __future__ import annotations

import mmap
import os
import time


def allocated() -> int | None:
    """MiB of memory pages the machine has handed out since it started (/proc/vmstat)."""
    try:
        with open("/proc/vmstat", encoding="ascii") as vmstat:
            pages = sum(int(line.split()[1]) for line in vmstat if line.startswith("pgalloc_"))
    except OSError:
        return None
    return pages * os.sysconf("SC_PAGE_SIZE") // 2**20


def stolen() -> float | None:
    """Seconds the host has taken from this machine's processors since it started, all of them together
    (the `steal` column of /proc/stat's first line)."""
    try:
        with open("/proc/stat", encoding="ascii") as stat:
            fields = stat.readline().split()
    except OSError:
        return None
    if len(fields) < 9 or fields[0] != "cpu":
        return None
    return int(fields[8]) / os.sysconf("SC_CLK_TCK")


def since(before: float | None, after: float | None) -> float:
    """What a figure above grew by, or -1 where it is not known."""
    return -1 if before is None or after is None else after - before


def page_cost(mib: int = 64) -> float | None:
    """Microseconds one new page of memory costs this process now: `mib` MiB of fresh memory, one byte
    written to each page, which the kernel then finds, clears and maps (and, on a virtual machine, the
    host may first have to give back). Python's own share, a loop step, is some 50 ns of it. None where
    no such memory can be had."""
    size, page = mib * 2**20, mmap.PAGESIZE
    try:
        fresh = mmap.mmap(-1, size)
    except OSError:
        return None
    with fresh:
        started = time.perf_counter()
        for offset in range(0, size, page):
            fresh[offset] = 1
        return (time.perf_counter() - started) * 1e6 / (size // page)
