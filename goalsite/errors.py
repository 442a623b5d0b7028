"""Problems as values: where they are, how bad, and a kind word on how to fix them."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple


class Severity(enum.IntEnum):
    """Ordered so that `max()` gives the worst."""

    INFO = 0
    WARNING = 1
    ERROR = 2

    @property
    def word(self) -> str:
        return self.name.lower()


class ExitCode(enum.IntEnum):
    OK = 0
    PROBLEMS = 1
    USAGE = 2


class Location(NamedTuple):
    """A place in a vault file: `file` is relative to the vault with `/`; line and column are 1-based.
    A named tuple (ordered by file, line, column): the saved model holds thousands."""

    file: str
    line: int = 1
    column: int = 1

    def at(self, line: int, column: int) -> Location:
        return Location(self.file, line, column)

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Problem:
    location: Location
    severity: Severity
    code: str
    message: str
    hint: str = ""
    letter: str | None = None  # the SMART letter a goal problem belongs to
    goal: str | None = None  # the goal id the problem is about, when there is one

    def sort_key(self) -> tuple[str, int, int]:
        """By place only: problems at one place keep the order they were found in (S, M, A, R, T)."""
        loc = self.location
        return (loc.file, loc.line, loc.column)

    def as_json(self) -> dict[str, object]:
        return {
            "file": self.location.file,
            "line": self.location.line,
            "column": self.location.column,
            "severity": self.severity.word,
            "code": self.code,
            "letter": self.letter,
            "message": self.message,
            "hint": self.hint,
        }


def count_problems(problems: Iterable[Problem]) -> dict[str, int]:
    counts = {"error": 0, "warning": 0, "info": 0}
    for problem in problems:
        counts[problem.severity.word] += 1
    return counts


class UsageError(Exception):
    """A command cannot run as asked (exit 2): one clear sentence, no traceback."""

    exit_code = ExitCode.USAGE
