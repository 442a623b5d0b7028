"""Writing the site without ever harming what goalsite did not make.

A marker file proves a folder is ours and lists the files we wrote; only
those are ever removed. Paths are compared after resolving links, never as
strings. Each file is written to a temporary file beside it and renamed over,
and a file whose bytes did not change is left alone (its time stays), so a
synced output folder does not churn.
"""

from __future__ import annotations

import errno
import json
import os
from dataclasses import dataclass
from pathlib import Path

from goalsite.errors import UsageError

MARKER = ".goalsite-output"
TEMP_TAG = ".goalsite-tmp-"


@dataclass(frozen=True)
class WriteReport:
    written: tuple[str, ...]
    unchanged: int
    removed: tuple[str, ...]


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def default_output(vault: Path, configured: str | None) -> Path:
    if configured:
        return (vault / Path(configured).expanduser()).absolute()
    return vault.parent / f"{vault.name}-site"


def check_output(output: Path, vault: Path) -> Path:
    """The resolved output folder, or a UsageError saying plainly why goalsite will not write there."""
    out = Path(os.path.realpath(output))
    root = Path(os.path.realpath(vault))
    if out == root:
        raise UsageError(f"The output folder {output} is the vault itself; goalsite never writes into your vault. "
                         "Choose another folder with -o.")
    if _inside(root, out):
        raise UsageError(f"The vault is inside the output folder {output}; choose an output folder outside the vault.")
    if _inside(out, root):
        first = out.relative_to(root).parts[0]
        if not first.startswith("."):
            raise UsageError(f"The output folder {output} is inside the vault; goalsite never writes into your vault. "
                             "Choose a folder beside the vault, or a dot-folder such as .site inside it.")
    if out.exists() or out.is_symlink():
        if not out.is_dir():
            raise UsageError(f"{output} exists and is not a folder; choose another output folder with -o.")
        try:
            names = os.listdir(out)
        except OSError as error:
            raise UsageError(f"The output folder {output} cannot be read: {error.strerror}.") from error
        if names and MARKER not in names:
            raise UsageError(f"{output} already has files that goalsite did not make, so it was left alone. "
                             "Choose an empty or new folder with -o.")
    return out


def read_manifest(out: Path) -> set[str]:
    try:
        data = json.loads((out / MARKER).read_text(encoding="utf-8"))
        files = data.get("files", [])
        return {name for name in files if isinstance(name, str)}
    except (OSError, ValueError, AttributeError):
        return set()


def _manifest_bytes(files: set[str]) -> bytes:
    text = json.dumps({"goalsite": 1, "note": "This folder was made by goalsite; it lists the files it wrote.",
                       "files": sorted(files)}, indent=1, ensure_ascii=False)
    return (text + "\n").encode("utf-8")


def write_if_changed(path: Path | str, data: bytes, new: bool = False) -> bool:
    """Atomically write `data` to `path` unless it already holds exactly those bytes. True when written.
    `new`: the caller knows the file is not there, so it is not looked at first. (A worker writing
    thousands of pages gives their paths as text: making a `Path` of each cost more than the write.)"""
    if new and link_new(path, data) is not None:
        return True
    path = Path(path)
    if not new:
        try:
            if path.stat().st_size == len(data) and path.read_bytes() == data:
                return False
        except OSError:
            pass
    temporary = path.with_name(f".{path.name}{TEMP_TAG}{os.getpid()}")
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0)
    try:
        try:
            descriptor = os.open(temporary, flags, 0o666)
        except FileNotFoundError:  # its folder is new
            path.parent.mkdir(parents=True, exist_ok=True)
            descriptor = os.open(temporary, flags, 0o666)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(descriptor, view):]
        finally:
            os.close(descriptor)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return True


_PROC_FDS: dict[int, int | None] = {}  # process id → its /proc/self/fd (a forked child opens its own), or
# None where new files cannot be linked in (no /proc, or a file system without unnamed files)
_UNSUPPORTED = (errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL)  # what an open with O_TMPFILE says where it cannot be


def link_new(path: Path | str, data: bytes) -> os.stat_result | None:
    """Write a file that is not there yet as an unnamed file in its folder, and link it in when whole
    (Linux `O_TMPFILE`): a stopped build leaves nothing behind, and the folder changes once, not twice.
    What the file then is (its size and time, which linking does not change); None when this cannot be
    done here (the caller writes a temporary file and renames it instead)."""
    flag = getattr(os, "O_TMPFILE", 0)
    fds = _proc_fds() if flag else None
    if fds is None:
        return None
    try:
        descriptor = os.open(os.path.dirname(path) or ".", flag | os.O_WRONLY, 0o666)
    except OSError as error:
        if error.errno in _UNSUPPORTED:  # not on this file system: not tried again
            _stop_linking(fds)
        return None
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(descriptor, view):]
        os.link(str(descriptor), path, src_dir_fd=fds, follow_symlinks=True)
        return os.fstat(descriptor)
    except OSError as error:
        if error.errno != errno.EEXIST:  # refused here (not just a file already there): not tried again
            _stop_linking(fds)
        return None
    finally:
        os.close(descriptor)


def _stop_linking(fds: int) -> None:
    os.close(fds)
    _PROC_FDS[os.getpid()] = None


def _proc_fds() -> int | None:
    pid = os.getpid()
    if pid not in _PROC_FDS:
        try:
            _PROC_FDS[pid] = os.open("/proc/self/fd", os.O_RDONLY | os.O_DIRECTORY)
        except OSError:
            _PROC_FDS[pid] = None
    return _PROC_FDS[pid]


def _safe_relative(name: str) -> bool:
    parts = name.split("/")
    return bool(name) and not name.startswith("/") and all(part not in ("", ".", "..") for part in parts) \
        and "\\" not in name and name != MARKER


def announce(out: Path, names: set[str]) -> None:
    """List files in the marker before other processes write them, so a stopped build still knows them."""
    out.mkdir(parents=True, exist_ok=True)
    write_if_changed(out / MARKER, _manifest_bytes(names))


def write_site(out: Path, files: dict[str, bytes | None], known: dict[str, bytes | None] | None = None,
               sweep_all: bool = True, written_elsewhere: list[str] | None = None) -> WriteReport:
    """Write every file, then remove what an earlier build wrote that no page needs any more.

    `out` must have passed `check_output`. The marker lists old and new files while writing,
    so a build stopped halfway still knows every file it may have left. `known` is what this
    process wrote last time: a file with the same bytes there is not even read back from disk.
    A file given as None is known to be on disk as it should be, and is left alone;
    `written_elsewhere` names those of them that were just written (by another process, or earlier).
    """
    # Only what is written here is checked: a file given as None is left alone, and removing checks again.
    todo = sorted((name, data) for name, data in files.items() if data is not None)
    for name, _data in todo:
        if not _safe_relative(name):
            raise ValueError(f"refusing to write outside the output folder: {name!r}")
    out.mkdir(parents=True, exist_ok=True)
    previous = read_manifest(out)
    if not previous:  # the folder was removed or emptied since (cleaned while watching): nothing known is there
        known = None
    wanted = set(files)
    if not wanted <= previous:
        write_if_changed(out / MARKER, _manifest_bytes(previous | wanted))
    written = []
    unchanged = len(files) - len(todo)
    known = known or {}
    for name, data in todo:
        if known.get(name) == data:  # bytes compare by identity first: cheap when unchanged
            unchanged += 1
            continue
        if write_if_changed(out / name, data, new=name not in previous):  # never written: not looked at first
            written.append(name)
        else:
            unchanged += 1
    removed = []
    for name in sorted(previous - wanted):
        if not _safe_relative(name):
            continue
        path = out / name
        if path.is_file() or path.is_symlink():
            path.unlink()
            removed.append(name)
            _remove_empty_parents(path.parent, out)
    # A killed build's temporary files: every folder on a whole build, the folders just written otherwise.
    _remove_leftover_temporaries(out, wanted if sweep_all else set(written))
    if wanted != previous:
        write_if_changed(out / MARKER, _manifest_bytes(wanted))
    if written_elsewhere:
        written = sorted([*written, *written_elsewhere])
        unchanged -= len(written_elsewhere)
    return WriteReport(tuple(written), unchanged, tuple(removed))


def _remove_empty_parents(folder: Path, out: Path) -> None:
    while folder != out and _inside(folder, out):
        try:
            folder.rmdir()  # only ever succeeds on an empty folder
        except OSError:
            return
        folder = folder.parent


def _remove_leftover_temporaries(out: Path, wanted: set[str]) -> None:
    """Temporary files of a build that was killed mid-write: only goalsite's own names, only in its folders."""
    folders = [out, *(out / folder for folder in {name.rsplit("/", 1)[0] for name in wanted if "/" in name})]
    for folder in folders:
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        for name in names:
            if TEMP_TAG in name and name.startswith("."):
                (folder / name).unlink(missing_ok=True)
