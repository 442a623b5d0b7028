"""Forked workers (`goalsite.forked`): every task done once, by a worker or else here; nothing left
running or open, however the work ends."""

from __future__ import annotations

import os
import signal
import threading

import pytest

from conftest import no_process_left
from goalsite import forked

PARENT = os.getpid()


def open_fds() -> set[str]:
    return set(os.listdir("/proc/self/fd"))


def squares(task: int) -> bytes:
    return str(task * task).encode()


@pytest.mark.parametrize(("tasks", "count"), [(1, 2), (7, 1), (40, 2), (40, 3)])
def test_every_task_is_done_once(tasks: int, count: int) -> None:
    fds = open_fds()
    with forked.Workers(squares, tasks, count) as workers:
        done = list(workers.results())
    assert sorted(done) == [(task, squares(task)) for task in range(tasks)]
    assert no_process_left() and open_fds() == fds and threading.active_count() == 1


def mapped_files(name: str) -> int:
    """How many mappings of files in memory called `name` this process has."""
    with open("/proc/self/maps", encoding="ascii") as maps:
        return sum(f"/memfd:{name} " in line for line in maps)


def test_files_made_before_the_workers_show_a_process_forked_earlier_what_they_wrote() -> None:
    """Workers given files made beforehand write there (one file a worker, the caller's descriptors its
    own): a process forked before the workers, holding the same files, reads each task's bytes whole."""
    fds = open_fds()
    files = forked.files_for_workers(2, "goalsite-before")
    seen, said = os.pipe()
    earlier = os.fork()
    if earlier == 0:  # forked before the workers: it waits for them to end, then reads their files
        status = 1
        try:
            os.close(said)
            os.read(seen, 1)  # (the end of the pipe: this process closed it once the workers ended)
            found = sorted(bytes(sent) for fd in files for sent in forked.task_results(fd))
            status = 0 if found == sorted(squares(task) for task in range(30)) else 3
        finally:
            os._exit(status)
    os.close(seen)
    try:
        with forked.Workers(squares, 30, 2, files=files) as workers:
            results = dict(workers.results())
        assert results == {task: squares(task) for task in range(30)}
        assert sum(len(forked.task_results(fd)) for fd in files) == 30  # every task, each once, by the workers
    finally:
        os.close(said)  # the earlier process reads the files now
        _pid, status = os.waitpid(earlier, 0)
        for fd in files:
            os.close(fd)
    assert os.waitstatus_to_exitcode(status) == 0
    assert open_fds() == fds and no_process_left()


def test_too_few_files_to_spare_makes_none() -> None:
    """Files for workers are made all or none: with too few to spare, none is left open."""
    import resource

    fds = open_fds()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (len(fds) + 3, hard))
    try:
        with pytest.raises(OSError):
            forked.files_for_workers(8, "goalsite-before")
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    assert open_fds() == fds


def test_kept_results_are_the_workers_files_mapped_not_copies() -> None:
    """With `keep`, the bytes of each task a worker did are views of its file, one mapping a worker,
    which lasts while a view does; a task done here (after its worker died) keeps its own bytes."""
    def work(task: int) -> bytes:
        if task == 7 and os.getpid() != PARENT:
            os._exit(1)  # the worker dies with it: the task is done here
        return squares(task) * 1000

    fds = open_fds()
    with forked.Workers(work, 8, 1, keep=True) as workers:
        results = dict(workers.results())
        kept = workers.kept
    assert sorted(results) == list(range(8)) and sorted(kept) == list(range(7))
    assert all(bytes(kept[task]) == bytes(results[task]) == squares(task) * 1000 for task in kept)
    assert all(isinstance(view, memoryview) and view.readonly for view in kept.values())
    assert mapped_files("goalsite-work") == 1 and len(open_fds() - fds) == 1  # the mapping's own
    del results, kept, workers
    assert mapped_files("goalsite-work") == 0 and open_fds() == fds and no_process_left()


def test_the_work_is_done_in_other_processes() -> None:
    with forked.Workers(lambda task: str(os.getpid()).encode(), 20, 2) as workers:
        where = {int(pid) for _task, pid in workers.results()}
    assert PARENT not in where and 1 <= len(where) <= 2


def test_a_task_a_worker_fails_is_done_here() -> None:
    """A worker that fails ends (without a traceback); its task is done here, the others by whichever
    worker is left."""
    def work(task: int) -> bytes:
        if task == 3 and os.getpid() != PARENT:
            raise RuntimeError("only in a worker")
        return squares(task)

    with forked.Workers(work, 12, 2) as workers:
        assert sorted(workers.results()) == [(task, squares(task)) for task in range(12)]
    assert no_process_left()


def test_a_task_of_a_worker_killed_halfway_is_done_here() -> None:
    def work(task: int) -> bytes:
        if task == 5 and os.getpid() != PARENT:
            os.kill(os.getpid(), signal.SIGKILL)
        return squares(task)

    with forked.Workers(work, 9, 1) as workers:  # one worker: the tasks after 5 are left too
        assert sorted(workers.results()) == [(task, squares(task)) for task in range(9)]
    assert no_process_left()


@pytest.mark.parametrize("refused", ["fork", "memfd_create"])
def test_without_a_process_or_file_to_spare_the_work_is_done_here(monkeypatch: pytest.MonkeyPatch,
                                                                  refused: str) -> None:
    fds = open_fds()

    def none_to_spare(*_args: object) -> int:
        raise OSError("none to spare")

    monkeypatch.setattr(forked.os, refused, none_to_spare)
    with forked.Workers(lambda task: str(os.getpid()).encode(), 5, 2) as workers:
        assert sorted(workers.results()) == [(task, str(PARENT).encode()) for task in range(5)]
    assert no_process_left() and open_fds() == fds


def test_a_task_that_fails_everywhere_fails_here_with_its_own_error() -> None:
    fds = open_fds()

    def work(task: int) -> bytes:
        if task == 2:
            raise ValueError("task 2 cannot be done")
        return squares(task)

    with pytest.raises(ValueError, match="task 2 cannot be done"), forked.Workers(work, 6, 2) as workers:
        list(workers.results())
    assert no_process_left() and open_fds() == fds


def test_leaving_early_stops_the_workers_wherever_they_are() -> None:
    """As when this process's own work meanwhile fails: the workers, busy or not, are killed and
    waited for, and their files closed, at once."""
    fds = open_fds()

    def slow(task: int) -> bytes:
        if os.getpid() != PARENT:
            threading.Event().wait(600)
        return squares(task)

    with pytest.raises(KeyError), forked.Workers(slow, 4, 2):
        raise KeyError("meanwhile")
    assert no_process_left() and open_fds() == fds


def test_a_message_cut_off_is_not_read_until_it_is_whole() -> None:
    found = os.memfd_create("test")
    try:
        forked.write_message(found, b"one")
        forked.write_message(found, b"two!")
        os.write(found, (12).to_bytes(8, "little") + b"thr")  # a third, of 12 bytes, begun
        messages, at = forked.read_messages(found)
        assert (messages, at) == ([b"one", b"two!"], 8 + 3 + 8 + 4)
        os.write(found, b"ee, whole")
        assert forked.read_messages(found, at) == ([b"three, whole"], at + 8 + 12)
    finally:
        os.close(found)


def test_whole_messages_are_found_where_they_lie_or_mapped() -> None:
    """Without reading them (`message_places`, for those who read one when they need it), or as views
    of the file itself (`mapped_messages`): the same whole messages, and never one cut off."""
    found = os.memfd_create("test")
    try:
        assert forked.message_places(found) == [] and forked.mapped_messages(found) == []
        forked.write_message(found, b"one")
        forked.write_message(found, b"")
        forked.write_message(found, b"two!")
        os.write(found, (12).to_bytes(8, "little") + b"thr")  # a third, of 12 bytes, begun
        assert forked.message_places(found) == [(8, 3), (19, 0), (27, 4)]
        assert [os.pread(found, size, offset) for offset, size in forked.message_places(found)] == [b"one", b"", b"two!"]
        assert forked.mapped_messages(found) == [b"one", b"", b"two!"] == forked.read_messages(found)[0]
    finally:
        os.close(found)


def test_processes_adding_to_a_shared_file_at_once_lose_no_message() -> None:
    """Each write goes whole to the end (append mode): without it, two processes' writes land at the
    same place, one over the other."""
    shared = forked.shared_file("test")
    try:
        children = []
        for name in (b"a", b"b", b"c"):
            child = os.fork()
            if child == 0:
                for number in range(400):
                    forked.write_message(shared, name * (1 + number % 50))
                os._exit(0)
            children.append(child)
        for child in children:
            os.waitpid(child, 0)
        found = [bytes(message) for message in forked.read_messages(shared)[0]]
    finally:
        os.close(shared)
    assert sorted(found) == sorted(name * (1 + number % 50) for name in (b"a", b"b", b"c") for number in range(400))


def test_more_tasks_than_a_pipe_holds_are_refused_before_any_fork() -> None:
    with pytest.raises(ValueError, match="more than a pipe holds"):
        forked.Workers(squares, 16385, 2)
    assert no_process_left()
