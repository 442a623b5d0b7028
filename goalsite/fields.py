"""Typing YAML nodes by our schema: text stays text, numbers and dates are checked.

Each reader returns a plain Python value or None and records a kind problem
at the node's line and column; nothing here raises on a user's typo.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterator

from goalsite.errors import Location, Problem, Severity
from goalsite.frontmatter import Map, Node, Scalar, Seq

_NUMBER = re.compile(r"[-+]?(?:\d[\d_]*(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?")
_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[ ]?[-+]\d{2}(?::?\d{2})?)?)?")
_TRUE = frozenset({"true", "yes", "on", "y"})
_FALSE = frozenset({"false", "no", "off", "n"})
_INTERVAL = re.compile(r"(\d+)\s*(day|week|month)s?")
_INTERVAL_WORDS = {"daily": (1, "day"), "weekly": (1, "week"), "fortnightly": (2, "week"), "monthly": (1, "month")}

# The days goalsite reads: any journal's, and far enough from the calendar's ends (years 1 and 9999)
# that a week, a month or a review interval added to one never falls off it. Past them is a typo.
EARLIEST, LATEST = dt.date(1900, 1, 1), dt.date(2199, 12, 31)
LONGEST_INTERVAL = {"day": 36525, "week": 5218, "month": 1200}  # a hundred years between reviews


class FarDate(ValueError):
    """A day on the calendar, but outside the years goalsite reads (`EARLIEST` to `LATEST`)."""

    def __str__(self) -> str:
        return f"outside the years goalsite reads, {EARLIEST.year} to {LATEST.year}"


def parse_number(text: str) -> float | None:
    """A finite decimal number, or None. `12:30`, `0x1A`, `.nan` and `1e999` are not numbers here."""
    text = text.strip()
    if not _NUMBER.fullmatch(text):
        return None
    value = float(text.replace("_", ""))
    return value if math.isfinite(value) else None


def parse_date(text: str) -> dt.date | None:
    """`YYYY-MM-DD`, optionally followed by a time. Raises ValueError for a date not on the calendar,
    and `FarDate` for one outside the years goalsite reads."""
    match = _DATE.fullmatch(text.strip())
    if not match:
        return None
    year, month, day = (int(part) for part in match.groups())
    value = dt.date(year, month, day)
    if not EARLIEST <= value <= LATEST:
        raise FarDate(value)
    return value


def parse_interval(text: str) -> tuple[int, str] | None:
    text = text.strip().lower()
    if text in _INTERVAL_WORDS:
        return _INTERVAL_WORDS[text]
    match = _INTERVAL.fullmatch(text)
    if not match or int(match.group(1)) == 0:
        return None
    return int(match.group(1)), match.group(2)


def colon_text(node: Node) -> str | None:
    """`- Box breathing: in 4, hold 4` is YAML for a one-key mapping, but the person meant a line of text."""
    if isinstance(node, Map) and len(node.entries) == 1:
        (key, (_key_node, value)), = node.entries.items()
        if isinstance(value, Scalar) and not value.is_null:
            return f"{key}: {value.value.strip()}"
    return None


def describe(node: Node) -> str:
    if isinstance(node, Map):
        return "a set of `key: value` pairs"
    if isinstance(node, Seq):
        return "a list"
    return f"“{node.value}”"


class FieldReader:
    """Reads typed values out of one file's nodes, collecting problems for that file."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []

    def at(self, node: Node | None) -> Location:
        if node is None:
            return Location(self.file)
        return Location(self.file, node.line, node.column)

    def report(
        self,
        node: Node | Location | None,
        severity: Severity,
        code: str,
        message: str,
        hint: str = "",
        letter: str | None = None,
        goal: str | None = None,
    ) -> None:
        where = node if isinstance(node, Location) else self.at(node)
        self.problems.append(Problem(where, severity, code, message, hint, letter, goal))

    def wrong_type(self, node: Node, key: str, wanted: str, hint: str) -> None:
        self.report(node, Severity.ERROR, "wrong-type",
                    f"`{key}` should be {wanted}, but here it is {describe(node)}.", hint)

    # -- scalars ---------------------------------------------------------

    def text(self, node: Node | None, key: str) -> str | None:
        """Text as written: `no` stays “no”, `1.10` stays “1.10”. Empty or `null` → None."""
        if node is None:
            return None
        if isinstance(node, Scalar):
            if node.is_null:
                return None
            value = node.value.strip()
            return value or None
        colon = colon_text(node)
        if colon is not None:
            return colon
        self.wrong_type(node, key, "a piece of text", f"Write `{key}:` followed by your words on the same line.")
        return None

    def number(self, node: Node | None, key: str, severity: Severity = Severity.ERROR) -> float | None:
        if node is None or (isinstance(node, Scalar) and node.is_null):
            return None
        if isinstance(node, Scalar):
            value = parse_number(node.value)
            if value is not None:
                return value
        self.report(node, severity, "not-a-number",
                    f"`{key}` should be a number, but here it is {describe(node)}.",
                    f"Write a plain number, like `{key}: 5` or `{key}: 7.5`.")
        return None

    def integer(self, node: Node | None, key: str) -> int | None:
        value = self.number(node, key)
        if value is None:
            return None
        if value != int(value):
            self.report(node, Severity.ERROR, "not-a-whole-number",
                        f"`{key}` should be a whole number, but here it is {value:g}.",
                        "Use a whole number such as 0, 1 or 2.")
            return None
        return int(value)

    def date(self, node: Node | None, key: str, letter: str | None = None) -> dt.date | None:
        if node is None or (isinstance(node, Scalar) and node.is_null):
            return None
        if isinstance(node, Scalar):
            try:
                value = parse_date(node.value)
            except FarDate as far:
                self.report(node, Severity.ERROR, "bad-date", f"`{key}` is {node.value.strip()}, which is {far}.",
                            "Check the year; dates are written YYYY-MM-DD.", letter)
                return None
            except ValueError:
                self.report(node, Severity.ERROR, "bad-date",
                            f"`{key}` is {node.value.strip()}, which is not a day on the calendar.",
                            "Check the month and the day; dates are written YYYY-MM-DD.", letter)
                return None
            if value is not None:
                return value
        self.report(node, Severity.ERROR, "bad-date",
                    f"`{key}` should be a date written YYYY-MM-DD, but here it is {describe(node)}.",
                    f"For example `{key}: 2026-11-21`.", letter)
        return None

    def boolean(self, node: Node | None, key: str) -> bool | None:
        if node is None or (isinstance(node, Scalar) and node.is_null):
            return None
        if isinstance(node, Scalar):
            word = node.value.strip().lower()
            if word in _TRUE:
                return True
            if word in _FALSE:
                return False
        self.report(node, Severity.ERROR, "wrong-type",
                    f"`{key}` should be true or false, but here it is {describe(node)}.",
                    f"Write `{key}: true` or `{key}: false`.")
        return None

    def texts(self, node: Node | None, key: str) -> tuple[str, ...]:
        """A list of text; a single value counts as a list of one."""
        if node is None:
            return ()
        if isinstance(node, Seq):
            return tuple(text for item in node.items if (text := self.text(item, key)) is not None)
        text = self.text(node, key)
        return (text,) if text is not None else ()

    # -- containers ------------------------------------------------------

    def mapping(self, node: Node | None, key: str, example: str) -> Map | None:
        if node is None or (isinstance(node, Scalar) and node.is_null):
            return None
        if isinstance(node, Map):
            return node
        self.wrong_type(node, key, "a set of `key: value` pairs", f"For example:\n{example}")
        return None

    def items(self, node: Node | None, key: str) -> Iterator[Node]:
        """The items of a list; a single value counts as a list of one."""
        if node is None or (isinstance(node, Scalar) and node.is_null):
            return
        if isinstance(node, Seq):
            yield from node.items
        else:
            yield node
