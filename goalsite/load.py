"""A whole vault read into the frozen model: files found, parsed, linked and checked."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from goalsite.config import Settings, load_settings
from goalsite.documents import parse_document
from goalsite.errors import Problem, Severity
from goalsite.markup import link_key
from goalsite.model import Entry, Goal, Vault, collector_paused
from goalsite.smart import validate_goals
from goalsite.vault import discover, read_source

Progress = Callable[[int, int], None]  # (files read, files in all)


def load_vault(root: Path, today: dt.date | None = None, output: Path | None = None,
               settings: tuple[Settings, list[Problem]] | None = None,
               progress: Progress | None = None) -> tuple[Vault, dt.date]:
    """Read the vault at `root`. `today` defaults to today in the vault's timezone; the one used is returned.

    `settings` may be passed when the caller has already read them (with their problems)."""
    root = Path(root).resolve()
    with collector_paused():
        return _load(root, today, output, settings, progress)


def _load(root: Path, today: dt.date | None, output: Path | None,
          settings: tuple[Settings, list[Problem]] | None, progress: Progress | None) -> tuple[Vault, dt.date]:
    config, setting_problems = settings if settings is not None else load_settings(root)
    problems: list[Problem] = list(setting_problems)
    if today is None:
        today = today_in(config)
    sources, found = discover(root, config, output)
    problems.extend(found)

    goals: list[Goal] = []
    entries: list[Entry] = []
    for number, source in enumerate(sources, start=1):
        if progress is not None and (number % 250 == 0 or number == len(sources)):
            progress(number, len(sources))
        data, unreadable = read_source(source)
        if unreadable:
            problems.append(unreadable)
            continue
        assert data is not None
        parsed = parse_document(source, data, config)
        problems.extend(parsed.problems)
        if parsed.goal:
            goals.append(parsed.goal)
        if parsed.entry:
            entries.append(parsed.entry)

    goals = _unique_goals(goals, problems)
    entries.sort(key=lambda entry: entry.sort_key)
    entries = _link_entries(entries, goals, problems)
    goals = [_with_start(goal, entries) for goal in goals]
    problems.extend(validate_goals(goals, entries, config, today))
    problems.sort(key=Problem.sort_key)
    vault = Vault(root, config, tuple(goals), tuple(entries), tuple(problems), len(sources))
    return vault, today


def today_in(settings: Settings) -> dt.date:
    if settings.timezone:
        from zoneinfo import ZoneInfo

        return dt.datetime.now(ZoneInfo(settings.timezone)).date()
    return dt.date.today()


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


def _link_entries(entries: list[Entry], goals: list[Goal], problems: list[Problem]) -> list[Entry]:
    """Resolve each entry's `goals:` and [[links]]; a link to a note we do not show stays text."""
    goal_ids = {goal.id for goal in goals}
    by_key = {goal.id.lower(): goal.id for goal in goals}
    notes = {entry.file.rsplit("/", 1)[-1].rsplit(".", 1)[0].lower() for entry in entries}
    notes |= {entry.date.isoformat() for entry in entries}
    linked = []
    for entry in entries:
        found: list[str] = []
        for written in entry.goal_keys:
            goal_id = by_key.get(link_key(written.target).lower())
            if goal_id is None:
                problems.append(Problem(written.location, Severity.WARNING, "unknown-goal",
                                        f"“{written.target}” is not the id of any goal, so this entry was not linked to it.",
                                        "Use a goal's file name without `.md`, like `sleep-schedule`."))
            elif goal_id not in found:
                found.append(goal_id)
        for link in entry.links:
            key = link_key(link.target).lower()
            goal_id = by_key.get(key)
            if goal_id is not None:
                if goal_id not in found:
                    found.append(goal_id)
            elif key not in notes:
                problems.append(Problem(link.location, Severity.INFO, "unknown-link",
                                        f"[[{link.target}]] links to a note goalsite does not show; it stays plain text.",
                                        "That is fine for notes outside your goals and journal."))
        for rating in entry.gas:
            if rating.goal not in goal_ids:
                problems.append(Problem(rating.location, Severity.WARNING, "unknown-goal",
                                        f"This GAS rating is for “{rating.goal}”, which is not the id of any goal.",
                                        "Use the goal's file name without `.md`."))
        linked.append(replace(entry, goals=tuple(found)))
    return linked


def _with_start(goal: Goal, entries: list[Entry]) -> Goal:
    """SPEC §1.1: start defaults to created, else the first entry that mentions the goal."""
    if goal.start is not None:
        return goal
    if goal.created is not None:
        return replace(goal, start=goal.created)
    for entry in entries:
        if goal.id in entry.goals:
            return replace(goal, start=entry.date)
    return goal
