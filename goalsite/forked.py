"""Work spread over forked processes, with nothing shared that a stopped worker could leave held.

A pool of `multiprocessing` workers sends each result through a pipe guarded by a lock, read by a
thread of the parent's: a worker stopped while sending leaves the lock held and the parent waiting
for ever, and the thread takes turns with the parent's own work for the interpreter. Here the tasks
are numbers in a pipe, which each worker takes four bytes at a time (a pipe hands out what one read
asks for whole, to one reader); each result goes, whole and after its length, into a file in memory
of the worker's own (`memfd_create`), and a byte into a second pipe says that one is there. The
parent reads the results whenever it is ready, and does itself any task a worker left undone (one
that failed there fails here too, with its own error, as it would have without workers). With no
process or file to spare, the workers forked so far do the work, or with none, the parent alone.

Only where `memfd_create` is (Linux); `available` says whether it is.
"""

from __future__ import annotations

import contextlib
import mmap
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator

_TASK = 4  # bytes of a task's number in the tasks' pipe
_HEAD = 8  # bytes of a message's length, before the message
_PIPE_HOLDS = 65536  # what a pipe holds before a write waits (Linux's least): every task is written at once


def may_fork() -> bool:
    """Whether this process may fork: not on macOS (whose system libraries may not survive it), nor from
    a process that runs other threads."""
    return hasattr(os, "fork") and sys.platform != "darwin" and threading.active_count() == 1


def available() -> bool:
    """Whether work may be spread over workers here: this process may fork, and they can write their
    results to files in memory."""
    return hasattr(os, "memfd_create") and may_fork()


def shared_file(name: str) -> int:
    """A file in memory that several processes add messages to at once: in append mode, each write goes
    whole to the end (without it, two processes' writes may land at the same place, one over the other)."""
    import fcntl  # (here: only where files in memory are, Linux)

    fd = os.memfd_create(name, os.MFD_CLOEXEC)
    try:
        fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | os.O_APPEND)
    except BaseException:
        os.close(fd)
        raise
    return fd


def write_message(fd: int, data: bytes) -> None:
    """`data` written after its length, whole (a short write is carried on)."""
    message = memoryview(len(data).to_bytes(_HEAD, "little") + data)
    while message:
        message = message[os.write(fd, message):]


def read_messages(fd: int, at: int = 0) -> tuple[list[memoryview], int]:
    """The whole messages written to `fd` from `at` on (views of one copy of them), and where the first
    one not yet whole starts."""
    data = memoryview(os.pread(fd, max(os.fstat(fd).st_size - at, 0), at))
    places, end = _places(lambda place: data[place:place + _HEAD], 0, len(data))
    return [data[offset:offset + size] for offset, size in places], at + end


def message_places(fd: int) -> list[tuple[int, int]]:
    """Where each whole message written to `fd` lies in it, and its size, without reading the messages:
    those who need one read it there (`os.pread`), when they need it."""
    return _places(lambda place: os.pread(fd, _HEAD, place), 0, os.fstat(fd).st_size)[0]


def mapped_messages(fd: int) -> list[memoryview]:
    """The whole messages written to `fd`, as views of the file mapped into this process, not copied
    into new memory. The mapping keeps a descriptor of its own open while any view lives: for a
    forked worker, which ends with its work, or for bytes let go soon (`Workers` with `keep`)."""
    end = os.fstat(fd).st_size
    if end == 0:
        return []
    data = memoryview(mmap.mmap(fd, end, flags=mmap.MAP_SHARED | getattr(mmap, "MAP_POPULATE", 0), prot=mmap.PROT_READ))
    places, _end = _places(lambda place: data[place:place + _HEAD], 0, end)
    return [data[offset:offset + size] for offset, size in places]


def _places(head: Callable[[int], bytes | memoryview], at: int, end: int) -> tuple[list[tuple[int, int]], int]:
    """(where each whole message from `at` to `end` starts, its size), and where the first one not yet
    whole starts; `head(place)` gives the length written at `place`."""
    places: list[tuple[int, int]] = []
    while at + _HEAD <= end:
        size = int.from_bytes(head(at), "little")
        if at + _HEAD + size > end:
            break  # still being written, or cut off when its worker stopped
        places.append((at + _HEAD, size))
        at += _HEAD + size
    return places, at


class Workers:
    """`work(task)` for each task in `range(tasks)`, in `count` forked processes; `results` gives each
    task's bytes as they come. Use it as a context manager: leaving it stops every worker.

    With `keep`, once the results are all in, `kept` holds the bytes of each task a worker did as views
    of its file in memory, mapped (one mapping a worker): for bytes held after the work, which the
    copies `results` reads would otherwise hold in new memory, while the file held them already.

    `files`: the workers' files in memory, made beforehand (`files_for_workers`), one a worker, for
    processes forked before these workers to read what they wrote (`task_results`); the caller keeps
    and closes its own descriptors."""

    def __init__(self, work: Callable[[int], bytes], tasks: int, count: int, keep: bool = False,
                 files: list[int] | None = None) -> None:
        if tasks * _TASK > _PIPE_HOLDS:
            raise ValueError(f"{tasks} tasks: more than a pipe holds at once")
        self.work, self.tasks, self.keep = work, tasks, keep
        self.kept: dict[int, memoryview] = {}
        self.workers: list[int] = []
        self.found: list[int] = []
        self.ready = -1
        take, give = os.pipe()
        ready, said = os.pipe()
        try:
            os.write(give, b"".join(task.to_bytes(_TASK, "little") for task in range(tasks)))
            os.close(give)  # before any fork: a worker holding it open would never see the tasks end
            give = -1
            for number in range(max(1, min(count, tasks))):
                started = fork_with_file("goalsite-work", files[number] if files and number < len(files) else None)
                if started is None:  # the workers forked so far (or this process) do the work
                    break
                worker, found = started
                if worker == 0:
                    _work(work, take, found, said)
                self.found.append(found)
                self.workers.append(worker)
        except BaseException:
            self.stop()
            os.close(ready)
            raise
        finally:
            for fd in (take, said, give):
                if fd != -1:
                    os.close(fd)
        self.ready = ready

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def results(self) -> Iterator[tuple[int, bytes | memoryview]]:
        """(task, its bytes) for every task: the workers' as they finish, then what they left, done here.
        A worker's are a view of the one copy read of what it wrote (not copied again: each new page of
        memory is a fault, several microseconds in a virtual machine)."""
        done: set[int] = set()
        read = [0] * len(self.found)
        ended = False
        while not ended:
            ended = not os.read(self.ready, 4096)  # every worker gone, when no one can say more
            for number, found in enumerate(self.found):
                messages, read[number] = read_messages(found, read[number])
                for message in messages:
                    task = int.from_bytes(message[:_TASK], "little")
                    done.add(task)
                    yield task, message[_TASK:]
        if self.keep:  # every worker has ended: its file holds all it will
            for found in self.found:
                for message in mapped_messages(found):
                    self.kept[int.from_bytes(message[:_TASK], "little")] = message[_TASK:]
        self.stop()
        for task in range(self.tasks):
            if task not in done:  # its worker failed or was stopped: here it fails with its own error
                yield task, self.work(task)

    def stop(self) -> None:
        """The workers killed where they are (ended ones are only waited for), and their files closed."""
        end(self.workers)
        self.workers = []
        for fd in [*self.found, self.ready]:
            if fd != -1:
                os.close(fd)
        self.found, self.ready = [], -1


def files_for_workers(count: int, name: str) -> list[int]:
    """`count` files in memory for `Workers` to come, made now, so that a process forked before those
    workers may read what they write. `name` shows in /proc. OSError when there are not files to spare."""
    files: list[int] = []
    try:
        for _number in range(count):
            files.append(os.memfd_create(name, os.MFD_CLOEXEC))
    except BaseException:
        for fd in files:
            os.close(fd)
        raise
    return files


def task_results(fd: int) -> list[memoryview]:
    """The bytes of each task a `Workers` worker wrote whole to its file `fd` (given as one of `files`),
    mapped (`mapped_messages`): for a process that has no other way to them."""
    return [message[_TASK:] for message in mapped_messages(fd)]


def fork_with_file(name: str, made: int | None = None) -> tuple[int, int] | None:
    """A file in memory (`name` shows in /proc; or a copy of the descriptor `made`, a file made before),
    then a forked process that writes to it: (0, the file) in that process, (its id, the file) in this
    one. None when there is no file or process to spare."""
    try:
        found = os.memfd_create(name, os.MFD_CLOEXEC) if made is None else os.dup(made)
    except OSError:
        return None
    try:
        return os.fork(), found
    except OSError:
        os.close(found)
        return None


def end(workers: list[int]) -> None:
    """Forked processes killed where they are, and waited for (one that has ended is only waited for)."""
    for worker in workers:
        with contextlib.suppress(OSError):
            os.kill(worker, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(worker, 0)


def _work(work: Callable[[int], bytes], take: int, found: int, said: int) -> None:
    """In a worker: tasks taken from `take` until there are none, each one's bytes written to `found`
    after its number, and a byte to `said` for each. Never returns, nor runs the parent's exit handlers."""
    status = 1
    try:
        while task := os.read(take, _TASK):
            write_message(found, task + work(int.from_bytes(task, "little")))
            os.write(said, b".")
        status = 0
    finally:
        os._exit(status)  # and a failure's traceback is not printed: the parent does the task again
