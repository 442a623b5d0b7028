"""Watching a vault: file events as hints, gathered until the editor is done, then one correct build.

Events are never trusted as facts (editors save by renaming, vim briefly removes
the file, network mounts drop events): a quiet spell ends a burst (a short one
when every file's last event was its writer closing it or renaming it into
place, a longer one while a file may still be half written); the paths
are then read again; a file that seems gone is looked at once more; the vault
vanishing pauses everything (nothing is pruned); a rescan every minute is the
safety net for events that never came.
"""

from __future__ import annotations

import gc
import os
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver
from watchdog.observers.polling import PollingObserver

from goalsite.build import Builder, BuildResult

# Names editors, sync tools and operating systems write for a moment (RELIABILITY.md).
TEMPORARY = re.compile(
    r"(^[.~#])|(~$)|(\.(swp|swo|swx|tmp|bak|orig|rej|part|crdownload)$)|(^4913$)|(___jb_(tmp|old|bak)___$)"
    r"|(^\.goutputstream-)|(^\.sb-)|(^\.~lock\.)|(^\.syncthing\..*\.tmp$)|(^(\.DS_Store|Thumbs\.db|desktop\.ini)$)",
    re.IGNORECASE,
)
QUIET = 0.03  # seconds without events that end a burst
SETTLED_QUIET = 0.005  # the same, when every file's last event says its writer is done with it
DONE = ("closed", "moved", "deleted")  # closed after writing, renamed into place, removed
LONGEST_WAIT = 1.0  # a steady stream of events still gets a build this often
GONE_RECHECK = 0.15  # a file that disappeared is looked at again after this
RESCAN_EVERY = 60.0


def is_temporary(path: str) -> bool:
    return bool(TEMPORARY.search(os.path.basename(path)))


class _Collector(FileSystemEventHandler):
    def __init__(self, root: Path, output: Path | None, notify: Callable[[set[Path], bool], None]) -> None:
        self.root = root
        self.output = output
        self.notify = notify

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in ("opened", "closed_no_write") or (event.is_directory and event.event_type == "modified"):
            return  # a folder is "modified" whenever a file in it is: the file's own event says what changed
        paths = {event.src_path, getattr(event, "dest_path", "") or ""}
        hints = set()
        for raw in paths:
            if not raw:
                continue
            path = Path(os.fsdecode(raw))
            try:
                rel = path.relative_to(self.root)
            except ValueError:
                continue
            if self.output is not None and (path == self.output or self.output in path.parents):
                continue
            if any(part.startswith(".") for part in rel.parts[:-1]) or (rel.parts and is_temporary(rel.parts[-1])):
                continue  # .obsidian/workspace.json, .git/, swap files: never a rebuild
            hints.add(path)
        if hints:
            self.notify(hints, event.event_type in DONE)


class Watcher:
    """Builds once, then again after each burst of changes, until `stop()`."""

    def __init__(self, builder: Builder, poll: bool = False,
                 on_build: Callable[[BuildResult], None] | None = None,
                 on_error: Callable[[Exception], None] | None = None,
                 on_message: Callable[[str], None] | None = None,
                 on_first_look: Callable[[dict[str, bytes]], None] | None = None) -> None:
        self.builder = builder
        self.poll = poll
        self.on_build = on_build or (lambda result: None)
        self.on_first_look = on_first_look  # the changed entries' own pages, before the rest of a rebuild
        self.on_error = on_error or (lambda error: None)
        self.on_message = on_message or (lambda text: None)
        self.pending: set[Path] = set()
        self.unsettled: set[Path] = set()  # pending paths whose last event was not a writer finishing
        self.first_event = 0.0
        self.last_event = 0.0
        self.lock = threading.Condition()
        self.stopping = threading.Event()
        self.observer: BaseObserver | None = None
        self.thread: threading.Thread | None = None
        self.builds = 0

    # -- events ------------------------------------------------------------------------------------

    def hint(self, paths: set[Path], done: bool = False) -> None:
        """Paths that may have changed; `done` when the event says the writer finished (a file closed
        after writing, renamed into place or removed), so the burst need not wait long for more."""
        with self.lock:
            now = time.monotonic()
            if not self.pending:
                self.first_event = now
            self.pending |= paths
            if done:
                self.unsettled -= paths
            else:
                self.unsettled |= paths
            self.last_event = now
            self.lock.notify_all()

    def _start_observer(self) -> None:
        handler = _Collector(self.builder.root, self.builder.out, self.hint)
        if not self.poll:
            try:
                observer: BaseObserver = Observer()
                observer.schedule(handler, str(self.builder.root), recursive=True)
                observer.start()
                self.observer = observer
                return
            except OSError as error:  # inotify limits, unsupported file systems
                self.on_message(f"Watching for changes by polling, because the system's file events "
                                f"are not available here ({error.strerror or error}).")
        observer = PollingObserver(timeout=0.5)
        observer.schedule(handler, str(self.builder.root), recursive=True)
        observer.start()
        self.observer = observer

    def _stop_observer(self) -> None:
        if self.observer is not None:
            self.observer.stop()
            self.observer.join(timeout=1)
            self.observer = None

    # -- the loop ------------------------------------------------------------------------------------

    def start(self) -> BuildResult:
        result = self.builder.build()
        # The model stays for the whole session: set it aside from the cycle collector, whose full
        # passes over it would otherwise land in the middle of a rebuild.
        gc.collect()
        gc.freeze()
        self.builds += 1
        self.on_build(result)
        self._start_observer()
        self.thread = threading.Thread(target=self._loop, name="goalsite-watch", daemon=True)
        self.thread.start()
        return result

    def stop(self) -> None:
        self.stopping.set()
        with self.lock:
            self.lock.notify_all()
        self._stop_observer()
        if self.thread is not None:
            self.thread.join(timeout=1)

    def _next_burst(self) -> set[Path] | None:
        """Wait for a burst of changes to end; None when it is time for the safety rescan or to stop."""
        deadline = time.monotonic() + RESCAN_EVERY
        with self.lock:
            while not self.pending and not self.stopping.is_set():
                if not self.lock.wait(timeout=max(0.0, deadline - time.monotonic())):
                    return None
            while not self.stopping.is_set():
                now = time.monotonic()
                quiet_until = self.last_event + (QUIET if self.unsettled else SETTLED_QUIET)
                if now >= quiet_until or now - self.first_event >= LONGEST_WAIT:
                    break
                self.lock.wait(timeout=quiet_until - now)
            burst, self.pending, self.unsettled = self.pending, set(), set()
            return burst

    def _loop(self) -> None:
        while not self.stopping.is_set():
            burst = self._next_burst()
            if self.stopping.is_set():
                return
            if not self.builder.root.is_dir():
                self._wait_for_vault()
                burst = {self.builder.root}  # everything again
            elif burst is not None and any(not path.exists() for path in burst):
                time.sleep(GONE_RECHECK)  # vim and friends: removed, then written again a moment later
                with self.lock:
                    burst |= self.pending
                    self.pending, self.unsettled = set(), set()
            self._build(burst)

    def _wait_for_vault(self) -> None:
        """The vault is gone (unmounted, renamed, a sync tool replacing it): keep the last site, wait."""
        self.on_message(f"The vault {self.builder.root} is not there any more; the dashboard stays as it was. "
                        "Waiting for it to come back…")
        self._stop_observer()
        while not self.stopping.is_set() and not self.builder.root.is_dir():
            self.stopping.wait(0.25)
        if not self.stopping.is_set():
            self.on_message("The vault is back; building it again.")
            self._start_observer()

    def _build(self, burst: set[Path] | None) -> None:
        try:
            result = self.builder.build(burst, self.on_first_look) if burst is not None else self.builder.rescan()
        except Exception as error:
            self.on_error(error)
            return
        self.builds += 1
        self.on_build(result)
