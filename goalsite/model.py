"""The validated vault as frozen values: goals, entries and what was found wrong."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import gc
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from goalsite.config import Settings
from goalsite.errors import Location, Problem

STATUSES = ("active", "paused", "achieved", "dropped")
AGGREGATES = ("sum", "mean", "min", "max", "last", "count")
PERIODS = ("day", "week", "month")


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Reading and analysing make millions of small objects and no reference cycles, so the cycle
    collector only slows them down (by a third on 10,000 entries); it runs again right after."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@dataclass(frozen=True)
class Interval:
    count: int
    unit: str  # day | week | month

    def __str__(self) -> str:
        return f"{self.count} {self.unit}{'' if self.count == 1 else 's'}"


@dataclass(frozen=True)
class Measurable:
    field: str | None
    unit: str | None
    baseline: float | None
    target: float | None
    per: str | None
    aggregate: str
    location: Location

    @property
    def complete(self) -> bool:
        return (
            self.field is not None
            and self.baseline is not None
            and self.target is not None
            and self.baseline != self.target
        )


@dataclass(frozen=True)
class Milestone:
    title: str
    due: dt.date | None
    done: bool
    done_on: dt.date | None
    location: Location


@dataclass(frozen=True)
class PlanStep:
    step: str
    due: dt.date | None
    done: bool
    done_on: dt.date | None
    location: Location


@dataclass(frozen=True)
class Obstacle:
    obstacle: str
    plan: str | None


@dataclass(frozen=True)
class Review:
    date: dt.date
    note: str | None
    location: Location


@dataclass(frozen=True)
class Revision:
    date: dt.date | None
    change: str
    why: str | None


@dataclass(frozen=True)
class LogRow:
    date: dt.date
    value: float
    location: Location


@dataclass(frozen=True)
class GasScale:
    weight: float
    levels: dict[int, str]
    location: Location


@dataclass(frozen=True)
class Goal:
    id: str
    title: str
    file: str
    location: Location  # where the goal's settings start, for problems about missing keys
    status: str = "active"
    area: str | None = None
    focus: bool = False
    created: dt.date | None = None
    specific: str | None = None
    measurable: Measurable | None = None
    achievable: str | None = None
    constraints: tuple[str, ...] = ()
    relevant: str | None = None
    values: tuple[str, ...] = ()
    start: dt.date | None = None  # as written; the effective start may come from the first entry
    due: dt.date | None = None
    review_every: Interval | None = None
    reviews: tuple[Review, ...] = ()
    milestones: tuple[Milestone, ...] = ()
    plan: tuple[PlanStep, ...] = ()
    obstacles: tuple[Obstacle, ...] = ()
    supports: tuple[str, ...] = ()
    gas: GasScale | None = None
    log: tuple[LogRow, ...] = ()
    revisions: tuple[Revision, ...] = ()
    notes: str = ""
    tags: tuple[str, ...] = ()
    locations: dict[str, Location] = field(default_factory=dict)  # key → where its value is

    def where(self, key: str) -> Location:
        return self.locations.get(key, self.location)


class FieldValue(NamedTuple):
    """A front-matter or inline value: a number when it reads as one.

    Its place is kept as plain values, not a `Location`: a journal has a hundred thousand of them,
    and an object less for each makes the saved model a third quicker to write and to read. A named
    tuple, not a dataclass, for the same reason: the saved model loads it in half the time."""

    number: float | None
    text: str
    file: str
    line: int
    column: int

    @classmethod
    def at(cls, number: float | None, text: str, location: Location) -> FieldValue:
        return cls(number, text, location.file, location.line, location.column)

    @property
    def location(self) -> Location:
        return Location(self.file, self.line, self.column)


@dataclass(frozen=True)
class Questionnaire:
    kind: str  # phq9 | gad7
    total: int
    items: tuple[int, ...] | None
    location: Location


@dataclass(frozen=True)
class GasRating:
    goal: str
    level: int
    location: Location


class Link(NamedTuple):
    """A [[link]] or a `goals:` item; its place kept as plain values, like a `FieldValue`'s."""

    target: str
    alias: str | None
    file: str
    line: int
    column: int

    @classmethod
    def at(cls, target: str, alias: str | None, location: Location) -> Link:
        return cls(target, alias, location.file, location.line, location.column)

    @property
    def location(self) -> Location:
        return Location(self.file, self.line, self.column)


@dataclass(frozen=True)
class Entry:
    file: str
    date: dt.date
    time: str | None = None
    title: str | None = None
    fields: dict[str, FieldValue] = field(default_factory=dict)
    goals: tuple[str, ...] = ()  # goal ids from `goals:` and from [[links]], resolved against the vault
    links: tuple[Link, ...] = ()
    goal_keys: tuple[Link, ...] = ()  # the `goals:` list as written
    tags: tuple[str, ...] = ()
    coping: tuple[str, ...] = ()
    wins: tuple[str, ...] = ()
    setbacks: tuple[str, ...] = ()
    session: bool = False
    gas: tuple[GasRating, ...] = ()
    questionnaires: tuple[Questionnaire, ...] = ()
    tasks_done: int = 0
    tasks_total: int = 0
    body: str = ""
    # The body's first words as lists show them (`plain_excerpt(body, LISTED_WORDS)`), when a reader made
    # them: a month's list then reads this short text, not each body (a page worker reading a body has
    # the kernel copy the memory it lies in). Made from the body, so not compared.
    excerpt: str | None = field(default=None, compare=False, repr=False)

    @property
    def mood(self) -> float | None:
        value = self.fields.get("mood")
        return value.number if value else None

    @property
    def sort_key(self) -> tuple[dt.date, str, str]:
        return (self.date, self.time or "", self.file)

    def with_goals(self, goals: tuple[str, ...]) -> Entry:
        """This entry linked to `goals`: itself when they are its goals already, else a copy that differs
        only there (what `dataclasses.replace` makes, without calling `__init__` again: 10,000 entries
        are linked in every whole build)."""
        if goals == self.goals:
            return self
        linked = object.__new__(Entry)
        linked.__dict__.update(self.__dict__)
        linked.__dict__["goals"] = goals
        return linked


@dataclass(frozen=True)
class Vault:
    root: Path
    settings: Settings
    goals: tuple[Goal, ...]
    entries: tuple[Entry, ...]  # in date order
    problems: tuple[Problem, ...]
    files_read: int

    def goal(self, goal_id: str) -> Goal | None:
        for goal in self.goals:
            if goal.id == goal_id:
                return goal
        return None

    def with_field(self, name: str) -> tuple[Entry, ...]:
        """The entries that have `name` among their fields, in date order (indexed once per vault)."""
        return self._field_index.get(name, ())

    @functools.cached_property
    def sessions(self) -> tuple[Entry, ...]:
        """Session notes, in date order."""
        return tuple(entry for entry in self.entries if entry.session)

    @functools.cached_property
    def _field_index(self) -> dict[str, tuple[Entry, ...]]:
        index: dict[str, list[Entry]] = {}
        for entry in self.entries:
            for name in entry.fields:
                index.setdefault(name, []).append(entry)
        return {name: tuple(found) for name, found in index.items()}
