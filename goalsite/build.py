"""Wiring the stages: settings → output checks → vault → analysis → pages → written site."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import os
import pickle
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, cast

from goalsite import forked, state
from goalsite.analysis import Analysis, GoalCache, analyse
from goalsite.config import SETTINGS_FILE, Settings, load_settings, today_in
from goalsite.errors import Problem, Severity, UsageError
from goalsite.export import CsvCache, goals_json, measurements_csv
from goalsite.load import (
    FileRead,
    Handover,
    Piece,
    Progress,
    Reading,
    assemble,
    bodies_read,
    chunks,
    entry_alone,
    goals_of,
    note_names,
    write_bodies,
)
from goalsite.markup import LISTED_WORDS, link_key, plain_excerpt, render_markdown
from goalsite.model import Entry, Vault, collector_paused
from goalsite.output import (
    WriteReport,
    announce,
    check_output,
    default_output,
    link_new,
    read_manifest,
    write_if_changed,
    write_site,
)
from goalsite.pages import (
    ENTRY_TEMPLATE,
    EVERYTHING,
    MONTH_TEMPLATE,
    UNDATED,
    YEARS,
    DataFile,
    Page,
    entry_key,
    entry_page,
    plan_data,
    plan_pages,
)
from goalsite.shipped import theme_folders
from goalsite.vault import THEME_FOLDER, SourceFile, vault_folder
from goalsite.views import (
    PageInfo,
    ReadyHtml,
    Site,
    entry_paths,
    goal_keys,
    link_world,
    month_key,
    month_path,
    note_paths,
    resolve_link,
)

if TYPE_CHECKING:  # Jinja is imported with the theme, while the readers read (`Builder._prepare_theme`)
    import jinja2

PARALLEL_FROM = 400  # pages to render before a whole build spreads them over the cores
FIRST_LOOK_MOST = 8  # changed entries whose own pages a live build shows before the rest
DRIFT_LIMIT = 100  # files changed since the model was saved, before it is saved again
DATA_MADE = frozenset({"data/goals.json", "data/measurements.csv"})  # data files made beside `plan_data`'s

# Nothing but the site's own files: no network, no inline script or style, no forms, no <base>.
# `file:` next to 'self' because browsers disagree on what 'self' means for a page opened from disk.
CSP = ("default-src 'none'; script-src 'self' file:; style-src 'self' file:; img-src 'self' file: data:; "
       "connect-src 'none'; form-action 'none'; base-uri 'none'; object-src 'none'; frame-src 'none'")


@dataclass(frozen=True)
class BuildResult:
    vault: Vault
    analysis: Analysis
    output: Path
    report: WriteReport
    rendered: tuple[str, ...]  # the pages and data files rendered this time (the rest were known unchanged)


def build(vault_path: Path | str, output: Path | str | None = None, today: dt.date | None = None,
          progress: Progress | None = None, fresh: bool = False, seen: state.Look | None = None) -> BuildResult:
    """One whole build. It starts from the state the last build left beside the output, if any,
    so that it reads and renders only what changed since; `fresh` ignores that state. `seen` is
    what `state.look` found, when the caller looked already."""
    builder = Builder(vault_path, output, today, progress)
    _LAST[:] = [builder]  # (the last one's objects are let go here, if any)
    if not fresh:
        resumed = builder.resume(seen)
        if resumed is not None:
            return resumed
    return builder.build()


# The builder of the last one-shot build, with what its render made, kept until the next one. A command
# that builds once ends right after (`cli.entry`); letting the model go first would free millions of
# objects, writing to nearly every page of memory the forked workers shared with this process, and the
# kernel stops the process at each such page the first time it is written after a fork: a tenth of a
# second at 10,000 entries, at the very end of the build, when nothing else runs.
_LAST: list[Builder] = []


def checked(vault_path: Path | str, today: dt.date | None,
            progress: Progress | None = None) -> tuple[tuple[Problem, ...], int] | None:
    """The problems `goalsite check` reports and the number of files read, from the state the last build
    left in the vault's usual output folder: nothing read when nothing changed, else only the files that
    changed since are parsed again. None when there is no state to trust (check then reads everything).
    Nothing is written: not the state, not the output."""
    try:
        seen = state.look(vault_path, None, today, load=True)
    except UsageError:  # no folder a build could have used
        return None
    summary = seen.summary
    if summary is None:
        return None
    if seen.unchanged:
        return summary.problems, summary.files_read
    saved = seen.saved or state.load_model(seen.out, summary)
    if saved is None:
        return None
    reading = saved.reading
    reading.setting_problems = seen.setting_problems
    _lay_drift(reading, summary)
    with collector_paused():
        reading.reread(None, progress, seen.listing)
        vault = assemble(reading, today or today_in(seen.settings))
    return tuple(vault.problems), vault.files_read


def _lay_drift(reading: Reading, summary: state.Summary) -> None:
    """The files read since the model was saved, laid over the model's reading: what the last build read."""
    for rel, last in summary.drift.items():
        if last is None:
            reading.sources.pop(rel, None)
            reading.files.pop(rel, None)
        else:
            reading.sources[rel], reading.files[rel] = last
    reading.found = summary.found


class Builder:
    """A build kept in memory, so the next one re-reads, re-renders and rewrites only what a change touches.

    Each page knows what it shows (`Page.deps`); a changed entry touches its own page, its month and
    year, the goals it links or measures, its neighbours when it moves, and the summaries. A change to
    settings, the theme or a goal re-renders everything (rendered Markdown is reused meanwhile).
    """

    def __init__(self, vault_path: Path | str, output: Path | str | None = None, today: dt.date | None = None,
                 progress: Progress | None = None, live: bool = False) -> None:
        self.root = vault_folder(vault_path)
        self.live = live  # keep each file's last good version while it is being edited
        self.output_arg = Path(output).absolute() if output is not None else None
        self.fixed_today = today
        self.progress = progress
        self.reading: Reading | None = None
        self.vault: Vault | None = None
        self.today: dt.date | None = None
        self.files: dict[str, bytes | None] = {}  # the site as last written (None: on disk as written, not in memory)
        self.markdown: dict[tuple[str, str], str] = {}
        self.link_world: object = None
        self.out: Path | None = None
        self.analysis: Analysis | None = None
        self.env: jinja2.Environment | None = None
        self.goal_cache: GoalCache = {}
        self.csv_rows: CsvCache = {}  # each goal's rows of measurements.csv, kept while its analysis is the same
        self.compiled: dict[str, bytes] = {}  # templates compiled by an earlier build, kept with the state
        self.folders: list[Path] = []
        self.theme: tuple[tuple[str, int, int], ...] = ()
        self.outputs: dict[str, tuple[int, int]] = {}  # size and time of each file written (kept with the state)
        self.summary: state.Summary | None = None  # the state this builder resumed from, or last saved
        self.drift: set[str] = set()  # files read again since the model file was saved
        self.view: tuple[Site, dict[str, object]] | None = None  # a live build's last site and shared context
        self.shared: dict[str, object] | None = None  # what every page of the last build shared (`site`)
        self.site_keys: tuple[jinja2.Environment, dict[str, frozenset[str] | None]] | None = None
        self.places: dict[str, int] = {}  # each entry file's place among the last view's entries
        self.figures_current = False  # the vault's goals and analysis are the last build's, not an older model's
        self.model_analysis: Analysis | None = None  # the analysis in the model file, while it is the last build's
        self.theme_ready = False  # the theme was found and compiled for this build already (`_prepare_theme`)
        # The templates the user's cache folder held when this builder, with no state of its own, began
        # from them: written there again once it has compiled others (`state.save_compiled`).
        self.cached_theme: dict[str, bytes] | None = None
        self.rendered_with: tuple[Site, list[Page], list[Piece]] | None = None  # the last render's view, pages, pieces

    def output_folder(self) -> Path:
        settings, _problems = load_settings(self.root)
        target = self.output_arg or default_output(self.root, settings.output)
        return check_output(target, self.root)

    def build(self, changes: Iterable[Path] | None = None,
              first_look: Callable[[dict[str, bytes]], None] | None = None) -> BuildResult:
        """Everything (no `changes`), or only what the changed paths touch. With `first_look`, a live
        build hands it the changed entries' own pages as soon as they are made, before the rest."""
        changes = list(changes) if changes is not None else None
        today = self.fixed_today or (today_in(self.reading.settings) if self.reading else None)
        if changes is None or self.reading is None or self.vault is None or today is None \
                or self._touches_everything(changes):
            return self._everything()
        before = {rel: self.reading.files.get(rel) for rel in map(self.reading.relative, changes) if rel}
        changed = self.reading.reread(changes)
        if first_look is not None and today == self.today:  # (not for the first change after midnight)
            try:
                pages = self._first_look(changed, before)
            except Exception:  # only ever an early look: the whole update below says what went wrong
                pages = {}
            if pages:
                first_look(pages)
        return self._update(changed, today)

    def rescan(self) -> BuildResult:
        """Look at every file's size and time (not its bytes) and build what changed: the watcher's safety
        net. Settings or a theme changed without a word from the watcher render everything, as with one;
        past midnight, the pages that show the day are made for the new one."""
        if self.reading is None or self.vault is None or self.today is None:
            return self.build()
        settings, problems = load_settings(self.root)
        if (settings, problems) != (self.reading.settings, self.reading.setting_problems) \
                or state.signature(theme_folders(self.root, settings.theme)) != self.theme:
            return self.build()
        result = self._update(self.reading.reread(None), self.fixed_today or today_in(settings))
        if not self.live or self.out is None:
            return result
        # A file of the site that something else removed while watching (a page, or the folder cleaned): back.
        gone = {name for name, data in self.files.items() if data is not None and not (self.out / name).is_file()}
        if not gone:
            return result
        kept = {name: data for name, data in self.files.items() if name not in gone}
        restored = write_site(self.out, self.files, known=kept, sweep_all=False)
        report = replace(result.report, written=tuple(sorted({*result.report.written, *restored.written})),
                         unchanged=result.report.unchanged - len(restored.written))
        return replace(result, report=report)

    def site(self) -> dict[str, bytes]:
        """The whole site as last built, in memory (a live builder keeps every file's bytes)."""
        return {name: data for name, data in self.files.items() if data is not None}

    def resume(self, seen: state.Look | None = None) -> BuildResult | None:
        """Build from the state the last build left beside the output; None when there is none to trust."""
        if seen is None or seen.root != self.root or (self.output_arg and seen.out != self.output_folder()):
            seen = state.look(self.root, self.output_arg, self.fixed_today)
        settings, setting_problems, self.out, summary = seen.settings, seen.setting_problems, seen.out, seen.summary
        if summary is None:
            return None
        saved = seen.saved or state.load_model(self.out, summary)
        seen.saved = None  # the builder keeps what it needs of it, and changes that
        if saved is None:
            return None
        self.reading, self.vault, self.analysis, self.today = saved.reading, saved.vault, saved.analysis, summary.today
        self.reading.setting_problems = setting_problems
        self.goal_cache, self.link_world, self.compiled = saved.goal_cache, saved.link_world, saved.compiled
        self.csv_rows = saved.csv_rows
        if summary.drift:  # the files read since the model was saved, laid over it: what the last build saw
            _lay_drift(self.reading, summary)
            laid = _laid_over(saved.vault, summary.drift)
            # The last build's problems are in the summary; its goals and figures are the model's when every
            # change since was a body's (`Summary.same_figures`), and are worked out again when needed.
            self.vault = replace(laid, problems=summary.problems, files_read=len(self.reading.sources)) if laid \
                else assemble(self.reading, summary.today)
        self.folders = theme_folders(self.root, settings.theme)
        self.theme = state.signature(self.folders)
        self.outputs = summary.outputs
        intact = seen.intact if seen.intact is not None else state.unchanged_outputs(self.out, summary.outputs)
        self.files = dict.fromkeys(intact)
        self.summary, self.drift, self.shared = summary, set(summary.drift), summary.shared
        self.figures_current = not summary.drift or summary.same_figures
        self.model_analysis = self.analysis if self.figures_current else None
        changed = self.reading.reread(None, self.progress, seen.listing)
        today = self.fixed_today or today_in(settings)
        if self.theme != summary.theme or len(intact) != len(summary.outputs):
            # A theme edit, or a written file edited or removed by hand: render every page again (from what
            # was read: only changed files are parsed again).
            return self._render(assemble(self.reading, today), today, None)
        return self._update(changed, today)

    def _new_day(self, changed: set[str], today: dt.date) -> BuildResult:
        """The first build of a new day: every page that shows what the day changes (the goals' figures,
        what is due or overdue, the summaries, the timelines, the data files) and what `changed` touches.
        The entries' own pages and the months' lists (`UNDATED`) show nothing of the day: unless a change
        touches them, they stay as they are."""
        assert self.vault is not None and self.reading is not None
        before, vault = self.vault, assemble(self.reading, today)
        keys = self._keys(before, vault, changed) if changed else set()
        if keys is not None:
            keys |= {EVERYTHING, YEARS, *(f"goal:{goal.id}" for goal in (*before.goals, *vault.goals))}
        return self._render(vault, today, keys)

    def _update(self, changed: set[str], today: dt.date) -> BuildResult:
        """Build what `changed` touches; on a new day, with the pages that show the day (`_new_day`)."""
        assert self.vault is not None and self.analysis is not None and self.out is not None
        assert self.reading is not None
        if today != self.today:  # (the pages made so far show the day before)
            return self._new_day(changed, today)
        if not changed:
            report = WriteReport((), len(self.files), ())
            if self.summary is not None and self.summary.sources != self.reading.listing:
                self._save(report, model=False)  # files were touched, not changed: the next check is quick again
            if self.summary is not None and self.summary.drift:  # the model's vault and analysis are older
                self.vault = assemble(self.reading, today)
                self.analysis = analyse(self.vault, today, self.goal_cache)
                self.figures_current = True
            return BuildResult(self.vault, self.analysis, self.out, report, ())
        self.drift |= changed
        places = self._bodies_only(changed, today)
        if places is not None:
            return self._render(self.vault, today, set(), places)
        before = self.vault
        vault = assemble(self.reading, today)
        return self._render(vault, today, self._keys(before, vault, changed))

    def _bodies_only(self, changed: set[str], today: dt.date) -> dict[int, Entry] | None:
        """When the changed files are entries whose bodies alone changed, past what lists show of them
        (`_listed`): each one's new linked entry, by its place among the vault's entries. The rest of
        the vault and its analysis stay as they are, exactly what `assemble` and `analyse` would make
        again (when they are an older model's, its goals and figures are worked out again first, from
        the entries the last build saw). None otherwise.

        The vault's entries and problems are always the last build's: the summary keeps its problems."""
        assert self.reading is not None and self.vault is not None
        if len(changed) > FIRST_LOOK_MOST:
            return None
        entries = self.vault.entries
        places = {entry.file: place for place, entry in enumerate(entries) if entry.file in changed}
        shown = _listed(self.vault, changed)
        goal_ids = frozenset(goal.id for goal in self.vault.goals)
        notes = _NoteNames(entries)
        found: dict[int, Entry] = {}
        for rel in changed:
            read, place = self.reading.files.get(rel), places.get(rel)
            if read is None or read.parsed.goal is not None or place is None:
                return None
            alone = entry_alone(read.parsed, goal_ids, notes)
            if alone is None:
                return None
            entry, problems = alone
            if _shown(entry, tuple(sorted(problems, key=Problem.sort_key))) != shown[rel]:
                return None
            found[place] = entry
        if not self.figures_current:
            self.vault = replace(self.vault, goals=goals_of(self.reading, entries))
            self.analysis = analyse(self.vault, today, self.goal_cache)
            self.figures_current = True
        return found

    def _first_look(self, changed: set[str], before: dict[str, FileRead | None]) -> dict[str, bytes]:
        """The changed entries' own pages, made from the last build's view with each new entry in its
        place. Only when that gives the very bytes the whole update will: each entry keeps its date,
        time and file (so its address and neighbours), its questionnaires (the PHQ-9 note on every
        page) and the kinds of its problems (the counts on every page). Otherwise nothing."""
        assert self.reading is not None
        if self.view is None or self.env is None or not changed or len(changed) > FIRST_LOOK_MOST:
            return {}
        site, shared = self.view
        entries = site.vault.entries
        if not self.places:
            self.places = {entry.file: place for place, entry in enumerate(entries)}
        goal_ids = frozenset(site.goals_by_id)
        pages: dict[str, bytes] = {}
        for rel in changed:
            old, new, place = before.get(rel), self.reading.files.get(rel), self.places.get(rel)
            if old is None or new is None or place is None:
                return {}
            was = entry_alone(old.parsed, goal_ids, site.notes)
            now = entry_alone(new.parsed, goal_ids, site.notes)
            if was is None or now is None or _severities(was[1]) != _severities(now[1]) or was[0] != entries[place]:
                return {}
            entry = now[0]
            if entry.sort_key != was[0].sort_key or entry.questionnaires != was[0].questionnaires:
                return {}
            page = entry_page(site, entry, place)
            pages[page.path] = _render_page(self.env, shared, page)
        return pages

    def _touches_everything(self, changes: Iterable[Path]) -> bool:
        assert self.reading is not None
        for path in changes:
            rel = self.reading.relative(path)
            if rel is None:
                continue
            if rel in ("", SETTINGS_FILE) or rel == THEME_FOLDER or rel.startswith(THEME_FOLDER + "/"):
                return True
        return False

    def _everything(self) -> BuildResult:
        settings, setting_problems = load_settings(self.root)
        self.out = self.output_folder()
        if self.reading is None or self.reading.settings != settings:
            self.reading = Reading(self.root, settings, setting_problems, self.out, keep_last_good=self.live)
        else:
            self.reading.setting_problems = setting_problems
        self.theme_ready = False
        early = _EarlyMarkdown.start(settings.strict_line_breaks) if not self.live else None
        try:
            self.reading.reread(None, self.progress, meanwhile=lambda: self._prepare_theme(settings),
                                bodies=early.bodies if early is not None else None)
            today = self.fixed_today or today_in(settings)
            going = early if early is not None and early.go(self.reading) else None
            return self._render(assemble(self.reading, today), today, None, early=going)
        finally:
            if early is not None:
                early.close()

    def _prepare_theme(self, settings: Settings) -> None:
        """While workers read the whole vault: the theme found and its templates compiled, for the render."""
        _compile(self._load_theme(settings.theme), set())
        self.theme_ready = True

    def _load_theme(self, theme: str, find: bool = True) -> jinja2.Environment:
        """A new environment for the theme's templates; `find`: look for the theme's folders again first."""
        if find:
            self.folders = theme_folders(self.root, theme)
            self.theme = state.signature(self.folders)
        from goalsite.render import environment

        if not self.compiled and self.cached_theme is None:  # no state of its own: the last build's, if any
            self.compiled = self.cached_theme = state.load_compiled()  # (the environment takes a copy)
        self.env = environment(self.folders, self.compiled, reload=self.live)
        return self.env

    def _keys(self, before: Vault, after: Vault, changed: set[str]) -> set[str] | None:
        """What the changed files touch, as page dependency keys; None for everything."""
        goal_files = {goal.file for goal in before.goals} | {goal.file for goal in after.goals}
        if changed & goal_files:
            return None
        keys: set[str] = set()
        old = {entry.file: entry for entry in before.entries}
        new = {entry.file: entry for entry in after.entries}
        shown_before, shown_after = _listed(before, changed), _listed(after, changed)
        measured: dict[str, set[str]] = {}  # field → the goals that measure it (several may share one)
        for goal in after.goals:
            if goal.measurable and goal.measurable.field:
                measured.setdefault(goal.measurable.field, set()).add(f"goal:{goal.id}")
        everyone = {f"goal:{goal.id}" for goal in after.goals}

        def listing(entry: Entry, reviews: bool) -> set[str]:
            """The pages that show an entry: its own, its month, year and search, and its goals' pages
            (every goal's when it is a session or rates goals, and what `reviews` show of it changed)."""
            found = {entry_key(entry), f"month:{entry.date:%Y-%m}", f"year:{entry.date.year}",
                     f"search:{entry.date.year}", *(f"goal:{goal_id}" for goal_id in entry.goals)}
            for name in entry.fields:
                found |= measured.get(name, set())
            if (entry.session or entry.gas) and reviews:
                found |= everyone
            return found

        shifted = False
        for rel in changed:
            was, now = old.get(rel), new.get(rel)
            if was is not None and now is not None and shown_before.get(rel) == shown_after.get(rel):
                # Only its body changed, past what lists show of it: its own page and its year's search.
                keys |= {entry_key(now), f"search:{now.date.year}"}
                continue
            keys.add(EVERYTHING)
            moved = was is None or now is None or (was.date, was.time, was.title) != (now.date, now.time, now.title)
            # Every goal lists the sessions (its reviews) and weighs the GAS ratings: only what they say counts.
            reviews = moved or (was is not None and now is not None
                                and (was.session, was.goals, was.gas) != (now.session, now.goals, now.gas))
            for entry in (was, now):
                if entry is not None:
                    keys |= listing(entry, reviews)
            if moved:
                keys |= _neighbours(before, was) | _neighbours(after, now)
                keys |= _linking(after, was, now)
                shifted = True
        if shifted:  # an entry came, went or moved: others of its days may now be on another of the day's pages
            if {entry.date.year for entry in before.entries} != {entry.date.year for entry in after.entries}:
                keys.add(YEARS)  # and a year may have come or gone
            before_paths, after_paths = entry_paths(before.entries), entry_paths(after.entries)
            for rel, path in after_paths.items():
                if rel in before_paths and before_paths[rel] != path:  # every page that links it follows
                    now = new[rel]
                    keys |= listing(now, True) | _neighbours(before, old[rel]) | _neighbours(after, now)
                    keys |= _linking(after, now)
        return keys

    def _render(self, vault: Vault, today: dt.date, keys: set[str] | None,
                bodies: dict[int, Entry] | None = None, early: _EarlyMarkdown | None = None) -> BuildResult:
        with collector_paused():
            return self._render_all(vault, today, keys, bodies, early)

    def _render_all(self, vault: Vault, today: dt.date, keys: set[str] | None,
                    bodies: dict[int, Entry] | None = None, early: _EarlyMarkdown | None = None) -> BuildResult:
        """Render what `keys` touch (None: everything). With `bodies` (from `_bodies_only`), only those
        entries' own pages and their years' search data: the vault's other entries, its analysis and
        every other page stay as they are."""
        assert self.out is not None
        # A new day changes figures the saved model holds (the analysis is of a day): saved again whole.
        new_day = self.today is not None and today != self.today
        if bodies is not None:
            assert self.analysis is not None
            keys = {f"search:{entry.date.year}" for entry in bodies.values()}
            changed = list(vault.entries)
            for place, entry in bodies.items():
                changed[place] = entry
            vault, analysis = replace(vault, entries=tuple(changed)), self.analysis
        else:
            analysis = analyse(vault, today, self.goal_cache)
        # Templates are compiled once, again only when the theme may change (unless done while reading).
        env = self.env
        if (keys is None and not self.theme_ready) or env is None:
            env = self._load_theme(vault.settings.theme, find=keys is None or not self.folders)
        self.theme_ready = False
        folders = self.folders
        site = Site(vault, analysis)
        world = site.link_world()
        if world != self.link_world:  # a [[link]] may now lead elsewhere, or lines join or not
            self.markdown.clear()
            self.link_world = world
        site.markdown_cache = self.markdown
        shared = site.site_context()
        again = self._showing_changes(env, shared) if keys is not None else set()
        from goalsite.render import static_files

        files: dict[str, bytes | None] = dict(static_files(folders)) if keys is None else \
            {name: data for name, data in self.files.items() if name.startswith("assets/")}
        rendered: list[str] = []
        todo: list[Page] = []
        if bodies is not None:  # the same pages as last time, and only these change
            files = dict(self.files)
            todo = [entry_page(site, entry, place) for place, entry in sorted(bodies.items())]
        else:
            todo = self._plan(site, keys, files, again)
        elsewhere: list[str] = []  # written before `write_site`: pages the workers wrote, data files written early
        read_back: dict[str, bytes | None] = {}  # of those, what a live builder read back to serve
        signed: bytes | None = None  # the model's signature, when written before the pages
        sizes: dict[str, tuple[int, int]] = {}  # size and time of each page the workers wrote or kept
        # Forked workers for a whole build: never once a watcher's threads run (`forked.available`), so a live
        # builder uses them for its first build only, and reads back what they wrote to serve it.
        if len(todo) >= PARALLEL_FROM and (os.cpu_count() or 1) > 1 and forked.available():
            # This process's own share first, the saved model and the data files, while the early workers
            # go on with the entries' bodies: done after the page workers start, it changed what they
            # still shared with this process (every object the model holds), which the kernel then
            # copied, page by page, for this process.
            previous = read_manifest(self.out)
            planned = plan_data(site)
            # (and the folder made, for the model)
            announce(self.out, previous | {page.path for page in todo} | {data.path for data in planned} | DATA_MADE)
            # (before the model: its rows are kept with it, for the next build)
            csv = measurements_csv(vault, analysis, self.csv_rows)
            if keys is None and not self.live:
                signed = state.write_model(self.out, self._saved(vault, analysis))
                if self.reading is not None:  # in the model now: the readers' files, mapped, are let go
                    self.reading.pieces = []  # before the pages need memory (100 MB at 50,000 entries)
            data = self._data_files(site, vault, analysis, keys, rendered, planned, csv)
            made: list[tuple[str, bytes]] = []
            if not self.live:  # written by the page workers, first: here, in the one busy process between
                # the read and the render, the 87 MB of them at 50,000 entries took 0.6 s (made after the
                # model is written, they are not held while it is, the build's peak)
                made = [(name, content) for name, content in sorted(data.items()) if content is not None]
                for name, _content in made:
                    del data[name]
            files.update(data)
            if early is not None:
                site.ready_markdown = early.collect(world, vault.entries)
            made_names = {name for name, _data in made}
            for path, written, seen in _render_in_processes(self.out, env, shared, todo, previous, made):
                files[path] = None
                if self.live:
                    files[path] = read_back[path] = (self.out / path).read_bytes()
                if path not in made_names:
                    rendered.append(path)
                if seen is not None:
                    sizes[path] = seen
                if written:
                    elsewhere.append(path)
        else:
            if early is not None:
                site.ready_markdown = early.collect(world, vault.entries)
            for page in todo:
                files[page.path] = _render_page(env, shared, page)
                rendered.append(page.path)
            files.update(self._data_files(site, vault, analysis, keys, rendered))
        report = write_site(self.out, files, known={**self.files, **read_back} if read_back else self.files,
                            sweep_all=keys is None, written_elsewhere=elsewhere)
        if self.cached_theme is not None:
            from goalsite.render import compiled_codes

            if (codes := compiled_codes(env)) != self.cached_theme:
                state.save_compiled(codes)
            self.cached_theme = None
        self.files, self.shared = files, shared
        self.vault, self.today, self.analysis = vault, today, analysis
        self.figures_current = True
        if self.live:
            self.view, self.places = (site, shared), {}
        else:
            self._save(report, model=keys is None or new_day, signed=signed, sizes=sizes)
        if self.reading is not None:
            if not self.live:  # let go with the builder (see `_LAST`), or at its next render
                self.rendered_with = (site, todo, self.reading.pieces)
            self.reading.pieces = []  # what the readers sent: in the saved model now, or never to be
        return BuildResult(vault, analysis, self.out, report, tuple(rendered))

    def _showing_changes(self, env: jinja2.Environment, shared: dict[str, object]) -> set[str]:
        """The templates whose pages show something every page shares that is not what the last build's
        pages show (the problem counts, the PHQ-9 note): pages that no change touches but this one."""
        changed = {key for key, value in shared.items() if self.shared is None or self.shared.get(key) != value}
        if not changed:
            return set()
        if self.site_keys is None or self.site_keys[0] is not env:
            from goalsite.render import site_keys

            self.site_keys = (env, site_keys(env))
        return {name for name, shown in self.site_keys[1].items() if shown is None or shown & changed}

    def _plan(self, site: Site, keys: set[str] | None, files: dict[str, bytes | None],
              again: set[str]) -> list[Page]:
        """The pages that `keys` touch, or made with a template in `again`, to render; the others go into
        `files` as they were."""
        todo: list[Page] = []
        months: dict[str, Page] = {}  # each month's list goes just before its entries' pages (below)
        for page in plan_pages(site):
            if keys is not None and page.path in self.files and not page.deps & keys and page.template not in again:
                files[page.path] = self.files[page.path]
                continue
            if page.template == MONTH_TEMPLATE:
                months[page.path] = page
            else:
                todo.append(page)
        entries_again = ENTRY_TEMPLATE in again
        for index, entry in enumerate(site.vault.entries):
            # A month's list, then its entries: a page worker takes pages in runs of this order, so one
            # that lists a month's entries mostly renders their pages too. Each object of the model that a
            # worker reads, the kernel copies for it (a count of references is a write): two workers
            # reading one entry copied it twice (131,000 page faults at 50,000 entries, against 88,000
            # for a single worker).
            if months and (month := months.pop(month_path(month_key(entry.date)), None)) is not None:
                todo.append(month)
            path = site.entry_href(entry)
            if keys is not None and path in self.files and entry_key(entry) not in keys and not entries_again:
                files[path] = self.files[path]
                continue
            todo.append(entry_page(site, entry, index))
        todo.extend(months.values())  # (every month has entries: none is left)
        return todo

    def _data_files(self, site: Site, vault: Vault, analysis: Analysis, keys: set[str] | None,
                    rendered: list[str], planned: list[DataFile] | None = None,
                    csv: bytes | None = None) -> dict[str, bytes | None]:
        """The site's data files that the change touches made again, the others as they were: those
        `plan_data` gives (`planned`, when the caller has them), and `DATA_MADE` (`csv`: the
        measurements, when the caller made them)."""
        files: dict[str, bytes | None] = {}
        for data in plan_data(site) if planned is None else planned:
            if keys is not None and data.path in self.files and not data.deps & keys:
                files[data.path] = self.files[data.path]
                continue
            files[data.path] = data.make()
            rendered.append(data.path)
        if analysis is not self.analysis or "data/goals.json" not in self.files:
            files["data/goals.json"] = goals_json(vault, analysis)
        else:  # made from the goals and their analysis alone, which are the same
            files["data/goals.json"] = self.files["data/goals.json"]
        files["data/measurements.csv"] = measurements_csv(vault, analysis, self.csv_rows) if csv is None else csv
        return files

    def _saved(self, vault: Vault, analysis: Analysis) -> state.Saved:
        """The model, as the state keeps it."""
        assert self.reading is not None
        cache = self.env.bytecode_cache if self.env is not None else None
        from goalsite.render import Compiled

        compiled = cache.codes if isinstance(cache, Compiled) else self.compiled
        return state.Saved(self.reading, vault, analysis, self.goal_cache, self.link_world, compiled, self.csv_rows)

    def _save(self, report: WriteReport, model: bool, signed: bytes | None = None,
              sizes: dict[str, tuple[int, int]] | None = None) -> None:
        """Leave the state beside the output for the next build (the watcher keeps its own in memory).

        After a small change only the summary is written, with the files read since the model was saved
        (`drift`), each as read: the next build lays them over the older model (writing the whole model
        costs more than the change). Past `DRIFT_LIMIT` files, or after a whole render, the model is
        written too. `signed`: the signature of the model, written already (`state.write_model`);
        `sizes`: the size and time of files, looked at as they were written."""
        assert self.out is not None and self.reading is not None and self.vault is not None
        assert self.analysis is not None and self.today is not None
        sizes = sizes or {}
        if self.outputs:
            # Only what was written or removed moved; the rest is as recorded.
            self.outputs.update(sizes)
            self.outputs.update(state.outputs(self.out, [name for name in report.written if name not in sizes]))
            for name in report.removed:
                self.outputs.pop(name, None)
            missing = [name for name in self.files if name not in self.outputs]
            self.outputs.update(state.outputs(self.out, missing))
        else:
            self.outputs = dict(sizes)
            self.outputs.update(state.outputs(self.out, [name for name in self.files if name not in sizes]))
        vault = self.vault
        model = model or self.summary is None or len(self.drift) > DRIFT_LIMIT
        if model:
            self.drift = set()
            self.model_analysis = self.analysis
        sources, files = self.reading.sources, self.reading.files
        drift = {rel: (sources[rel], files[rel]) if rel in sources and rel in files else None for rel in self.drift}
        summary = state.Summary(str(self.root), str(self.out), self.reading.settings, self.theme, self.today,
                                self.reading.listing, self.outputs, self.summary.model if self.summary else b"",
                                drift, self.reading.found, self.analysis is self.model_analysis, len(vault.goals),
                                len(vault.entries), vault.files_read, vault.problems, self.shared or {})
        if model and signed is None:
            signed = state.write_model(self.out, self._saved(vault, self.analysis))
        state.save(self.out, summary, signed if model else None)
        self.summary = summary


def _render_page(env: jinja2.Environment, shared: dict[str, object], page: Page) -> bytes:
    info = page.info
    try:
        made_on = None if page.template in UNDATED else shared["today_long"]
        html = env.get_template(page.template).render(site=shared, page=info, csp=CSP, made_on=made_on,
                                                      **page.context(info))
    except Exception as error:
        import jinja2  # (imported with the theme, before any page)

        if not isinstance(error, jinja2.TemplateError):
            raise
        where = f"{error.filename}:{error.lineno}: " if isinstance(error, jinja2.TemplateSyntaxError) else ""
        raise UsageError(f"The theme has a problem, so no page was written: {where}{error.message}. "
                         "Fix the template in your theme folder, or remove it to use the default.") from error
    return html.encode("utf-8")


# What the forked workers render: set just before they start, so each inherits it (nothing is pickled).
_JOB: tuple[Path, jinja2.Environment, dict[str, object], list[Page], set[str]] | None = None


def _render_chunk(chunk: range) -> list[tuple[str, bool, tuple[int, int] | None]]:
    """In a worker: render and write some pages; (path, written, its size and time) for each."""
    assert _JOB is not None
    out, env, shared, todo, previous = _JOB
    folder = f"{out}{os.sep}"  # (pages' paths are the site's own, relative, with `/`: forking is POSIX's)
    return [_write_made(folder, todo[index].path, _render_page(env, shared, todo[index]), previous) for index in chunk]


def _write_made(folder: str, path: str, data: bytes, previous: set[str]) -> tuple[str, bool, tuple[int, int] | None]:
    """`data` written to `folder + path` (unless it holds them already): (path, written, its size and time)."""
    new = path not in previous  # not written by any build before: no need to look at it first
    target = folder + path
    info = link_new(target, data) if new else None  # (what the written file is, at no extra look)
    written = info is not None or write_if_changed(target, data, new)
    try:
        info = info or os.stat(target)
        seen: tuple[int, int] | None = (info.st_size, info.st_mtime_ns)
    except OSError:
        seen = None
    return path, written, seen


def _render_in_processes(out: Path, env: jinja2.Environment, shared: dict[str, object], todo: list[Page],
                         previous: set[str], made: list[tuple[str, bytes]] | None = None,
                         ) -> list[tuple[str, bool, tuple[int, int] | None]]:
    """A whole build's pages rendered and written by one process per core (forked, so they share the
    model without copying it), and the files already `made` written, a task each, first. The marker
    must list them all first (`announce`), so that a build stopped halfway still knows them;
    `previous` are the files it listed before."""
    global _JOB
    _compile(env, {page.template for page in todo})
    made = made or []
    _JOB = (out, env, shared, todo, previous)
    pieces = chunks(len(todo), 50)
    folder = f"{out}{os.sep}"

    def task(number: int) -> bytes:
        if number < len(made):
            return pickle.dumps([_write_made(folder, *made[number], previous)])
        return pickle.dumps(_render_chunk(pieces[number - len(made)]))

    try:
        with forked.Workers(task, len(made) + len(pieces), os.cpu_count() or 2) as workers:
            return [item for _number, done in workers.results() for item in pickle.loads(done)]
    finally:
        _JOB = None


def _compile(env: jinja2.Environment, names: set[str]) -> None:
    """Every template (and `names`) compiled once, here, rather than in every worker (and kept with the
    model). One that does not compile is left to the page that uses it, which says so plainly."""
    import jinja2

    for name in sorted(names | set(env.list_templates(extensions=["html"]))):
        with contextlib.suppress(jinja2.TemplateError):
            env.get_template(name)


def _laid_over(vault: Vault, drift: dict[str, tuple[SourceFile, FileRead] | None]) -> Vault | None:
    """The model's vault with the entries read since it was saved laid over it: the last build's goals
    and entries, in order, which is what telling what a change touches needs (not its problems: a
    build that renders nothing assembles the vault it reports). None when a goal file is among them."""
    goal_files = {goal.file for goal in vault.goals}
    goal_ids = frozenset(goal.id for goal in vault.goals)
    places = {entry.file: place for place, entry in enumerate(vault.entries)}
    entries: list[Entry | None] = list(vault.entries)
    moved = False  # entries keep their places unless one was added, removed or dated anew
    for rel, last in drift.items():
        if rel in goal_files or (last is not None and last[1].parsed.goal is not None):
            return None
        alone = entry_alone(last[1].parsed, goal_ids, ()) if last is not None else None
        place = places.get(rel)
        kept = entries[place] if place is not None else None
        if alone is not None and place is not None and kept is not None and alone[0].sort_key == kept.sort_key:
            entries[place] = alone[0]
            continue
        moved = True
        if place is not None:
            entries[place] = None
        if alone is not None:
            entries.append(alone[0])
    kept_entries = [entry for entry in entries if entry is not None]
    if moved:
        kept_entries.sort(key=lambda entry: entry.sort_key)
    return replace(vault, entries=tuple(kept_entries))


EARLY_PIECE = 25  # entry bodies an early worker renders at a time: what it may have begun when stopped


def _early_work(bodies: Handover, go: int, number: int, workers: int, strict: bool, found: int) -> NoReturn:
    """In an early worker, once this process says go (else it ends): the goals and the entries' bodies
    the readers wrote (`Handover`), where [[links]] lead, worked out from them as the site will work it out
    (for the site to compare with its own), then its share of the pieces of bodies rendered for their
    own pages, in UTF-8 (half the size of a str of non-ASCII text). Each is written whole, in one go, to
    `found`, after the length of what follows."""
    status = 1
    try:
        if os.read(go, 1) != b"g":  # the build ended first, or found too few files to need this
            os._exit(0)
        with collector_paused():
            goals, entries = bodies_read([*forked.mapped_messages(bodies.inbox),
                                          *(sent for fd in bodies.readers for sent in forked.task_results(fd))])
            count = len(entries)
            pieces = [range(start, min(start + EARLY_PIECE, count)) for start in range(0, count, EARLY_PIECE)]
            paths = entry_paths(entries)
            notes = note_paths(entries, paths)
            root = PageInfo(paths[entries[0].file], "", "").root if entries else ""  # every entry's page is as deep
            resolve = functools.partial(resolve_link, goal_keys=goal_keys(goals), notes=notes)
            links: dict[tuple[str, str], str] = {}
            _early_write(found, link_world(goals, notes, strict))
            for chunk in pieces[number::workers]:
                html = [render_markdown(entries[index].body, resolve, root, strict, links).encode("utf-8")
                        for index in chunk]
                _early_write(found, (chunk.start, entries[chunk.start].file), html)
        status = 0
    finally:
        os._exit(status)  # never the parent's exit handlers, nor its buffered output


def _early_write(found: int, done: object, parts: list[bytes] | None = None) -> None:
    """`done` pickled, then `parts` as they are: a piece's HTML, which each page reads where it lies
    (`_early_read`), rather than the main process reading it all into new memory, page after new page."""
    parts = parts or []
    head = pickle.dumps((done, [len(part) for part in parts]), protocol=pickle.HIGHEST_PROTOCOL)
    forked.write_message(found, b"".join([len(head).to_bytes(4, "little"), head, *parts]))


def _early_read(found: int, offset: int) -> tuple[object, list[ReadyHtml]]:
    """What `_early_write` wrote, in the message at `offset` of the file `found`: what was pickled, and
    where each part lies (read only when its page is made, by whichever process makes it)."""
    size = int.from_bytes(os.pread(found, 4, offset), "little")
    done, lengths = pickle.loads(os.pread(found, size, offset + 4))
    parts = []
    at = offset + 4 + size
    for length in lengths:
        parts.append(ReadyHtml(found, at, length))
        at += length
    return done, parts


class _EarlyMarkdown:
    """While this process assembles the vault, works out its figures, makes the data files and saves the
    model, the other cores would wait: forked workers render the entries' bodies meanwhile, in the
    vault's order, for the entries' own pages. What they finished is taken when the pages' workers
    start (the rest is theirs), and only when [[links]] lead where the site's do (`link_world`).

    They are forked before the vault is read, and wait: the readers' files in memory are made before
    them, so they read there what the readers send this process (`Handover`), and this process says
    go once all is read. Forked later, they would share the vault's
    objects with this process, and the kernel would copy, for one of the two, each page of memory
    either of them then wrote (a reference counted is a write): most of the model, twice.

    Each worker writes each piece it finishes, whole, to a file of its own in memory (`memfd_create`),
    and is killed when its work is taken: nothing waits on a worker, and a worker cut off halfway
    through a piece leaves that piece unfinished, never a lock held (as a pool's workers, stopped while
    sending, may)."""

    def __init__(self, strict_line_breaks: bool, workers: int) -> None:
        self.found: list[int] = []
        self.workers: list[int] = []
        self.inbox = forked.shared_file("goalsite-bodies")  # what this process reads itself
        self.readers: list[int] = []
        self.go_pipe = wait = -1
        try:
            self.readers = forked.files_for_workers(os.cpu_count() or 2, "goalsite-read")
            self.bodies = Handover(self.inbox, self.readers)
            wait, self.go_pipe = os.pipe()
            for number in range(workers):
                started = forked.fork_with_file("goalsite-early")
                if started is None:  # no file or process to spare: the pages render their own Markdown
                    break
                worker, found = started
                if worker == 0:  # the worker: it waits, renders its share of the pieces, in order, and ends
                    os.close(self.go_pipe)
                    _early_work(self.bodies, wait, number, workers, strict_line_breaks, found)
                self.found.append(found)
                self.workers.append(worker)
        except BaseException:
            self.close()
            raise
        finally:
            if wait != -1:
                os.close(wait)

    @classmethod
    def start(cls, strict_line_breaks: bool) -> _EarlyMarkdown | None:
        """Workers started, waiting for the vault to be read, or None: with one core, or where forking is
        not safe."""
        workers = (os.cpu_count() or 1) - 1
        if workers < 1 or not forked.available():
            return None
        try:
            return cls(strict_line_breaks, workers)
        except OSError:  # no file or pipe to spare: the pages render their own Markdown
            return None

    def go(self, reading: Reading) -> bool:
        """The vault is read: the workers start (with what was read here, when the readers did not add
        it). False, and the workers stopped, for a small vault."""
        if len(reading.files) < PARALLEL_FROM:
            self.close()
            return False
        if not reading.pieces:  # read here
            write_bodies(self.inbox, reading.files.items())
        os.write(self.go_pipe, b"g" * len(self.workers))
        os.close(self.go_pipe)
        self.go_pipe = -1
        return True

    def collect(self, world: object, entries: tuple[Entry, ...]) -> dict[int, ReadyHtml]:
        """Where the HTML finished so far lies, by the entry's place among `entries` (the vault's, in the
        order the workers rendered them), when the site's `world` is the one the workers rendered in;
        else nowhere. The workers are stopped either way, so that this process may fork again; their
        files stay open, for the pages to read the HTML from, until `close`. (Read here, it was new
        memory for this process, page by page: 30 MB at 10,000 entries.)"""
        self.stop()
        ready: dict[int, ReadyHtml] = {}
        try:
            for found in self.found:
                # All but the piece it was writing when stopped.
                for number, (offset, _size) in enumerate(forked.message_places(found)):
                    done, html = _early_read(found, offset)
                    if number == 0:  # where its links lead
                        if done != world:
                            return {}
                    else:
                        start, first = cast(tuple[int, str], done)
                        if start >= len(entries) or entries[start].file != first:
                            return {}
                        ready.update(enumerate(html, start))
        except Exception:  # only ever a head start: each page renders its own Markdown instead
            return {}
        return ready

    def stop(self) -> None:
        """The workers killed where they are, and waited for; and the bodies they were sent let go, now that
        no one reads them (the readers' files stay while the saved model's bytes map them)."""
        forked.end(self.workers)
        self.workers = []
        for fd in [self.inbox, *self.readers]:
            if fd != -1:
                os.close(fd)
        self.inbox, self.readers = -1, []

    def close(self) -> None:
        """The workers stopped and their files let go (a build that fails before `collect` calls this)."""
        if self.go_pipe != -1:  # the workers end at once, if they still wait
            os.close(self.go_pipe)
            self.go_pipe = -1
        self.stop()
        for fd in self.found:
            os.close(fd)
        self.found = []


class _NoteNames:
    """The names [[links]] may give the entries (`note_names`), gathered only when a link asks."""

    def __init__(self, entries: Iterable[Entry]) -> None:
        self.entries = entries

    @functools.cached_property
    def names(self) -> set[str]:
        return {name for entry in self.entries for name in note_names(entry)}

    def __contains__(self, name: object) -> bool:
        return name in self.names


def _severities(problems: list[Problem]) -> list[Severity]:
    return sorted(problem.severity for problem in problems)


def _listed(vault: Vault, files: set[str]) -> dict[str, tuple[object, ...]]:
    """What every page but an entry's own shows of it, for the entries in `files`: all it holds but
    its body, the excerpts lists make of the body, and its problems (their counts are on every page)."""
    problems: dict[str, list[Problem]] = {}
    for problem in vault.problems:
        if problem.location.file in files:
            problems.setdefault(problem.location.file, []).append(problem)
    return {entry.file: _shown(entry, tuple(problems.get(entry.file, ()))) for entry in vault.entries
            if entry.file in files}


def _shown(entry: Entry, problems: tuple[Problem, ...]) -> tuple[object, ...]:
    return replace(entry, body=""), plain_excerpt(entry.body, LISTED_WORDS), plain_excerpt(entry.body, 12), problems


def _neighbours(vault: Vault, entry: Entry | None) -> set[str]:
    """The entries whose pages name this one (the pager) or share its day (page numbers)."""
    if entry is None:
        return set()
    entries = vault.entries
    index = next((i for i, other in enumerate(entries) if other.file == entry.file), None)
    if index is None:
        return set()
    keys = {entry_key(entries[i]) for i in (index - 1, index + 1) if 0 <= i < len(entries)}
    keys |= {entry_key(other) for other in entries if other.date == entry.date}
    return keys


def _linking(vault: Vault, *entries: Entry | None) -> set[str]:
    """Entries whose [[links]] name one of `entries` (an entry before and after a change) by its file or
    its day (`note_names`): they may now resolve, or no longer, or lead elsewhere."""
    names = {name for entry in entries if entry is not None for name in note_names(entry)}
    return {entry_key(entry) for entry in vault.entries
            if any(link_key(link.target).lower() in names for link in entry.links)}
