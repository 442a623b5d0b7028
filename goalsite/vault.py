"""Finding a vault's files: ignore rules, sync leftovers, links that lead out, and safe reads."""

from __future__ import annotations

import fnmatch
import hashlib
import os
import re
import stat
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import NamedTuple

from goalsite.config import SETTINGS_FILE, Settings
from goalsite.errors import Location, Problem, Severity, UsageError

EXTENSIONS = (".md", ".markdown", ".yaml", ".yml")
IGNORED_FOLDERS = frozenset({"node_modules"})
THEME_FOLDER = "theme"
MAX_FILE_BYTES = 2 * 1024 * 1024

_CONFLICTS = (
    ("Dropbox", re.compile(r"(?P<base>.+?) \([^()]*conflicted copy[^()]*\)(?P<ext>\.\w+)", re.IGNORECASE), False),
    ("Syncthing", re.compile(r"(?P<base>.+)\.sync-conflict-\d{8}-\d{6}(?:-[A-Z0-9]{7})?(?P<ext>\.\w+)"), False),
    ("Google Drive", re.compile(r"(?P<base>.+) \(\d+\)(?P<ext>\.\w+)"), True),
    # OneDrive adds the computer's name: `notes-LAPTOP.md`. Only upper-case names next to the
    # original count, so a real entry such as `2026-11-21-evening.md` is never mistaken for one.
    ("OneDrive", re.compile(r"(?P<base>.+)-(?P<device>[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)*)(?P<ext>\.\w+)"), True),
)
_ICLOUD = re.compile(r"\.(?P<name>.+)\.icloud")


UNSEEN = -1  # a source's size and time before its file is opened (`discover` without `sizes`)


class SourceFile(NamedTuple):
    path: str  # where to open it (a string: a Path for each of 10,000 files costs a third of a second)
    rel: str  # relative to the vault, with `/`
    kind: str | None  # goal | entry by folder; None: only its `type:` can make it count
    size: int
    mtime_ns: int

    def seen(self, size: int, mtime_ns: int) -> SourceFile:
        """This file with the size and time it was found to have (`UNSEEN` until then)."""
        return SourceFile(self.path, self.rel, self.kind, size, mtime_ns)


def vault_folder(path: Path | str) -> Path:
    folder = Path(path)
    if not folder.exists():
        raise UsageError(f"There is no folder {path}; give the path of your vault (the folder with goals/ and journal/).")
    if not folder.is_dir():
        raise UsageError(f"{path} is a file, not a folder; give the path of your vault.")
    return Path(os.path.realpath(folder))


def conflict_original(name: str, siblings: frozenset[str]) -> tuple[str, str] | None:
    """(service, original name) when `name` is a sync service's conflict copy."""
    if " (" not in name and ".sync-conflict-" not in name and name.islower():
        return None  # what each pattern needs is not there (OneDrive's needs a capital): most names, quickly
    for service, pattern, needs_original in _CONFLICTS:
        match = pattern.fullmatch(name)
        if match:
            original = match.group("base") + match.group("ext")
            if not needs_original or original in siblings:
                return service, original
    return None


def _excluder(patterns: tuple[str, ...]) -> Callable[[str], bool]:
    """Whether a path matches one of the `exclude:` globs, or lies in a folder one of them names."""
    if not patterns:
        return lambda rel: False
    parts = [fnmatch.translate(pattern) for pattern in patterns]
    parts += [fnmatch.translate(pattern.rstrip("/") + "/*") for pattern in patterns]
    return re.compile("|".join(f"(?:{part})" for part in parts)).match  # type: ignore[return-value]


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def discover(root: Path, settings: Settings, output: Path | None = None,
             only: Iterable[tuple[str, bool]] | None = None, sizes: bool = True) -> tuple[list[SourceFile], list[Problem]]:
    """Every file that may hold a goal or an entry, in a stable order, and what was skipped with a reason.

    `root` must be resolved. Links are never followed out of the vault; links inside it are read
    at their real place, so nothing counts twice. `only` limits the scan to some folders (relative
    to the vault, "" for its root), each with or without its sub-folders: what a watcher re-reads.
    Without `sizes`, each file's size and time are left `UNSEEN`, for `read_source` to fill in from the
    file it opens: a first read opens every file anyway, and looking first cost a third of this scan.
    """
    files: list[SourceFile] = []
    problems: list[Problem] = []
    excluded = _excluder(settings.exclude)
    goals_prefix = settings.goals_dir.strip("/") + "/"
    journal_prefix = settings.journal_dir.strip("/") + "/"
    folders: list[tuple[Path, str, bool]] = (
        [(root, "", True)] if only is None
        else [(root / rel if rel else root, rel + "/" if rel else "", deep) for rel, deep in only])
    while folders:
        folder, prefix, deep = folders.pop()
        try:
            with os.scandir(folder) as scan:
                children = sorted(scan, key=lambda child: child.name)
        except FileNotFoundError:
            continue  # removed while we looked (a watcher re-reading a deleted folder)
        except OSError as error:
            problems.append(Problem(Location(prefix.rstrip("/") or "."), Severity.WARNING, "unreadable",
                                    f"This folder cannot be read: {error.strerror}.",
                                    "Check the folder's permissions."))
            continue
        names = frozenset(child.name for child in children)
        subfolders: list[tuple[Path, str, bool]] = []
        for child in children:
            rel = prefix + child.name
            name = child.name
            if name.startswith("."):
                icloud = _ICLOUD.fullmatch(name)
                if icloud and icloud.group("name").lower().endswith(EXTENSIONS):
                    problems.append(Problem(
                        Location(rel), Severity.WARNING, "conflict-copy",
                        f"“{icloud.group('name')}” is still in iCloud and not downloaded to this computer, "
                        "so goalsite could not read it.",
                        "Open the folder in Finder and choose “Download Now”, then build again."))
                continue
            try:
                is_link = child.is_symlink()
                is_dir = child.is_dir(follow_symlinks=True)
            except OSError:
                continue
            if is_link:
                try:
                    target = Path(os.path.realpath(child.path))
                except (OSError, RuntimeError):
                    target = None
                if target is None or not _inside(target, root):
                    if is_dir or name.lower().endswith(EXTENSIONS):
                        problems.append(Problem(
                            Location(rel), Severity.WARNING, "outside-link",
                            "This is a link to a place outside the vault; goalsite does not follow it.",
                            "Move the file into the vault if it should count."))
                    continue
                if is_dir or name.lower().endswith(EXTENSIONS):
                    problems.append(Problem(
                        Location(rel), Severity.INFO, "inside-link",
                        "This is a link to another place in the vault; goalsite reads that place instead, "
                        "so nothing counts twice.", ""))
                continue
            if is_dir:
                if name in IGNORED_FOLDERS or (not prefix and name == THEME_FOLDER):
                    continue
                path = Path(child.path)
                if output is not None and path == output:
                    continue
                if excluded(rel) or not deep:
                    continue
                subfolders.append((path, rel + "/", True))
                continue
            if not name.lower().endswith(EXTENSIONS) or (not prefix and name == SETTINGS_FILE):
                continue
            if excluded(rel):
                continue
            conflict = conflict_original(name, names)
            if conflict:
                service, original = conflict
                problems.append(Problem(
                    Location(rel), Severity.WARNING, "conflict-copy",
                    f"This looks like a copy {service} made when “{original}” was changed in two places; "
                    "goalsite left it out so nothing is counted twice.",
                    f"Compare it with “{original}”, keep the text you want there, then delete this copy."))
                continue
            kind = "goal" if rel.startswith(goals_prefix) else "entry" if rel.startswith(journal_prefix) else None
            if not sizes:
                try:
                    if child.is_file(follow_symlinks=False):  # (what the folder says: no look at the file)
                        files.append(SourceFile(child.path, rel, kind, UNSEEN, UNSEEN))
                except OSError:
                    pass
                continue
            try:
                info = child.stat(follow_symlinks=False)
            except OSError:
                continue
            if not stat.S_ISREG(info.st_mode):
                continue
            files.append(SourceFile(child.path, rel, kind, info.st_size, info.st_mtime_ns))
        folders.extend(reversed(subfolders))
    files.sort(key=lambda source: source.rel)
    return files, problems


def read_source(source: SourceFile) -> tuple[bytes | None, Problem | None, SourceFile]:
    """The file's bytes, or why it could not be read, and the source with its size and time (looked up
    in the file opened, when `discover` left them `UNSEEN`). Never follows a link, never reads past 2 MiB."""
    where = Location(source.rel)
    if source.size > MAX_FILE_BYTES:
        return None, _too_large(where, source.size), source
    try:
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
        descriptor = os.open(source.path, flags)
        try:
            if source.size == UNSEEN:
                info = os.fstat(descriptor)
                source = source.seen(info.st_size, info.st_mtime_ns)
                if not stat.S_ISREG(info.st_mode):  # (a folder's word for it may be out of date)
                    return None, None, source
                if source.size > MAX_FILE_BYTES:
                    return None, _too_large(where, source.size), source
            data = _read_up_to(descriptor, MAX_FILE_BYTES + 1, min(source.size, MAX_FILE_BYTES) + 1)
        finally:
            os.close(descriptor)
    except FileNotFoundError:
        return None, Problem(where, Severity.WARNING, "unreadable",
                             "This file disappeared while goalsite was reading the vault.",
                             "If you just moved or renamed it, build again."), source
    except OSError as error:
        return None, Problem(where, Severity.ERROR, "unreadable",
                             f"This file cannot be read: {error.strerror or error}.",
                             "Check the file's permissions."), _looked_at(source)
    if len(data) > MAX_FILE_BYTES:
        return None, _too_large(where, len(data)), source
    return data, None, source


def _looked_at(source: SourceFile) -> SourceFile:
    """A file that could not be opened, with the size and time a look at it gives (as `discover` would
    have noted them), so that the next build does not take them for a change."""
    if source.size != UNSEEN:
        return source
    try:
        info = os.lstat(source.path)
    except OSError:
        return source
    return source.seen(info.st_size, info.st_mtime_ns)


def _read_up_to(descriptor: int, limit: int, expected: int) -> bytes:
    """At most `limit` bytes, asking first for the `expected` size (a file may have grown since it was listed)."""
    parts: list[bytes] = []
    size = 0
    while size < limit:
        chunk = os.read(descriptor, min(limit - size, expected if not parts else 1 << 16))
        if not chunk:
            break
        parts.append(chunk)
        size += len(chunk)
    return b"".join(parts)


def _too_large(where: Location, size: int) -> Problem:
    return Problem(where, Severity.ERROR, "too-large",
                   f"This file is {size / 1024 / 1024:.1f} MiB; goalsite reads files up to 2 MiB.",
                   "Split it into smaller files (one entry per day), or add it to `exclude:` in goalsite.yaml.")


def listing_digest(sources: list[SourceFile], problems: list[Problem]) -> bytes:
    """What a whole scan found, in 32 bytes: every file's name, kind, size and time, and the notes on the rest."""
    digest = hashlib.blake2b(digest_size=32)
    for source in sources:
        digest.update(f"{source.rel}\0{source.kind}\0{source.size}\0{source.mtime_ns}\n".encode("utf-8", "replace"))
    digest.update(repr(problems).encode("utf-8", "replace"))
    return digest.digest()
