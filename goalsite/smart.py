"""The SMART rules of SPEC §2: each goal checked letter by letter, in plain and kind words."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence

from goalsite.config import Settings
from goalsite.errors import Problem, Severity
from goalsite.model import Entry, Goal

VAGUE_WORDS = frozenset({"better", "happier", "more", "less", "improve", "improved", "improving", "try", "trying"})
# Words that make a goal concrete even without digits: a count, a frequency, or a time.
CONCRETE_WORDS = frozenset({
    "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
    "fifteen", "twenty", "thirty", "forty", "fifty", "sixty", "hundred", "once", "twice", "daily", "weekly",
    "monthly", "every", "each", "minutes", "hours", "times", "weekday", "weekdays", "weeknights", "morning",
    "evening", "night", "nights",
})
MIN_SPECIFIC_WORDS = 6
_WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")


def _problem(goal: Goal, key: str, severity: Severity, code: str, letter: str, message: str, hint: str) -> Problem:
    return Problem(goal.where(key), severity, code, message, hint, letter, goal.id)


def check_specific(goal: Goal) -> Iterable[Problem]:
    if not goal.specific:
        yield _problem(goal, "specific", Severity.ERROR, "specific-missing", "S",
                       "Not specific yet: say what you will do.",
                       "Add `specific:` with what, when and where, like “In bed by 23:00 on weeknights”.")
        return
    words = [word.lower() for word in _WORD.findall(goal.specific)]
    if len(words) < MIN_SPECIFIC_WORDS:
        yield _problem(goal, "specific", Severity.WARNING, "specific-short", "S",
                       f"`specific` has {len(words)} word{'s' if len(words) != 1 else ''}; "
                       "a few more would make the goal clearer.",
                       f"Use {MIN_SPECIFIC_WORDS} or more words saying what you will do, when and how often.")
    vague = sorted(VAGUE_WORDS.intersection(words))
    concrete = any(character.isdigit() for character in goal.specific) or CONCRETE_WORDS.intersection(words)
    if vague and not concrete:
        quoted = ", ".join(f"“{word}”" for word in vague)
        yield _problem(goal, "specific", Severity.WARNING, "specific-vague", "S",
                       f"{quoted} can mean many things; the goal has no number or concrete action yet.",
                       "Name the action and how much or how often, like “walk for 20 minutes three times a week”.")


def check_measurable(goal: Goal, measured: int) -> Iterable[Problem]:
    measurable = goal.measurable
    gas_ok = goal.gas is not None and {-1, 0, 1} <= set(goal.gas.levels)
    if measurable is None:
        if gas_ok or len(goal.milestones) >= 2:
            return
        if goal.gas is not None:
            yield _problem(goal, "gas", Severity.ERROR, "gas-levels", "M",
                           "Not measurable yet: the GAS scale needs at least the levels -1, 0 and +1.",
                           "Describe level 0 (the expected outcome), and -1 and +1 around it.")
            return
        yield _problem(goal, "", Severity.ERROR, "measurable-missing", "M",
                       "Not measurable yet: add `measurable` with a baseline and a target, or a GAS scale.",
                       "For example `measurable: {field: nights_on_schedule, baseline: 1, target: 5}`; "
                       "two or more milestones also count.")
        return
    missing = [name for name in ("field", "baseline", "target") if getattr(measurable, name) is None]
    if missing:
        names = " and ".join(f"`{name}`" for name in missing)
        yield _problem(goal, "measurable", Severity.ERROR, "measurable-incomplete", "M",
                       f"Not measurable yet: `measurable` needs {names}.",
                       "`field` names what your journal records; `baseline` is where you start; `target` where you aim.")
        return
    if measurable.baseline == measurable.target:
        yield _problem(goal, "measurable", Severity.ERROR, "measurable-no-change", "M",
                       f"The baseline and the target are both {measurable.target:g}, so there is no change to measure.",
                       "Set the target to where you want to get to.")
        return
    if measured == 0:
        yield _problem(goal, "measurable", Severity.WARNING, "measurable-no-data", "M",
                       f"No measurements of `{measurable.field}` yet.",
                       f"Add `{measurable.field}: …` to a journal entry, or a `log:` row to the goal.")


def check_achievable(goal: Goal) -> Iterable[Problem]:
    if not goal.achievable:  # at an empty `achievable:` when there is one (a new goal's template has it)
        yield _problem(goal, "achievable", Severity.ERROR, "achievable-missing", "A",
                       "Not shown to be achievable yet: say why it is within reach.",
                       "Add `achievable:` with what makes it possible: what you already manage, who helps, "
                       "what you have allowed for.")


def check_relevant(goal: Goal) -> Iterable[Problem]:
    if not goal.relevant and not goal.values:
        key = "relevant" if "relevant" in goal.locations else "values"
        yield _problem(goal, key, Severity.ERROR, "relevant-missing", "R",
                       "Not tied to what matters to you yet.",
                       "Add `relevant:` saying why this goal matters, or `values:` such as [health, calm].")


def check_time_bound(goal: Goal, today: dt.date) -> Iterable[Problem]:
    if goal.due is None:
        if "due" not in goal.locations:
            yield _problem(goal, "", Severity.ERROR, "due-missing", "T",
                           "Not time-bound yet: add a `due` date.",
                           "For example `due: 2026-12-15`; a date a few weeks or months away works well.")
        return  # a written but broken due date was already reported as bad-date
    if goal.start is not None and goal.due <= goal.start:
        yield _problem(goal, "due", Severity.ERROR, "due-before-start", "T",
                       f"The due date {goal.due} is not after the start {goal.start}.",
                       "Set `due` to a day after `start`.")
    if goal.review_every is None and "review_every" not in goal.locations:
        yield _problem(goal, "", Severity.WARNING, "review-every-missing", "T",
                       "No review rhythm yet: when will you look at this goal again?",
                       "Add `review_every: 2 weeks` (or days, or months).")
    if goal.start is not None and goal.due > goal.start:
        dated = [(item.location, "milestone", item.title, item.due) for item in goal.milestones] + \
                [(item.location, "plan step", item.step, item.due) for item in goal.plan]
        for location, kind, title, due in dated:
            if due is not None and not goal.start <= due <= goal.due:
                yield Problem(location, Severity.WARNING, "date-out-of-range",
                              f"The {kind} “{title}” is due {due}, outside the goal's time ({goal.start} to {goal.due}).",
                              "Move its date inside the goal's time, or change the goal's start or due date.",
                              "T", goal.id)
    if goal.status == "active" and today > goal.due:
        yield _problem(goal, "due", Severity.WARNING, "past-due", "T",
                       f"This goal was due {goal.due} and is still active: review or adjust it.",
                       "Mark it achieved, set a new `due` date, or pause it; adjusting a goal is part of the work.")


def check_focus(goals: Sequence[Goal], settings: Settings) -> Iterable[Problem]:
    """Checks across goals: focusing on few goals at a time is wise."""
    active = [goal for goal in goals if goal.status == "active"]
    if len(active) > settings.max_active_goals:
        for goal in active:
            yield _problem(goal, "status", Severity.WARNING, "too-many-active", "A",
                           f"{len(active)} goals are active at once; {settings.max_active_goals} or fewer "
                           "is easier to keep up.",
                           "Pause a goal or two (`status: paused`) and come back to them later.")
    focused = [goal for goal in goals if goal.focus and goal.status == "active"]
    if len(focused) > 1:
        names = ", ".join(goal.id for goal in focused)
        for goal in focused:
            yield _problem(goal, "focus", Severity.WARNING, "several-focus", "A",
                           f"{len(focused)} goals are marked `focus: true` ({names}); one focus is easier to hold.",
                           "Keep `focus: true` on the goal that matters most right now.")


def validate_goals(goals: Sequence[Goal], entries: Sequence[Entry], settings: Settings,
                   today: dt.date) -> list[Problem]:
    problems: list[Problem] = []
    wanted = {goal.measurable.field for goal in goals if goal.measurable is not None and goal.measurable.field}
    with_field: dict[str, list[Entry]] = {name: [] for name in wanted}
    for entry in entries:
        for name in wanted.intersection(entry.fields):
            with_field[name].append(entry)
    for goal in goals:
        measured = 0
        if goal.measurable is not None and goal.measurable.field is not None:
            name = goal.measurable.field
            measured = len(goal.log)
            for entry in with_field[name]:
                value = entry.fields[name]
                if value.number is None:
                    if name != "mood":  # mood's own warning was given when the entry was read
                        problems.append(Problem(
                            value.location, Severity.WARNING, "not-a-number",
                            f"`{name}` is {value.text!r}, not a number, so it is not counted for “{goal.title}”.",
                            f"Write `{name}` as a plain number.", "M", goal.id))
                else:
                    measured += 1
        problems.extend(check_specific(goal))
        problems.extend(check_measurable(goal, measured))
        problems.extend(check_achievable(goal))
        problems.extend(check_relevant(goal))
        problems.extend(check_time_bound(goal, today))
    problems.extend(check_focus(goals, settings))
    return problems


def letter_grades(goal: Goal, problems: Iterable[Problem]) -> dict[str, str]:
    """Each SMART letter: `pass`, or the worst of its warnings and errors."""
    grades = dict.fromkeys("SMART", "pass")
    for problem in problems:
        if problem.goal != goal.id or problem.letter is None or problem.severity == Severity.INFO:
            continue
        word = problem.severity.word
        if grades[problem.letter] != "error":
            grades[problem.letter] = word
    return grades
