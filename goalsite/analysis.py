"""Every figure of SPEC §3, computed from the model and a given `today` — pure, no clock, no I/O.

Values are exact fractions of what the person wrote (`7.5` is 15/2, not a
binary float), so the on-track boundary at −0.10 and every total fall exactly
where the SPEC puts them. Floats appear only at the edges, rounded to 2 places.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import NamedTuple

from goalsite.config import Thresholds
from goalsite.errors import Location
from goalsite.model import Entry, Goal, Interval, Vault, collector_paused

ON_TRACK_TOLERANCE = Fraction(-1, 10)
FORECAST_POINTS = 8
GAS_RHO = 0.3
BANDS = {
    "phq9": ((4, "minimal"), (9, "mild"), (14, "moderate"), (19, "moderately_severe"), (27, "severe")),
    "gad7": ((4, "minimal"), (9, "mild"), (14, "moderate"), (21, "severe")),
}


@functools.lru_cache(maxsize=65536)
def exact(value: float) -> Fraction:
    """The decimal the person wrote: `repr` round-trips the parsed text, `Fraction` reads it exactly.
    Cached: journals repeat the same few values (moods 1–10) thousands of times."""
    if value.is_integer():
        return Fraction(int(value))
    return Fraction(repr(value))


def round2(value: Fraction | float | None) -> float | None:
    """Rounded to 2 decimals, halves away from zero (4.125 → 4.13), as a person rounds."""
    if value is None:
        return None
    fraction = value if isinstance(value, Fraction) else exact(value)
    numerator, denominator = fraction.numerator, fraction.denominator
    hundredths = (200 * abs(numerator) + denominator) // (2 * denominator)  # ⌊|value| × 100 + ½⌋, in integers
    return (hundredths if numerator >= 0 else -hundredths) / 100  # (an int's true division rounds exactly once)


# ---------------------------------------------------------------- dates


def period_start(day: dt.date, per: str | None, week_start: int) -> dt.date:
    if per == "week":
        return day - dt.timedelta(days=(day.weekday() - week_start) % 7)
    if per == "month":
        return day.replace(day=1)
    return day


def period_end(start: dt.date, per: str | None) -> dt.date:
    if per == "week":
        return start + dt.timedelta(days=6)
    if per == "month":
        return start.replace(day=calendar.monthrange(start.year, start.month)[1])
    return start


def add_interval(day: dt.date, interval: Interval) -> dt.date:
    if interval.unit == "day":
        return day + dt.timedelta(days=interval.count)
    if interval.unit == "week":
        return day + dt.timedelta(weeks=interval.count)
    months = day.month - 1 + interval.count
    year, month = day.year + months // 12, months % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


# ---------------------------------------------------------------- measurements


class Measurement(NamedTuple):  # named tuples, not dataclasses: the saved model holds thousands
    date: dt.date
    value: Fraction
    location: Location
    order: tuple[dt.date, str, str]


@dataclass(frozen=True)
class Point:
    date: dt.date  # the day, or the first day of the period
    value: Fraction
    count: int  # measurements behind it


def measurements(goal: Goal, vault: Vault) -> list[Measurement]:
    """Every number in the goal's field, from entries and from the goal's own `log:`, in time order."""
    if goal.measurable is None or goal.measurable.field is None:
        return []
    name = goal.measurable.field
    found = [Measurement(row.date, exact(row.value), row.location, (row.date, "", goal.file)) for row in goal.log]
    for entry in vault.with_field(name):
        value = entry.fields[name]
        if value.number is not None:
            found.append(Measurement(entry.date, exact(value.number), value.location, entry.sort_key))
    found.sort(key=lambda measurement: measurement.order)
    return found


def aggregate(values: Sequence[Fraction], how: str) -> Fraction:
    if how == "sum":
        return _total(values)
    if how == "mean":
        return _total(values) / len(values)
    if how == "min":
        return min(values)
    if how == "max":
        return max(values)
    if how == "count":
        return Fraction(len(values))
    return values[-1]  # last


def _total(values: Sequence[Fraction]) -> Fraction:
    """The exact sum: in whole numbers when every value is one (most of a journal's numbers are), rather
    than a new fraction, reduced, for each addition (a fifth of the analysis at 50,000 entries)."""
    if len(values) == 1:
        return values[0]
    if all(value.denominator == 1 for value in values):
        return Fraction(sum(value.numerator for value in values))
    return sum(values, Fraction(0))


def series(found: Sequence[Measurement], per: str | None, how: str, week_start: int) -> list[Point]:
    """One point per day (no `per`) or per period with data, each the aggregate of its measurements."""
    groups: dict[dt.date, list[Fraction]] = defaultdict(list)
    for measurement in found:
        groups[period_start(measurement.date, per, week_start)].append(measurement.value)
    return [Point(day, aggregate(values, how), len(values)) for day, values in sorted(groups.items())]


# ---------------------------------------------------------------- goals


@dataclass(frozen=True)
class GoalAnalysis:
    goal_id: str
    measurements: tuple[Measurement, ...]
    series: tuple[Point, ...]  # complete points only, up to today
    so_far: Point | None  # the period still running today, shown apart
    baseline: Fraction | None
    target: Fraction | None
    current: Fraction | None
    progress: Fraction | None
    expected: Fraction | None
    track: str
    forecast: dt.date | None
    milestones_done: int
    milestones_total: int
    milestones_late: int
    last_review: dt.date | None
    next_review: dt.date | None
    review_overdue: bool
    gas_level: int | None
    gas_date: dt.date | None
    days_left: int | None


def expected_on(day: dt.date, baseline: Fraction, target: Fraction, start: dt.date, due: dt.date) -> Fraction:
    """The road: where the goal would be on `day` if progress were a straight line from start to due."""
    clamped = min(max(day, start), due)
    done, days = (clamped - start).days, (due - start).days
    # baseline + (target − baseline) × done / days, over one common denominator: one Fraction made, not four
    low, low_part = baseline.numerator, baseline.denominator
    high, high_part = target.numerator, target.denominator
    return Fraction(low * high_part * days + (high * low_part - low * high_part) * done, low_part * high_part * days)


def reached(current: Fraction, baseline: Fraction, target: Fraction) -> bool:
    return current >= target if target > baseline else current <= target


def forecast(points: Sequence[Point], baseline: Fraction, target: Fraction, today: dt.date) -> dt.date | None:
    """Least squares through the last 8 points; the day the line reaches the target, if it heads there."""
    recent = points[-FORECAST_POINTS:]
    if len(recent) < 2:
        return None
    origin = recent[0].date
    xs = [Fraction((point.date - origin).days) for point in recent]
    ys = [point.value for point in recent]
    mean_x = sum(xs, Fraction(0)) / len(xs)
    mean_y = sum(ys, Fraction(0)) / len(ys)
    spread = sum(((x - mean_x) ** 2 for x in xs), Fraction(0))
    if spread == 0:
        return None
    slope = sum(((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)), Fraction(0)) / spread
    if slope == 0 or (slope > 0) != (target > baseline):
        return None
    at = math.ceil(mean_x + (target - mean_y) / slope)
    if at > (dt.date.max - origin).days:  # so slow that no calendar reaches it
        return None
    return origin + dt.timedelta(days=max(at, (today - origin).days))  # not before today


def _dated_track(goal: Goal, today: dt.date) -> str | None:
    """The tracks that status and dates decide before any number does."""
    if goal.status == "achieved":
        return "achieved"
    if goal.start is not None and today < goal.start:
        return "not_started"
    if goal.due is not None and today > goal.due:
        return "overdue"
    return None


def analyse_goal(goal: Goal, vault: Vault, today: dt.date, gas_latest: dict[str, tuple[int, dt.date]],
                 sessions: SessionDays | None = None) -> GoalAnalysis:
    """`sessions`: `session_days(vault.sessions, today)`, when the caller has it."""
    measurable = goal.measurable
    settings = vault.settings
    found = measurements(goal, vault)
    past = [m for m in found if m.date <= today]
    points: list[Point] = []
    so_far = None
    baseline = target = current = progress = expected = None
    predicted = None
    track: str
    if measurable is not None and measurable.baseline is not None:
        baseline = exact(measurable.baseline)
    if measurable is not None and measurable.target is not None:
        target = exact(measurable.target)

    if measurable is not None and measurable.complete and baseline is not None and target is not None:
        points = series(past, measurable.per, measurable.aggregate, settings.week_start)
        if measurable.per and points and period_end(points[-1].date, measurable.per) >= today:
            so_far = points.pop()
        if points:
            current = points[-1].value
            progress = min(max((current - baseline) / (target - baseline), Fraction(0)), Fraction(1))
        if goal.start is not None and goal.due is not None and goal.due > goal.start:
            expected = expected_on(today, baseline, target, goal.start, goal.due)
        if goal.status == "achieved" or (current is not None and reached(current, baseline, target)):
            track = "achieved"
        else:
            track = _dated_track(goal, today) or (
                "no_data" if current is None or expected is None
                else "on_track" if (current - expected) / (target - baseline) >= ON_TRACK_TOLERANCE
                else "behind"
            )
            predicted = forecast(points, baseline, target, today)
    elif goal.gas is not None and goal.id in gas_latest:
        level = gas_latest[goal.id][0]
        track = _dated_track(goal, today) or ("on_track" if level >= 0 else "behind")
    elif goal.milestones and all(milestone.done for milestone in goal.milestones):
        track = "achieved"
    else:
        track = _dated_track(goal, today) or "no_data"

    late = sum(1 for m in goal.milestones if not m.done and m.due is not None and m.due < today)
    last_review = _last_review(goal, session_days(vault.sessions, today) if sessions is None else sessions, today)
    next_review = None
    if goal.review_every is not None and goal.status in ("active", "paused"):  # an achieved goal needs no review
        anchor = max(day for day in (goal.start, last_review) if day is not None) \
            if goal.start is not None or last_review is not None else None
        if anchor is not None:
            next_review = add_interval(anchor, goal.review_every)
    gas = gas_latest.get(goal.id)
    return GoalAnalysis(
        goal_id=goal.id,
        measurements=tuple(found),
        series=tuple(points),
        so_far=so_far,
        baseline=baseline,
        target=target,
        current=current,
        progress=progress,
        expected=expected,
        track=track,
        forecast=predicted,
        milestones_done=sum(1 for m in goal.milestones if m.done),
        milestones_total=len(goal.milestones),
        milestones_late=late,
        last_review=last_review,
        next_review=next_review,
        review_overdue=next_review is not None and today > next_review,
        gas_level=gas[0] if gas else None,
        gas_date=gas[1] if gas else None,
        days_left=(goal.due - today).days if goal.due is not None else None,
    )


SessionDays = tuple[dt.date | None, dict[str, dt.date]]  # the last session up to a day linked to no goal, and to each goal


def session_days(sessions: Sequence[Entry], today: dt.date) -> SessionDays:
    """The last session entry up to `today` linked to no goal, and the last linked to each goal: looked
    through once for all the goals, not once a goal."""
    unlinked: dt.date | None = None
    linked: dict[str, dt.date] = {}
    for entry in sessions:
        if entry.date > today:
            continue
        if not entry.goals:
            unlinked = entry.date if unlinked is None else max(unlinked, entry.date)
        for goal_id in entry.goals:
            linked[goal_id] = max(linked.get(goal_id, entry.date), entry.date)
    return unlinked, linked


def _last_review(goal: Goal, sessions: SessionDays, today: dt.date) -> dt.date | None:
    """A `reviews:` row, or a session entry linked to the goal or to no goal at all (SPEC §3.5)."""
    unlinked, linked = sessions
    days = [review.date for review in goal.reviews if review.date <= today]
    days += [day for day in (unlinked, linked.get(goal.id)) if day is not None]
    return max(days) if days else None


# ---------------------------------------------------------------- GAS


def gas_t_score(ratings: Iterable[tuple[int, float]]) -> float | None:
    """Kiresuk & Sherman: 50 + 10 Σwx / sqrt((1 − ρ) Σw² + ρ (Σw)²), over (level, weight) pairs."""
    pairs = list(ratings)
    if not pairs:
        return None
    weighted = sum(weight * level for level, weight in pairs)
    squares = sum(weight * weight for _level, weight in pairs)
    total = sum(weight for _level, weight in pairs)
    return 50 + 10 * weighted / math.sqrt((1 - GAS_RHO) * squares + GAS_RHO * total * total)


def gas_history(vault: Vault, today: dt.date) -> tuple[dict[str, tuple[int, dt.date]], list[tuple[dt.date, float]]]:
    """The latest rating per goal, and the overall T-score after each rating day."""
    weights = {goal.id: (goal.gas.weight if goal.gas else 1.0) for goal in vault.goals}
    latest: dict[str, tuple[int, dt.date]] = {}
    history: list[tuple[dt.date, float]] = []
    for entry in vault.entries:  # already in date order
        if entry.date > today:
            break
        rated = [rating for rating in entry.gas if rating.goal in weights]
        for rating in rated:
            latest[rating.goal] = (rating.level, entry.date)
        if rated:
            score = gas_t_score((level, weights[goal]) for goal, (level, _day) in latest.items())
            assert score is not None
            if history and history[-1][0] == entry.date:
                history[-1] = (entry.date, score)
            else:
                history.append((entry.date, score))
    return latest, history


# ---------------------------------------------------------------- questionnaires


@dataclass(frozen=True)
class Score:
    date: dt.date
    total: int
    band: str
    items: tuple[int, ...] | None
    location: Location


@dataclass(frozen=True)
class QuestionnaireResult:
    kind: str
    scores: tuple[Score, ...]
    change: str | None  # reliable_improvement | reliable_deterioration | no_reliable_change; None with one score
    recovered: bool
    item9_note: bool  # PHQ-9 item 9 (thoughts of self-harm) answered above 0 in the latest answers

    @property
    def first(self) -> Score:
        return self.scores[0]

    @property
    def latest(self) -> Score:
        return self.scores[-1]


def band(kind: str, total: int) -> str:
    for upper, name in BANDS[kind]:
        if total <= upper:
            return name
    return BANDS[kind][-1][1]


def questionnaire(kind: str, entries: Sequence[Entry], thresholds: Thresholds,
                  today: dt.date) -> QuestionnaireResult | None:
    scores = [Score(entry.date, answer.total, band(kind, answer.total), answer.items, answer.location)
              for entry in entries if entry.date <= today
              for answer in entry.questionnaires if answer.kind == kind]
    if not scores:
        return None
    first, latest = scores[0], scores[-1]
    change = None
    recovered = False
    if len(scores) > 1:
        if first.total - latest.total >= thresholds.reliable_change:
            change = "reliable_improvement"
        elif latest.total - first.total >= thresholds.reliable_change:
            change = "reliable_deterioration"
        else:
            change = "no_reliable_change"
        recovered = (change == "reliable_improvement" and first.total >= thresholds.cutoff
                     and latest.total < thresholds.cutoff)
    itemised = [score for score in scores if score.items is not None]
    item9 = kind == "phq9" and bool(itemised) and itemised[-1].items is not None and itemised[-1].items[8] > 0
    return QuestionnaireResult(kind, tuple(scores), change, recovered, item9)


# ---------------------------------------------------------------- journal


def streaks(days: Iterable[dt.date], today: dt.date) -> tuple[int, int]:
    """(current, longest) runs of consecutive days with an entry. A run ending yesterday is still current."""
    ordered = sorted({day for day in days if day <= today})
    longest = run = 0
    previous: dt.date | None = None
    for day in ordered:
        run = run + 1 if previous is not None and (day - previous).days == 1 else 1
        longest = max(longest, run)
        previous = day
    current = run if previous is not None and (today - previous).days <= 1 else 0
    return current, longest


def daily_mood(entries: Iterable[Entry], today: dt.date) -> list[tuple[dt.date, Fraction]]:
    by_day: dict[dt.date, list[float]] = defaultdict(list)
    for entry in entries:
        mood = entry.mood
        if mood is not None and entry.date <= today:
            by_day[entry.date].append(mood)
    return [(day, _mean(tuple(sorted(values)))) for day, values in sorted(by_day.items())]


@functools.lru_cache(maxsize=4096)
def _mean(values: tuple[float, ...]) -> Fraction:
    """Exact; cached, since a journal's days repeat a few mood combinations thousands of times."""
    return sum((exact(value) for value in values), Fraction(0)) / len(values)


# ---------------------------------------------------------------- all of it


@dataclass(frozen=True)
class Analysis:
    today: dt.date
    goals: dict[str, GoalAnalysis]
    gas_t_score: float | None
    gas_history: tuple[tuple[dt.date, float], ...]
    questionnaires: dict[str, QuestionnaireResult]
    streak_current: int
    streak_longest: int
    mood: tuple[tuple[dt.date, Fraction], ...]


GoalCache = dict[str, tuple[object, "GoalAnalysis"]]


def analyse(vault: Vault, today: dt.date, cache: GoalCache | None = None) -> Analysis:
    """Every figure. With a `cache` kept between builds, a goal whose inputs did not change keeps its
    analysis: its inputs are the goal, the entries that carry its field, the sessions' days and goals,
    its latest GAS rating, today and the settings (unchanged entries are the very same objects from
    build to build)."""
    with collector_paused():
        return _analyse(vault, today, {} if cache is None else cache)


def _analyse(vault: Vault, today: dt.date, cache: GoalCache) -> Analysis:
    latest, history = gas_history(vault, today)
    sessions = tuple((entry.date, entry.goals) for entry in vault.sessions)  # what a goal's reviews use of them
    reviewed: SessionDays | None = None
    goals = {}
    for goal in vault.goals:
        field = goal.measurable.field if goal.measurable is not None else None
        key = (goal, vault.with_field(field) if field else (), sessions, latest.get(goal.id), today, vault.settings)
        known = cache.get(goal.id)
        if known is None or known[0] != key:
            if reviewed is None:
                reviewed = session_days(vault.sessions, today)
            known = cache[goal.id] = (key, analyse_goal(goal, vault, today, latest, reviewed))
        goals[goal.id] = known[1]
    for gone in set(cache) - set(goals):
        del cache[gone]
    results = {}
    for kind, thresholds in vault.settings.thresholds.items():
        result = questionnaire(kind, vault.entries, thresholds, today)
        if result is not None:
            results[kind] = result
    current, longest = streaks((entry.date for entry in vault.entries), today)
    return Analysis(
        today=today,
        goals=goals,
        gas_t_score=history[-1][1] if history else None,
        gas_history=tuple(history),
        questionnaires=results,
        streak_current=current,
        streak_longest=longest,
        mood=tuple(daily_mood(vault.entries, today)),
    )
