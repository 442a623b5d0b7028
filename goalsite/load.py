"""A whole vault read into the frozen model: files found, parsed, linked and checked."""

from __future__ import annotations

import datetime as dt
import hashlib
import marshal
import os
import pickle
from collections.abc import Callable, Container, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, NamedTuple, Protocol

from goalsite import forked
from goalsite.config import Settings, did_you_mean, load_settings, today_in
from goalsite.documents import Parsed, parse_document
from goalsite.errors import Location, Problem, Severity
from goalsite.markup import LISTED_WORDS, link_key, plain_excerpt
from goalsite.model import Entry, FieldValue, GasRating, Goal, Link, Questionnaire, Vault, collector_paused
from goalsite.smart import validate_goals
from goalsite.vault import SourceFile, discover, listing_digest, read_source

Progress = Callable[[int, int], None]  # (files read, files in all)
PARALLEL_FROM = 400  # files in a first whole read before it is spread over the cores


def load_vault(root: Path, today: dt.date | None = None, output: Path | None = None,
               settings: tuple[Settings, list[Problem]] | None = None,
               progress: Progress | None = None) -> tuple[Vault, dt.date]:
    """Read the vault at `root`. `today` defaults to today in the vault's timezone; the one used is returned.

    `settings` may be passed when the caller has already read them (with their problems)."""
    root = Path(root).resolve()
    config, setting_problems = settings if settings is not None else load_settings(root)
    reading = Reading(root, config, list(setting_problems), output)
    with collector_paused():
        reading.reread(None, progress)
        today = today or today_in(config)
        return assemble(reading, today), today


@dataclass
class FileRead:
    """One file as last read."""

    signature: tuple[int, int]  # size, modification time
    digest: bytes  # of the bytes, to tell a real change from a touch
    parsed: Parsed


@dataclass
class Reading:
    """What was read from a vault, kept between builds so that a change re-reads only what it touches."""

    root: Path
    settings: Settings
    setting_problems: list[Problem]
    output: Path | None
    sources: dict[str, SourceFile] = field(default_factory=dict)
    found: dict[str, list[Problem]] = field(default_factory=dict)  # folder → what discovery said in it
    files: dict[str, FileRead] = field(default_factory=dict)
    linked: dict[str, _Linked] = field(default_factory=dict)
    keep_last_good: bool = False  # live: a file saved half-typed keeps its last good version (and its problems)
    listing: bytes = b""  # what the last whole scan found (`listing_digest`)
    # What each forked reader sent, as it sent it (pickled), with what it holds: the saved model takes
    # these bytes as they are for the files still as read (`state.write_model`). Never saved itself.
    pieces: list[Piece] = field(default_factory=list)

    def __getstate__(self) -> dict[str, object]:
        """Saved without the pieces, and without `linked`: pickling every entry's linking took a third of
        the saved model's own pickling (0.06-0.13 s of a cold build at 10,000 entries, and its loading
        part of every build after an edit), and only a change to what links where (front matter, a
        file added or removed) needs it, which links every entry again (0.1 s, against 0.045 s with it)."""
        return {**self.__dict__, "pieces": [], "linked": {}}

    def reread(self, hints: Iterable[Path] | None = None, progress: Progress | None = None,
               listing: tuple[list[SourceFile], list[Problem]] | None = None,
               meanwhile: Callable[[], None] | None = None, bodies: Handover | None = None) -> set[str]:
        """Read again what `hints` (changed paths) may have touched, or everything; the files that changed.
        `listing` is what a whole scan (`discover`) just found, when the caller has it. `meanwhile` is
        this process's own work while forked workers read (it is called only when they do); with
        `bodies`, they write what they read to its files (`Handover`)."""
        hinted: set[str] = set()
        if hints is None:
            scan: list[tuple[str, bool]] = [("", True)]
        else:
            folders: dict[str, bool] = {}
            known: set[str] | None = None
            for path in hints:
                rel = self.relative(path)
                if rel is None:
                    continue
                if rel not in self.sources and known is None:
                    # Every folder that holds something we read or reported, to tell a vanished folder from a file.
                    known = {rel.rsplit("/", 1)[0] for rel in [*self.sources, *self.found] if "/" in rel}
                    known |= {parent for folder in known for parent in _parents(folder)}
                if rel == "" or (known is not None and rel in known) or rel in self.found or path.is_dir():
                    folders[rel] = True
                else:
                    parent = rel.rsplit("/", 1)[0] if "/" in rel else ""
                    folders.setdefault(parent, False)
                    hinted.add(rel)
            through = [folder for folder, whole in folders.items() if whole]
            # A folder inside one looked through whole is looked at once (twice, it reported its problems twice).
            scan = sorted((folder, whole) for folder, whole in folders.items()
                          if not any(other != folder and (other == "" or folder.startswith(other + "/"))
                                     for other in through))
        first = not self.files and listing is None  # every file is opened: each says its size and time then
        sources, problems = listing if listing is not None and hints is None else \
            discover(self.root, self.settings, self.output, scan, sizes=not first)
        def covered(rel: str) -> bool:
            if hints is None:  # the whole vault was scanned
                return True
            parent = rel.rsplit("/", 1)[0] if "/" in rel else ""
            return any(parent == folder or (deep and (folder == "" or parent.startswith(folder + "/")))
                       for folder, deep in scan)

        was_found = {problem for folder in [name for name in self.found if covered(name + "/x")]
                     for problem in self.found.pop(folder)}
        for problem in problems:
            name = problem.location.file
            self.found.setdefault(name.rsplit("/", 1)[0] if "/" in name else "", []).append(problem)
        changed = {rel for rel in self.sources if covered(rel)} - {source.rel for source in sources}
        for rel in changed:
            del self.sources[rel]
            self.files.pop(rel, None)
        # What finding the files says (a sync tool's conflict copy appeared, a link out of the vault went)
        # changes the vault as an edit does, though no file that is read changed.
        changed |= {problem.location.file for problem in was_found.symmetric_difference(problems)}
        if first and len(sources) >= PARALLEL_FROM and forked.available():  # (live or not)
            self.pieces = _read_in_processes(sources, self.settings, progress, meanwhile, bodies)
            for _sent, held in self.pieces:
                self.files.update(held)
            files = self.files
            sources = [source.seen(*files[source.rel].signature) for source in sources]
            self.sources.update((source.rel, source) for source in sources)
            if hints is None:
                self.listing = listing_digest(sources, self.setting_problems + problems)
            return changed | {source.rel for source in sources}
        for number, source in enumerate(sources, start=1):
            if progress is not None and (number % 250 == 0 or number == len(sources)):
                progress(number, len(sources))
            self.sources[source.rel] = source
            old = self.files.get(source.rel)
            if old is not None and old.signature == (source.size, source.mtime_ns) and source.rel not in hinted:
                continue
            read = _read(source, self.settings, old)
            if first:
                source = self.sources[source.rel] = source.seen(*read.signature)
                sources[number - 1] = source
            if old is not None and read.parsed is old.parsed:
                self.files[source.rel] = read
                continue
            if self.keep_last_good and old is not None and read.parsed.goal is None and read.parsed.entry is None \
                    and (old.parsed.goal is not None or old.parsed.entry is not None) \
                    and read.parsed.problems:
                # Left out for what is wrong in it (half-typed, a conflict marker): kept as it was. A file
                # that reads fine but says it is no longer a goal or an entry (`type: note`) is not kept.
                read.parsed = Parsed(old.parsed.goal, old.parsed.entry, read.parsed.problems)
            self.files[source.rel] = read
            changed.add(source.rel)
        if hints is None:
            self.listing = listing_digest(sources, self.setting_problems + problems)
        return changed

    def relative(self, path: Path) -> str | None:
        try:
            rel = Path(os.path.abspath(path)).relative_to(self.root).as_posix()
        except ValueError:
            return None
        return "" if rel == "." else rel


def _read(source: SourceFile, settings: Settings, old: FileRead | None = None) -> FileRead:
    """One file read and parsed; when its bytes are those `old` was made from, `old`'s parse is kept."""
    data, unreadable, source = read_source(source)
    signature = (source.size, source.mtime_ns)
    if unreadable is not None or data is None:
        return FileRead(signature, b"", Parsed(None, None, (unreadable,) if unreadable else ()))
    digest = hashlib.blake2b(data, digest_size=16).digest()
    if old is not None and old.digest == digest:
        return FileRead(signature, digest, old.parsed)
    return FileRead(signature, digest, parse_document(source, data, settings))


def chunks(count: int, smallest: int) -> list[range]:
    """`range(count)` cut into pieces for a pool of workers, each an eighth of what is left per core and
    none smaller than `smallest`: large pieces first, then smaller and smaller, so that the workers
    finish together rather than one waiting while another ends a large piece."""
    cores = os.cpu_count() or 2
    pieces = []
    start = 0
    while start < count:
        size = max(smallest, (count - start) // (cores * 8))
        pieces.append(range(start, min(start + size, count)))
        start += size
    return pieces


# How a reader sends what it read (`encode_reads`): most files are entries with nothing wrong, sent as
# plain values with `marshal` (twice as quick to write as pickling the same objects: a namedtuple is
# pickled through a call to Python for each field, ten or so to an entry); anything else is pickled.
_MARSHALLED, _PICKLED = b"M", b"P"
_ENTRY_FIELDS = ("file", "date", "time", "title", "fields", "goals", "links", "goal_keys", "tags", "coping",
                 "wins", "setbacks", "session", "gas", "questionnaires", "tasks_done", "tasks_total", "body", "excerpt")
_new, _tuple_new, _day = object.__new__, tuple.__new__, dt.date.fromordinal


def _plain(read: FileRead) -> tuple[object, ...] | bytes:
    """An entry's reading as plain values, for `marshal`; anything else pickled."""
    parsed, entry = read.parsed, read.parsed.entry
    if entry is None or parsed.goal is not None or parsed.problems:
        return pickle.dumps(read, protocol=pickle.HIGHEST_PROTOCOL)
    return (read.signature, read.digest, entry.file, entry.date.toordinal(), entry.time, entry.title,
            {name: tuple(value) for name, value in entry.fields.items()}, entry.goals,
            tuple(map(tuple, entry.links)), tuple(map(tuple, entry.goal_keys)), entry.tags, entry.coping,
            entry.wins, entry.setbacks, entry.session,
            tuple((rating.goal, rating.level, tuple(rating.location)) for rating in entry.gas),
            tuple((q.kind, q.total, q.items, tuple(q.location)) for q in entry.questionnaires),
            entry.tasks_done, entry.tasks_total, entry.body,
            entry.excerpt if entry.excerpt is not None else plain_excerpt(entry.body, LISTED_WORDS))


def _from_plain(plain: Any) -> FileRead:
    """What `_plain` made, as the objects it was made from."""
    if isinstance(plain, bytes):
        read: FileRead = pickle.loads(plain)
        return read
    (signature, digest, file, day, time, title, fields, goals, links, goal_keys, tags, coping, wins, setbacks,
     session, gas, questionnaires, tasks_done, tasks_total, body, excerpt) = plain
    entry = _new(Entry)  # (its fields set as they were, not checked again)
    own = entry.__dict__  # set one by one, in the fields' order, as `__init__` does: an entry's own
    for name, value in zip(_ENTRY_FIELDS, (  # table of names then stays the one all entries share
            file, _day(day), time, title, {name: _tuple_new(FieldValue, value) for name, value in fields.items()},
            goals, tuple([_tuple_new(Link, link) for link in links]),
            tuple([_tuple_new(Link, link) for link in goal_keys]), tags, coping, wins, setbacks, session,
            tuple([GasRating(goal, level, _tuple_new(Location, at)) for goal, level, at in gas]),
            tuple([Questionnaire(kind, total, items, _tuple_new(Location, at))
                   for kind, total, items, at in questionnaires]),
            tasks_done, tasks_total, body, excerpt), strict=True):
        own[name] = value
    parsed = _new(Parsed)
    parsed.__dict__.update(goal=None, entry=entry, problems=())
    return FileRead(signature, digest, parsed)


def _plain_body(plain: tuple[Any, ...]) -> Body:
    """The `Body` of an entry `_plain` made, without making the entry."""
    file, day, time = plain[2], _day(plain[3]), plain[4]
    return Body(file, day, (day, time or "", file), plain[-2])


def encode_reads(read: list[tuple[str, FileRead]]) -> bytes:
    """What a reader read, as it sends it (and as the saved model keeps it): see `decode_reads`."""
    try:
        return _MARSHALLED + marshal.dumps([(rel, _plain(one)) for rel, one in read])
    except ValueError:  # a value marshal does not know (never made by the parser today): pickled whole
        return _PICKLED + pickle.dumps(read, protocol=pickle.HIGHEST_PROTOCOL)


def decode_reads(data: bytes | memoryview) -> list[tuple[str, FileRead]]:
    """What `encode_reads` made: new objects equal to those it was given."""
    kind, rest = bytes(data[:1]), memoryview(data)[1:]
    if kind == _PICKLED:
        read: list[tuple[str, FileRead]] = pickle.loads(rest)
        return read
    return [(rel, _from_plain(plain)) for rel, plain in marshal.loads(rest)]


@dataclass(frozen=True)
class Handover:
    """Where the early Markdown workers, forked before the vault is read, find what was read: `readers`,
    the forked readers' own files in memory, made before those workers (`forked.files_for_workers`),
    which hold what each reader sends this process; and `inbox`, to which this process adds what it
    reads itself, a task a reader left (`write_bodies`). Each file's reading is in one of them, once.
    (The readers once added all they read to the inbox too: 114 MB of new memory at 50,000 entries.)"""

    inbox: int
    readers: list[int]


# What forked readers read, where the bodies go (`Handover`), and which process reads here: inherited,
# never pickled.
_JOB: tuple[list[SourceFile], Settings, Handover | None, int] | None = None
Piece = tuple[bytes | memoryview, list[tuple[str, FileRead]]]  # what a reader sent (`encode_reads`), and what it holds


def _read_chunk(chunk: range) -> bytes:
    """In a reader: some files read and parsed, encoded (as they go back to the parent) so that the
    parent keeps the bytes for the saved model as well as what they hold."""
    assert _JOB is not None
    sources, settings, bodies, here = _JOB
    with collector_paused():
        sent = encode_reads([(sources[index].rel, _read(sources[index], settings)) for index in chunk])
        if bodies is not None and (os.getpid() == here or not bodies.readers):  # (else in the reader's own file)
            forked.write_message(bodies.inbox, sent)  # (what `write_bodies` adds)
        return sent


def _read_in_processes(sources: list[SourceFile], settings: Settings, progress: Progress | None,
                       meanwhile: Callable[[], None] | None = None, bodies: Handover | None = None) -> list[Piece]:
    """A first whole read spread over one forked process per core (or one per file of `bodies.readers`);
    each sends back what it parsed, while this process does `meanwhile`."""
    global _JOB
    _JOB = (sources, settings, bodies, os.getpid())
    pieces = chunks(len(sources), 100)
    found: dict[int, Piece] = {}
    done = 0
    count = len(bodies.readers) if bodies is not None else os.cpu_count() or 2
    try:
        with forked.Workers(lambda number: _read_chunk(pieces[number]), len(pieces), count, keep=True,
                            files=bodies.readers if bodies is not None else None) as workers:
            if meanwhile is not None:
                meanwhile()
            for number, sent in workers.results():
                with collector_paused():
                    found[number] = (sent, decode_reads(sent))
                done += len(pieces[number])
                if progress is not None:
                    progress(done, len(sources))
            # The bytes kept for the saved model: where the readers wrote them, rather than the copies read
            # (100 MB at 50,000 entries, which this process then uses again for the vault's objects).
            for number, sent in workers.kept.items():
                found[number] = (sent, found[number][1])
    finally:
        _JOB = None
    return [found[number] for number in sorted(found)]  # in the files' order, whichever reader was first


def _parents(folder: str) -> list[str]:
    """`a/b/c` → [`a`, `a/b`]."""
    parts = folder.split("/")
    return ["/".join(parts[:n]) for n in range(1, len(parts))]


def assemble(reading: Reading, today: dt.date) -> Vault:
    """The frozen model from what was read: ids made unique, entries linked and ordered, goals checked."""
    with collector_paused():
        problems: list[Problem] = list(reading.setting_problems)
        for found in reading.found.values():
            problems.extend(found)
        for rel in sorted(reading.files):
            problems.extend(reading.files[rel].parsed.problems)
        goals = _unique_goals(_goals_read(reading), problems)
        entries = entries_read(reading)
        entries = _link_entries(entries, goals, problems, reading.linked)
        goals = [_with_start(goal, entries) for goal in goals]
        problems.extend(validate_goals(goals, entries, reading.settings, today))
        problems.sort(key=Problem.sort_key)
        return Vault(reading.root, reading.settings, tuple(goals), tuple(entries), tuple(problems),
                     len(reading.sources))


def _goals_read(reading: Reading) -> list[Goal]:
    return [read.parsed.goal for _rel, read in sorted(reading.files.items()) if read.parsed.goal]


def goals_of(reading: Reading, entries: list[Entry] | tuple[Entry, ...]) -> tuple[Goal, ...]:
    """The vault's goals as `assemble` makes them from what was read, given its linked entries."""
    return tuple(_with_start(goal, entries) for goal in goals_read(reading))


class Body(NamedTuple):
    """What rendering an entry's body needs of it, besides the vault's goals (`write_bodies`)."""

    file: str
    date: dt.date
    sort_key: tuple[dt.date, str, str]
    body: str


def write_bodies(fd: int, read: Iterable[tuple[str, FileRead]]) -> None:
    """What was read, added to the file `fd` (one message, whole: several readers add to it at once, in
    append mode) as a reader sends it (`encode_reads`), for the early Markdown workers, which have not
    the vault's objects: forked before it was read, they share none of its memory (a worker forked
    after, sharing it, had the kernel copy each page either process then wrote, for the other: 14,500 of
    the build's 129,500 page faults at 10,000 entries). Readers add the very bytes they send."""
    forked.write_message(fd, encode_reads(list(read)))


def bodies_read(messages: Iterable[memoryview]) -> tuple[list[Goal], list[Body]]:
    """What `write_bodies` wrote: the goals (each id once, as `goals_read` gives them) and each entry's
    `Body`, in the vault's order (as `entries_read`). An entry sent as plain values is not made again:
    its body, file, date and time are taken as they are."""
    goals: list[tuple[str, Goal]] = []
    entries: list[Body] = []
    for message in messages:
        marshalled = bytes(message[:1]) == _MARSHALLED  # (else pickled whole: objects, as decoded)
        for rel, plain in marshal.loads(message[1:]) if marshalled else decode_reads(message):
            if isinstance(plain, tuple):
                entries.append(_plain_body(plain))
                continue
            read = _from_plain(plain) if isinstance(plain, bytes) else plain
            if read.parsed.goal is not None:
                goals.append((rel, read.parsed.goal))
            if (entry := read.parsed.entry) is not None:
                entries.append(Body(entry.file, entry.date, entry.sort_key, entry.body))
    goals.sort(key=lambda pair: pair[0])
    entries.sort(key=lambda entry: entry.sort_key)
    return _unique_goals([goal for _rel, goal in goals], []), entries


def goals_read(reading: Reading) -> list[Goal]:
    """The goals read, each id once, before `assemble` gives them their start dates."""
    return _unique_goals(_goals_read(reading), [])


def entries_read(reading: Reading) -> list[Entry]:
    """The entries read, in the vault's order, before `assemble` links them to goals."""
    entries = [read.parsed.entry for read in reading.files.values() if read.parsed.entry]
    entries.sort(key=lambda entry: entry.sort_key)  # a whole order: no two entries share a file
    return entries


def _unique_goals(goals: list[Goal], problems: list[Problem]) -> list[Goal]:
    seen: dict[str, Goal] = {}
    for goal in goals:  # sources are sorted, so the first file by path keeps the id
        first = seen.get(goal.id)
        if first is None:
            seen[goal.id] = goal
            continue
        problems.append(Problem(goal.where("id"), Severity.ERROR, "duplicate-id",
                                f"Two goals have the id “{goal.id}”: {first.file} and {goal.file}; "
                                f"goalsite showed only {first.file}.",
                                "Rename one of the files, or give one of them its own `id:`."))
    return list(seen.values())


@dataclass(frozen=True)
class _Linked:
    """One entry linked against one set of goal ids; reused while neither changes."""

    source: Entry
    goal_ids: frozenset[str]
    entry: Entry
    problems: tuple[Problem, ...]  # unknown goals in `goals:` and GAS ratings
    other_links: tuple[tuple[str, Link], ...]  # (key, link) of links that are not to a goal


def _link_one(entry: Entry, by_key: dict[str, str], goal_ids: frozenset[str]) -> _Linked:
    found: list[str] = []
    problems: list[Problem] = []
    other: list[tuple[str, Link]] = []
    for written in entry.goal_keys:
        goal_id = by_key.get(link_key(written.target).lower())
        if goal_id is None:
            problems.append(Problem(written.location, Severity.WARNING, "unknown-goal",
                                    f"“{written.target}” is not the id of any goal, so this entry was not linked to it.",
                                    _goal_hint(written.target, goal_ids)))
        elif goal_id not in found:
            found.append(goal_id)
    for link in entry.links:
        key = link_key(link.target).lower()
        goal_id = by_key.get(key)
        if goal_id is None:
            other.append((key, link))
        elif goal_id not in found:
            found.append(goal_id)
    for rating in entry.gas:
        if rating.goal not in goal_ids:
            problems.append(Problem(rating.location, Severity.WARNING, "unknown-goal",
                                    f"This GAS rating is for “{rating.goal}”, which is not the id of any goal.",
                                    _goal_hint(rating.goal, goal_ids)))
    return _Linked(entry, goal_ids, entry.with_goals(tuple(found)), tuple(problems), tuple(other))


def _goal_hint(written: str, goal_ids: frozenset[str]) -> str:
    """The goal a mistyped name most likely means, if one is close."""
    close = did_you_mean(link_key(written).lower(), sorted(goal_ids))
    if close:
        return f"{close.strip()} A goal's id is its file name without `.md`."
    return "Use a goal's file name without `.md`, like `sleep-schedule`."


def entry_alone(parsed: Parsed, goal_ids: frozenset[str], notes: Container[str]) -> tuple[Entry, list[Problem]] | None:
    """What one file adds to the vault, as `assemble` makes it when no other file changed: the linked
    entry and its problems, in the order `assemble` finds them. None when the file holds no entry."""
    if parsed.entry is None:
        return None
    done = _link_one(parsed.entry, {goal_id.lower(): goal_id for goal_id in goal_ids}, goal_ids)
    return done.entry, [*parsed.problems, *done.problems, *_unknown_links(done, notes)]


class Dated(Protocol):
    """An entry, or what is known of one before the vault is assembled (`Body`)."""

    @property
    def file(self) -> str: ...

    @property
    def date(self) -> dt.date: ...


def note_names(entry: Dated) -> tuple[str, str]:
    """The names a [[link]] may give an entry: its file's name and its date."""
    return entry.file.rsplit("/", 1)[-1].rsplit(".", 1)[0].lower(), entry.date.isoformat()


def _unknown_links(done: _Linked, notes: Container[str]) -> list[Problem]:
    return [Problem(link.location, Severity.INFO, "unknown-link",
                    f"[[{link.target}]] links to a note goalsite does not show; it stays plain text.",
                    "That is fine for notes outside your goals and journal.")
            for key, link in done.other_links if key not in notes]


def _link_entries(entries: list[Entry], goals: list[Goal], problems: list[Problem],
                  cache: dict[str, _Linked] | None = None) -> list[Entry]:
    """Resolve each entry's `goals:` and [[links]]; a link to a note we do not show stays text.
    With a `cache` (kept between builds), an entry is linked again only when it or the goals changed."""
    goal_ids = frozenset(goal.id for goal in goals)
    by_key = {goal.id.lower(): goal.id for goal in goals}
    notes = {name for entry in entries for name in note_names(entry)}
    cache = {} if cache is None else cache
    linked = []
    for entry in entries:
        done = cache.get(entry.file)
        if done is None or done.source is not entry or done.goal_ids != goal_ids:
            done = cache[entry.file] = _link_one(entry, by_key, goal_ids)
        problems.extend(done.problems)
        problems.extend(_unknown_links(done, notes))
        linked.append(done.entry)
    for gone in set(cache) - {entry.file for entry in entries}:
        del cache[gone]
    return linked


def _with_start(goal: Goal, entries: list[Entry] | tuple[Entry, ...]) -> Goal:
    """SPEC §1.1: start defaults to created, else the first entry that mentions the goal."""
    if goal.start is not None:
        return goal
    if goal.created is not None:
        return replace(goal, start=goal.created)
    for entry in entries:
        if goal.id in entry.goals:
            return replace(goal, start=entry.date)
    return goal
