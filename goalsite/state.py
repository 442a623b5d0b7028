"""What a build leaves beside its output, so the next `goalsite build` reads and renders only what changed.

Two files: a small summary (the settings, the theme's and every vault file's size and time, the
size and time of every file written, and what to report) and the model (what was read, parsed and
analysed). The next build looks at every vault file's size and time (not its bytes); when nothing
changed and the output is as it was left, it reports the summary and renders nothing, without
waiting for the model. Otherwise it loads the model and parses and renders only what changed (the
command loads it while a forked process looks at the files: `look`). A
small change saves only the summary, with the few files read since the model was saved: the model
is written again after a whole render or once many files changed.

The state is a pickle, so it is signed: the key lives in the user's cache folder, never in the
vault or the output. A state that was edited, synced from another machine, or written by another
version of goalsite or its theme is ignored, and the build starts from scratch.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import hmac
import io
import os
import pickle
import secrets
import select
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from goalsite import __version__, forked
from goalsite.config import Settings, load_settings, today_in
from goalsite.errors import Problem
from goalsite.model import Entry, collector_paused
from goalsite.output import TEMP_TAG, check_output, default_output
from goalsite.shipped import theme_folders
from goalsite.vault import SourceFile, discover, listing_digest, vault_folder

if TYPE_CHECKING:
    from goalsite.analysis import Analysis, GoalCache
    from goalsite.export import CsvCache
    from goalsite.load import FileRead, Piece, Reading
    from goalsite.model import Vault

STATE = ".goalsite-state"
MODEL = ".goalsite-model"
STATE_FILES = (STATE, MODEL)
_HEADER = b"goalsite-state 1\n"
_PACKAGE = Path(__file__).resolve().parent


@dataclass
class Saved:
    """The model, kept in its own file: loaded only when something changed."""

    reading: Reading
    vault: Vault
    analysis: Analysis
    goal_cache: GoalCache
    link_world: object
    compiled: dict[str, bytes]  # the theme's templates, compiled (`render.Compiled`)
    csv_rows: CsvCache  # each goal's rows of measurements.csv


@dataclass
class Summary:
    """What the next build checks before anything else, and what it reports when nothing changed."""

    root: str
    output: str
    settings: Settings
    theme: tuple[tuple[str, int, int], ...]  # every template and static file: path, size, time
    today: dt.date
    sources: bytes  # digest of what discovery found: every file's name, size and time, and its notes
    outputs: dict[str, tuple[int, int]]  # every file written: size, time
    model: bytes  # the signature of the model file that goes with this summary
    # Files read again since the model was saved, each as the last build read it (None: it was gone),
    # and what discovery said folder by folder: laid over the model, they give what the last build saw.
    drift: dict[str, tuple[SourceFile, FileRead] | None]
    found: dict[str, list[Problem]]
    same_figures: bool  # the model's analysis is the last build's: every change since was past what lists show
    goals: int
    entries: int
    files_read: int
    problems: tuple[Problem, ...]
    shared: dict[str, Any]  # what every page shared (the templates' `site`): pages that show a change are made again


def signature(folders: list[Path]) -> tuple[tuple[str, int, int], ...]:
    """Size and time of every file under `folders`: a theme edit shows here."""
    found = []
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            try:
                info = path.stat()
            except OSError:
                continue
            found.append((str(path), info.st_size, info.st_mtime_ns))
    return tuple(found)


def outputs(out: Path, names: list[str]) -> dict[str, tuple[int, int]]:
    found = {}
    folder = str(out) + os.sep
    for name in names:
        try:
            info = os.stat(folder + name)
        except OSError:
            continue
        found[name] = (info.st_size, info.st_mtime_ns)
    return found


def unchanged_outputs(out: Path, recorded: dict[str, tuple[int, int]]) -> set[str]:
    """The written files that are still exactly as goalsite left them."""
    now = outputs(out, list(recorded))
    return {name for name, seen in recorded.items() if now.get(name) == seen}


def _code_stamp() -> bytes:
    """Which goalsite made a state: its version, Python's, and its source files' sizes and times."""
    parts = [__version__, sys.version, str(_PACKAGE)]
    for path in sorted(_PACKAGE.glob("*.py")):
        info = path.stat()
        parts.append(f"{path.name}:{info.st_size}:{info.st_mtime_ns}")
    return hashlib.sha256("\n".join(parts).encode("utf-8")).digest()


def _cache_folder() -> Path:
    """goalsite's folder in the user's cache folder: the signing key, and the last theme compiled."""
    return Path(os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")) / "goalsite"


def _key() -> bytes | None:
    """The signing key, made on first use in the user's cache folder (readable by its owner only)."""
    path = _cache_folder() / "state-key"
    try:
        return path.read_bytes()
    except FileNotFoundError:
        pass
    except OSError:
        return None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(secrets.token_bytes(32))
        return path.read_bytes()
    except FileExistsError:  # another build made it just now
        return path.read_bytes()
    except OSError:
        return None


def _signer(key: bytes) -> hmac.HMAC:
    """A signature begun with which goalsite signs: what it signs is added to it."""
    return hmac.new(key, _code_stamp(), hashlib.sha256)


def _mac(key: bytes, data: bytes | memoryview) -> bytes:
    mac = _signer(key)
    mac.update(data)  # not joined to the stamp first: that would copy the model
    return mac.digest()


def _read_signed(path: Path, key: bytes, stop: Callable[[], None] | None = None) -> tuple[bytes, memoryview] | None:
    """(signature, data) of a file this machine's goalsite wrote, or None. The data is a view into the
    file's bytes, not a copy of them (the model is tens of megabytes). `stop` is asked between pieces."""
    try:
        blob = path.read_bytes()
    except OSError:
        return None
    if not blob.startswith(_HEADER):
        return None
    mac, data = blob[len(_HEADER):len(_HEADER) + 32], memoryview(blob)[len(_HEADER) + 32:]
    signer = _signer(key)
    for start in range(0, len(data), _PIECE):
        if stop is not None:
            stop()
        signer.update(data[start:start + _PIECE])
    if not hmac.compare_digest(mac, signer.digest()):
        return None
    return mac, data


_PIECE = 1 << 22  # bytes signed between two looks at whether a load is still wanted


class _Asked(io.BytesIO):
    """The model's bytes (`data`, a view to the end of the file's bytes) as a file for the unpickler, on
    the file's bytes themselves: a copy would cost 27 ms at 10,000 entries. The unpickler reads a frame
    (some 64 KiB) at a time; `stop`, when given, is asked before each, so that a load no longer wanted
    ends at once."""

    def __init__(self, data: memoryview, stop: Callable[[], None] | None) -> None:
        whole = data.obj
        assert isinstance(whole, bytes)
        super().__init__(whole)  # shared with the bytes object until written to, which it never is
        self.seek(len(whole) - len(data))
        self.stop = stop

    def read(self, size: int | None = -1) -> bytes:
        if self.stop is not None:
            self.stop()
        return super().read(size)


def _unpickle(data: bytes | memoryview) -> object:
    try:
        with collector_paused():
            return pickle.loads(data)
    except Exception:  # a state from a goalsite whose classes changed: start from scratch
        return None


class Stopped(Exception):
    """A load that `stop` ended: its answer is no longer wanted."""


def load_summary(out: Path) -> Summary | None:
    """The summary the last build left in `out`, or None when there is none to trust."""
    if not (out / STATE).is_file():  # none: no signing key is made just to look
        return None
    key = _key()
    signed = _read_signed(out / STATE, key) if key is not None else None
    summary = _unpickle(signed[1]) if signed is not None else None
    return summary if isinstance(summary, Summary) else None


def load_model(out: Path, summary: Summary, stop: Callable[[], None] | None = None) -> Saved | None:
    """The model that goes with `summary`, or None when there is none to trust. `stop` is called now and
    then while it loads: it raises `Stopped` to end the load (which then raises it too)."""
    key = _key()
    signed = _read_signed(out / MODEL, key, stop) if key is not None else None
    if signed is None or not hmac.compare_digest(signed[0], summary.model):
        return None
    saved = _unpickle_model(signed[1], stop)
    return saved if isinstance(saved, Saved) else None


def _unpickle_model(data: memoryview, stop: Callable[[], None] | None) -> object:
    """The model as `write_model` wrote it: the readers' pieces, then the rest, which points into them.
    The model's reading keeps each piece as it lies in the file's bytes, beside what it holds: a build
    that saves the model again (a new day's, or one past `DRIFT_LIMIT` files) writes the pieces whose
    files are still as read as they are, rather than pickling every entry again."""
    stream = _Asked(data, stop)
    whole = memoryview(data.obj)  # (the file's bytes, which `data` and the stream lie in)
    try:
        with collector_paused():
            from goalsite.load import decode_reads  # (here: looking for changes needs no parser)

            pieces: list[Piece] = []
            for length in pickle.load(stream):
                if stop is not None:  # (as the stream asks before each frame it reads)
                    stop()
                at = stream.tell()
                sent = whole[at:at + length]
                pieces.append((sent, decode_reads(sent)))
                stream.seek(at + length)
            saved = _ModelUnpickler(stream, [held for _sent, held in pieces]).load()
            if isinstance(saved, Saved):
                saved.reading.pieces = pieces
            return saved
    except Stopped:
        raise
    except Exception:  # a state from a goalsite whose classes changed: start from scratch
        return None


def _from_pieces(piece: int, place: int, part: int) -> object:
    """Stands in the saved model for what a reader's piece holds (`_ModelPickler`); only the model's own
    unpickler knows the pieces, and it calls its own `_ModelUnpickler.from_pieces` instead."""
    raise pickle.UnpicklingError("a reference into the model's pieces, met outside the model")


class _ModelPickler(pickle.Pickler):
    """Pickles the model but for what the readers' pieces hold, which it names by its place in them: every
    file's reading, its parse, and the entry or goal in it. An entry linked to goals (a copy of the one
    read, but for its goals) is made again from that one when loaded."""

    def __init__(self, file: _Signed, pieces: list[Piece], linked: dict[int, tuple[Entry, tuple[str, ...]]]) -> None:
        from goalsite.documents import Parsed
        from goalsite.load import FileRead
        from goalsite.model import Goal

        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        places: dict[int, tuple[int, int, int]] = {}
        for number, (_sent, held) in enumerate(pieces):
            for place, (_rel, read) in enumerate(held):
                places[id(read)] = (number, place, 0)
                places[id(read.parsed)] = (number, place, 1)
                if read.parsed.entry is not None:
                    places[id(read.parsed.entry)] = (number, place, 2)
                if read.parsed.goal is not None:
                    places[id(read.parsed.goal)] = (number, place, 3)

        def reduce(obj: object) -> Any:
            place = places.get(id(obj))
            if place is not None:
                return _from_pieces, place
            goals = linked.get(id(obj))
            if goals is not None:
                return Entry.with_goals, goals
            return obj.__reduce_ex__(pickle.HIGHEST_PROTOCOL)  # as pickle would, without this table

        # Asked only of the kinds of object the pieces hold (a `reducer_override` is asked of every
        # object but the plainest: 100,000 calls at 10,000 entries, a sixth of the pickling). A function
        # of its own, not a method: a pickler holding its own method could be freed only by the cycle
        # collector, which a build turns off, and would keep its memo (64 MB at 50,000 entries).
        self.dispatch_table = dict.fromkeys((FileRead, Parsed, Entry, Goal), reduce)


class _ModelUnpickler(pickle.Unpickler):
    def __init__(self, file: BinaryIO, pieces: list[list[tuple[str, FileRead]]]) -> None:
        super().__init__(file)
        self.pieces = pieces

    def find_class(self, module: str, name: str) -> Any:
        if module == __name__ and name == _from_pieces.__name__:
            return self.from_pieces
        return super().find_class(module, name)

    def from_pieces(self, piece: int, place: int, part: int) -> object:
        read = self.pieces[piece][place][1]
        return (read, read.parsed, read.parsed.entry, read.parsed.goal)[part]


def _write(path: Path, fill: Callable[[BinaryIO], object]) -> bool:
    """`fill` writes the file, into a temporary file renamed over `path`; False when that failed."""
    temporary = path.with_name(f".{path.name}{TEMP_TAG}{os.getpid()}")  # swept like any temporary file of a killed build
    try:
        with open(temporary, "wb") as handle:
            fill(handle)
        os.replace(temporary, path)
    except OSError:
        _remove(temporary, path)
        return False
    return True


class _Signed:
    """Where `pickle.dump` writes the model: into its file, signing each piece as it passes, so the
    model is never held whole in memory (tens of megabytes, at the build's busiest moment)."""

    def __init__(self, handle: BinaryIO, mac: hmac.HMAC) -> None:
        self.handle, self.mac = handle, mac

    def write(self, data: bytes | memoryview) -> int:
        self.mac.update(data)
        return self.handle.write(data)


def write_model(out: Path, saved: Saved) -> bytes | None:
    """The model pickled, signed and written beside the output; its signature, which the summary
    saved next must hold (until then, the summary already there does not trust it). None when
    there is no key to sign it with, or it could not be written."""
    key = _key()
    if key is None:
        return None
    mac = _signer(key)
    files = saved.reading.files
    # The readers' pieces whose every file is still as read go in as they were sent: pickled once, in
    # the readers, rather than again here while the pages render. The rest points into them.
    pieces = [(sent, held) for sent, held in saved.reading.pieces if all(files.get(rel) is read for rel, read in held)]
    held_entries = {id(read.parsed.entry) for _sent, held in pieces for _rel, read in held if read.parsed.entry}
    linked = {id(done.entry): (done.source, done.entry.goals) for done in saved.reading.linked.values()
              if done.entry is not done.source and id(done.source) in held_entries}

    def fill(handle: BinaryIO) -> None:
        handle.write(_HEADER + bytes(32))  # the signature's place, filled in once the model is written
        signed = _Signed(handle, mac)
        with collector_paused():
            pickle.dump([len(sent) for sent, _held in pieces], signed, protocol=pickle.HIGHEST_PROTOCOL)
            for sent, _held in pieces:
                signed.write(sent)
            _ModelPickler(signed, pieces, linked).dump(saved)
        handle.seek(len(_HEADER))
        handle.write(mac.digest())

    return mac.digest() if _write(out / MODEL, fill) else None


def save(out: Path, summary: Summary, model: bytes | None) -> None:
    """The summary written beside the output; a build that cannot save it starts from scratch next time.
    `model` is the signature of the model `write_model` wrote for it; None keeps the model file as it
    is (nothing in it changed)."""
    key = _key()
    if key is None:
        forget(out)
        return
    if model is not None:
        summary.model = model
    with collector_paused():
        data = pickle.dumps(summary, protocol=pickle.HIGHEST_PROTOCOL)
    _write(out / STATE, lambda handle: handle.writelines((_HEADER, _mac(key, data), data)))


_COMPILED = "compiled-templates"  # in the cache folder: the templates the last build compiled


def load_compiled() -> dict[str, bytes]:
    """The templates a build compiled last (`render.Compiled.codes`), for a build with no state of its own
    (a new output folder): compiling the default theme takes a tenth of a second. Jinja uses one only
    while its template's source is the same; this goalsite signed them, so any other's are left out."""
    key = _key()
    found = _read_signed(_cache_folder() / _COMPILED, key) if key is not None else None
    codes = _unpickle(found[1]) if found is not None else None
    if not isinstance(codes, dict):
        return {}
    return {name: code for name, code in codes.items() if isinstance(name, str) and isinstance(code, bytes)}


def save_compiled(codes: dict[str, bytes]) -> None:
    """The templates just compiled, for the next build into a new folder (`load_compiled`)."""
    key = _key()
    if key is None:
        return
    with collector_paused():
        data = pickle.dumps(codes, protocol=pickle.HIGHEST_PROTOCOL)
    _write(_cache_folder() / _COMPILED, lambda handle: handle.writelines((_HEADER, _mac(key, data), data)))


def forget(out: Path) -> None:
    _remove(out / STATE, out / MODEL)


def _remove(*paths: Path) -> None:
    """The state's files gone, where they can be: one that cannot be written or removed (a folder made
    under its name) is not trusted by the next build, which starts from scratch; this one goes on."""
    for path in paths:
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)


@dataclass
class Look:
    """What the quick check saw, handed on to the build when something changed."""

    root: Path
    out: Path
    settings: Settings
    setting_problems: list[Problem]
    summary: Summary | None
    listing: tuple[list[SourceFile], list[Problem]] | None = None
    intact: set[str] | None = None  # the written files still as they were left, when it looked at them
    unchanged: bool = False
    saved: Saved | None = None  # the model, when it was loaded while the files were looked at


def look(vault_path: Path | str, output: Path | str | None, today: dt.date | None, load: bool = False,
         meanwhile: Callable[[], object] | None = None) -> Look:
    """Whether anything changed since the last build: the same settings, theme and day, every vault file
    the same size and time, every written file as it was left. This reads no vault file and loads no
    model, so an unchanged vault of any size is checked at once.

    With `load`, what a build after a change needs first is done meanwhile, on another core: a forked
    process looks at the files while this one does `meanwhile` and loads the model, and the load stops
    the moment the answer is that nothing changed (see `_look_while_loading`)."""
    root = vault_folder(vault_path)
    settings, setting_problems = load_settings(root)
    out = check_output(Path(output) if output is not None else default_output(root, settings.output), root)
    summary = load_summary(out)
    seen = Look(root, out, settings, setting_problems, summary)
    if summary is None or summary.root != str(root) or summary.output != str(out) or summary.settings != settings:
        seen.summary = None
        return seen
    if summary.today != (today or today_in(settings)) or summary.theme != signature(theme_folders(root, settings.theme)):
        return seen
    if load and forked.may_fork():
        _look_while_loading(seen, meanwhile)
    else:
        _look_at_files(seen)
    return seen


def _look_at_files(seen: Look) -> None:
    """Every written file, then every vault file, by size and time, against the summary."""
    assert seen.summary is not None
    seen.intact = unchanged_outputs(seen.out, seen.summary.outputs)
    if len(seen.intact) != len(seen.summary.outputs):
        return
    sources, problems = seen.listing = discover(seen.root, seen.settings, seen.out)
    seen.unchanged = listing_digest(sources, seen.setting_problems + problems) == seen.summary.sources


_UNCHANGED, _CHANGED = b"=", b"~"  # the looking process's first byte; after `_CHANGED`, what it saw, pickled


def _look_while_loading(seen: Look, meanwhile: Callable[[], object] | None) -> None:
    """`_look_at_files` in a forked process, while this one does `meanwhile` and loads the model. Both
    take a few tenths of a second at 10,000 entries, and a build after an edit needs both: side by side,
    it starts that much sooner. When nothing changed, the load stops as soon as the answer comes (the
    model is not needed), so that case costs what it did. If the looking process fails, this one looks."""
    assert seen.summary is not None
    readable, writable = os.pipe()
    try:
        pid = os.fork()
    except OSError:  # no process to spare: look here
        os.close(readable)
        os.close(writable)
        _look_at_files(seen)
        return
    if pid == 0:  # the forked process: it looks, answers and ends
        status = 1
        try:
            os.close(readable)
            _look_at_files(seen)
            answer = _UNCHANGED if seen.unchanged else \
                _CHANGED + pickle.dumps((seen.intact, seen.listing), protocol=pickle.HIGHEST_PROTOCOL)
            with open(writable, "wb") as sink:
                sink.write(answer)
            status = 0
        finally:
            os._exit(status)  # never the parent's exit handlers, nor its buffered output
    os.close(writable)
    first = b""

    def stop() -> None:
        nonlocal first
        if not first and select.select([readable], [], [], 0)[0]:
            first = os.read(readable, 1) or _CHANGED  # an empty read: it failed, and this process will look
            if first == _UNCHANGED:
                raise Stopped

    answer = b""
    try:
        if meanwhile is not None:
            meanwhile()
        with contextlib.suppress(Stopped):
            seen.saved = load_model(seen.out, seen.summary, stop)
        with open(readable, "rb", closefd=False) as source:
            answer = first + source.read()
    finally:
        os.close(readable)
        os.waitpid(pid, 0)
    if answer == _UNCHANGED:
        seen.unchanged, seen.saved, seen.intact = True, None, set(seen.summary.outputs)
        return
    try:
        seen.intact, seen.listing = pickle.loads(answer[1:])
    except Exception:  # it failed, or was stopped, before it had answered whole: look here
        _look_at_files(seen)
