"""What each page shows, ready for a template: plain values and kind words, never raw YAML.

`Site` computes what several pages share (where each entry's page is, how a
[[link]] resolves, each goal's summary) once; each `*_view` method returns
one page's context. Every href is relative to the site's root; templates put
`page.root` in front, so links work from `file://`.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, NamedTuple
from urllib.parse import quote

from markupsafe import Markup, escape

from goalsite.analysis import Analysis, GoalAnalysis, QuestionnaireResult, exact, expected_on
from goalsite.charts import Band, Chart, Line, line_chart, number_text, timeline_chart, year_pixels
from goalsite.errors import Problem, Severity, count_problems
from goalsite.export import number
from goalsite.load import Dated, note_names
from goalsite.markup import LISTED_WORDS, link_key, plain_excerpt, render_markdown
from goalsite.model import Entry, Goal, Vault
from goalsite.smart import letter_grades

TRACK_WORDS = {
    "achieved": "Achieved — well done",
    "on_track": "On track",
    "behind": "A little behind the plan",
    "overdue": "Past its due date",
    "no_data": "No measurements yet",
    "not_started": "Not started yet",
}
STATUS_WORDS = {"active": "Active", "paused": "Paused", "achieved": "Achieved", "dropped": "Let go"}
LETTERS = (("S", "Specific"), ("M", "Measurable"), ("A", "Achievable"), ("R", "Relevant"), ("T", "Time-bound"))
QUESTIONNAIRE_NAMES = {"phq9": "PHQ-9 (low mood)", "gad7": "GAD-7 (anxiety)"}
BAND_WORDS = {"minimal": "minimal", "mild": "mild", "moderate": "moderate",
              "moderately_severe": "moderately severe", "severe": "severe"}
CHANGE_WORDS = {"reliable_improvement": "a reliable improvement", "reliable_deterioration": "a reliable worsening",
                "no_reliable_change": "no reliable change"}
QUESTIONNAIRE_BANDS = {
    "phq9": (Band(0, 4.5, "b1", "minimal"), Band(4.5, 9.5, "b2", "mild"), Band(9.5, 14.5, "b3", "moderate"),
             Band(14.5, 19.5, "b4", "moderately severe"), Band(19.5, 27, "b5", "severe")),
    "gad7": (Band(0, 4.5, "b1", "minimal"), Band(4.5, 9.5, "b2", "mild"), Band(9.5, 14.5, "b3", "moderate"),
             Band(14.5, 21, "b5", "severe")),
}
NAV = (("index.html", "Overview"), ("goals/index.html", "Goals"), ("journal/index.html", "Journal"),
       ("timeline.html", "Timeline"), ("wins.html", "Wins"), ("review.html", "Review"),
       ("assessments.html", "Assessments"), ("search.html", "Search"))


def plural(count: int, word: str, many: str | None = None) -> str:
    return f"{count} {word if count == 1 else many or word + 's'}"


@functools.lru_cache(maxsize=16384)
def long_date(day: dt.date | None) -> str:
    """`Sat 21 Nov 2026` (remembered: a journal names the same days on many pages)."""
    return f"{day:%a} {day.day} {day:%b %Y}" if day is not None else ""


@functools.lru_cache(maxsize=16384)
def short_date(day: dt.date) -> str:
    return f"{day.day} {day:%b}"


def days_text(days: int | None) -> str | None:
    if days is None:
        return None
    if days > 0:
        return f"{plural(days, 'day')} left"
    return "due today" if days == 0 else f"due {plural(-days, 'day')} ago"


def fmt(value: Fraction | float | None, unit: str | None = None) -> str:
    shown = number(value)
    if shown is None:
        return "—"
    if unit and shown == 1:
        unit = one_of(unit)
    return f"{shown} {unit}" if unit else str(shown)


_NOT_PLURAL = frozenset(("always", "does", "less", "news", "series", "species", "perhaps", "towards", "across",
                         "afterwards", "sometimes", "thanks"))
_PLURAL_ES = ("sses", "shes", "ches", "xes", "zzes")
# "per" and "times" in other languages: units with them keep their words (Spanish "veces" is not "vece" + s)
_OTHER_LANGUAGE = frozenset(("por", "par", "pro", "pour", "je", "veces", "vezes"))


def one_of(unit: str) -> str:
    """A unit as it reads after the number 1: its first plural word, before any "per", made singular by
    English's regular rule ("panic attacks per week" → "panic attack per week", "glasses of water" →
    "glass of water", "mins" → "min"). Where that rule may be wrong ("calories", "yes", "focus", a
    word with a digit or a slash in it, a unit in another language: "veces por semana") the unit stays
    as written."""
    words = unit.split(" ")
    if any(word.lower() in _OTHER_LANGUAGE for word in words):
        return unit
    for index, word in enumerate(words):
        lower = word.lower()
        if lower == "per":
            break
        if (len(word) <= 3 or not word.isalpha() or not lower.endswith("s") or lower in _NOT_PLURAL
                or lower.endswith(("ss", "us", "is", "ies", "ous"))):
            continue
        words[index] = word[:-2] if lower.endswith(_PLURAL_ES) else word[:-1]
        return " ".join(words)
    return unit


def problems_text(counts: dict[str, int]) -> str:
    parts = [plural(counts["error"], "error")] if counts["error"] else []
    if counts["warning"]:
        parts.append(plural(counts["warning"], "warning"))
    return " and ".join(parts) or "no problems"


@dataclass(frozen=True)
class PageInfo:
    path: str  # where the page is, relative to the site's root
    title: str
    nav: str  # the NAV entry this page belongs to

    @functools.cached_property
    def root(self) -> str:
        return "../" * self.path.count("/")

    @property
    def section(self) -> str:
        """The page's part of the site as a word for its `class`: `journal-index`, or `other`."""
        return self.nav.replace("/", "-").replace(".html", "") or "other"

    @property
    def nav_links(self) -> Markup:
        """The main navigation's items, this page's part marked: the same on thousands of pages."""
        return _nav_links(self.root, self.nav)


@functools.lru_cache(maxsize=64)
def _nav_links(root: str, here: str) -> Markup:
    items = []
    for href, label in NAV:
        current = ' aria-current="page"' if href == here else ""
        items.append(f'      <li><a href="{escape(root + href)}"{current}>{escape(label)}</a></li>\n')
    return Markup("".join(items))


@functools.lru_cache(maxsize=16384)
def month_key(day: dt.date) -> str:
    """The month of `day`, as its page is named (YYYY-MM)."""
    return f"{day.year:04d}-{day.month:02d}"


def month_path(key: str) -> str:
    """The page of the month `key` (`month_key`)."""
    return f"journal/{key}.html"


class EntrySummary(dict[str, Any]):
    """An entry as lists show it; its `excerpt` is made only when a template asks for it (an entry's
    own page does not show it, and there are thousands of those)."""

    __slots__ = ("entry",)  # no attributes of its own: a template's `summary.title` is its key at once (`render`)

    def __init__(self, entry: Entry, facts: dict[str, Any]) -> None:
        super().__init__(facts)
        self.entry = entry

    def __missing__(self, key: str) -> Any:
        if key != "excerpt":
            raise KeyError(key)
        excerpt = self.entry.excerpt
        if excerpt is None:
            excerpt = plain_excerpt(self.entry.body, LISTED_WORDS)
        self["excerpt"] = excerpt
        return excerpt

    def __contains__(self, key: object) -> bool:
        return key == "excerpt" or super().__contains__(key)

    def get(self, key: str, default: Any = None) -> Any:
        return self[key] if key in self else default  # noqa: SIM401 (dict.get would not call __missing__)


class ReadyHtml(NamedTuple):
    """An entry's body rendered before its page (`build._EarlyMarkdown`): where its HTML, in UTF-8, lies
    in a file in memory, read when the page is made."""

    fd: int
    offset: int
    length: int

    def text(self) -> str:
        return str(os.pread(self.fd, self.length, self.offset), "utf-8")


def chart_context(chart: Chart) -> dict[str, Any]:
    return {"svg": chart.svg, "summary": chart.summary, "columns": chart.columns, "rows": chart.rows,
            "css_class": chart.css_class}


def entry_paths(entries: Iterable[Dated]) -> dict[str, str]:
    """Each entry's page by its file: journal/2026-11-21.html, then -2, -3 … for more entries that day,
    in the vault's order (by time)."""
    paths: dict[str, str] = {}
    day: dt.date | None = None
    count = 0
    for entry in entries:
        if entry.date != day:
            day, count = entry.date, 1
            paths[entry.file] = f"journal/{day.isoformat()}.html"
        else:
            count += 1
            paths[entry.file] = f"journal/{day.isoformat()}-{count}.html"
    return paths


def note_paths(entries: Iterable[Dated], paths: dict[str, str]) -> dict[str, str]:
    """The page a [[link]] to an entry leads to, by the names it may give (`note_names`): the first entry wins."""
    notes: dict[str, str] = {}
    for entry in entries:
        stem, iso = note_names(entry)
        path = paths[entry.file]
        notes.setdefault(stem, path)
        notes.setdefault(iso, path)
    return notes


def goal_keys(goals: Iterable[Goal]) -> dict[str, Goal]:
    """The goals by the key a [[link]] names them with: the id, in lower case."""
    return {goal.id.lower(): goal for goal in goals}


def resolve_link(target: str, goal_keys: dict[str, Goal], notes: dict[str, str]) -> tuple[str, str] | None:
    """Where a [[link]] leads (relative to the site's root) and its title: a goal by its id, else an entry."""
    key = link_key(target).lower()
    goal = goal_keys.get(key)
    if goal is not None:
        return Site.goal_href(goal.id), goal.title
    path = notes.get(key)
    if path is not None:
        return path, key
    return None


def link_world(goals: Iterable[Goal], notes: dict[str, str], strict_line_breaks: bool) -> object:
    """All that rendered Markdown depends on besides its own text and the page's depth: where each
    [[link]] may lead, and whether lines join. Markdown rendered in one world is good in an equal one."""
    return frozenset((goal.id, goal.title) for goal in goals), frozenset(notes.items()), strict_line_breaks


class Site:
    """The whole vault seen as pages."""

    def __init__(self, vault: Vault, analysis: Analysis) -> None:
        self.vault = vault
        self.analysis = analysis
        self.today = analysis.today
        self.settings = vault.settings
        self.goals_by_id = {goal.id: goal for goal in vault.goals}
        self.entry_paths = entry_paths(vault.entries)
        self.links: dict[tuple[str, str], str] = {}  # each [[link]]'s HTML by its words and root (`render_markdown`)
        self.entries_by_goal: dict[str, list[Entry]] = defaultdict(list)
        for entry in vault.entries:
            for goal_id in entry.goals:
                self.entries_by_goal[goal_id].append(entry)
        self.notes = note_paths(vault.entries, self.entry_paths)
        self.goal_keys = goal_keys(vault.goals)
        self.markdown_cache: dict[tuple[str, str], str] = {}  # a Builder shares its own between builds
        # Entries' bodies rendered for their own pages before this site was made, by the entry's place:
        # good only in this site's `link_world` (the builder checks).
        self.ready_markdown: dict[int, ReadyHtml] = {}
        self.counts = count_problems(vault.problems)

    # -- addresses -----------------------------------------------------------------------------

    @staticmethod
    def goal_path(goal_id: str) -> str:
        return f"goals/{goal_id}.html"

    @staticmethod
    def goal_href(goal_id: str) -> str:
        return "goals/" + quote(goal_id) + ".html"

    @staticmethod
    def goal_timeline_path(goal_id: str) -> str:
        return f"timeline/goal-{goal_id}.html"

    @staticmethod
    def timeline_year_path(year: int) -> str:
        return f"timeline/{year}.html"

    @staticmethod
    def search_year_path(year: int) -> str:
        return f"data/search-{year}.js"

    def entry_href(self, entry: Entry) -> str:
        return self.entry_paths[entry.file]

    def resolve(self, target: str) -> tuple[str, str] | None:
        return resolve_link(target, self.goal_keys, self.notes)

    def link_world(self) -> object:
        return link_world(self.vault.goals, self.notes, self.vault.settings.strict_line_breaks)

    def markdown(self, text: str, page: PageInfo) -> str:
        key = (text, page.root)
        html = self.markdown_cache.get(key)
        if html is None:
            html = self.markdown_cache[key] = render_markdown(text, self.resolve, page.root,
                                                              self.vault.settings.strict_line_breaks, self.links)
        return html

    # -- shared pieces ------------------------------------------------------------------------------

    def site_context(self) -> dict[str, Any]:
        return {
            "title": self.settings.title,
            "owner": self.settings.owner,
            "today": self.today.isoformat(),
            "today_long": long_date(self.today),
            "problems": self.counts,
            "problems_text": problems_text(self.counts),
            "nav": NAV,
            "crisis": self.settings.crisis,
            "item9_note": self.item9_note(),
        }

    def item9_note(self) -> bool:
        result = self.analysis.questionnaires.get("phq9")
        return result is not None and result.item9_note

    def goal_summary(self, goal: Goal) -> dict[str, Any]:
        result = self.analysis.goals[goal.id]
        unit = goal.measurable.unit if goal.measurable else None
        progress = int(Fraction(result.progress * 100).__round__()) if result.progress is not None else None
        upcoming = [m for m in goal.milestones if not m.done]
        upcoming.sort(key=lambda m: (m.due is None, m.due or dt.date.max))
        next_milestone = upcoming[0] if upcoming else None
        return {
            "id": goal.id,
            "href": self.goal_href(goal.id),
            "title": goal.title,
            "status": goal.status,
            "status_text": STATUS_WORDS[goal.status],
            "focus": goal.focus and goal.status == "active",
            "area": goal.area,
            "track": result.track,
            "track_text": TRACK_WORDS[result.track],
            "progress": progress,
            "current_text": fmt(result.current, unit) if result.current is not None else None,
            "target_text": fmt(result.target, unit) if result.target is not None else None,
            "so_far_text": fmt(result.so_far.value, unit) if result.so_far is not None else None,
            # "a week" after the value, unless the unit already says it ("nights per week")
            "per": (goal.measurable.per if goal.measurable and goal.measurable.per
                    and "per" not in (unit or "").split() else None),
            "period": goal.measurable.per if goal.measurable else None,  # "this week so far"
            "due": long_date(goal.due) if goal.due else None,
            "days_left_text": days_text(result.days_left) if goal.status == "active" else None,
            "next_milestone": ({"title": next_milestone.title, "due": long_date(next_milestone.due) or None,
                                "late": next_milestone.due is not None and next_milestone.due < self.today}
                               if next_milestone else None),
            "milestones_text": (f"{result.milestones_done} of {plural(result.milestones_total, 'milestone')} done"
                                if result.milestones_total else None),
            "next_review": long_date(result.next_review) if result.next_review else None,
            "review_overdue": result.review_overdue,
            "gas_text": (f"GAS level {result.gas_level:+d} on {long_date(result.gas_date)}"
                         if result.gas_level is not None else None),
        }

    def entry_summary(self, entry: Entry) -> dict[str, Any]:
        return EntrySummary(entry, {
            "href": self.entry_href(entry),
            "date": long_date(entry.date),
            "iso": entry.date.isoformat(),
            "time": entry.time,
            "title": entry.title or long_date(entry.date),
            "mood": number_text(entry.mood) if entry.mood is not None else None,
            "tags": entry.tags,
            "goals": [{"title": self.goals_by_id[g].title, "href": self.goal_href(g)} for g in entry.goals],
            "session": entry.session,
            "wins": entry.wins,
            "setbacks": entry.setbacks,
        })

    def mood_chart(self, days: int) -> Chart | None:
        start = self.today - dt.timedelta(days=days - 1)
        daily = [(day, float(value)) for day, value in self.analysis.mood if day >= start]
        if not daily:
            return None
        by_day = dict(self.analysis.mood)
        average = []
        for offset in range(days):
            day = start + dt.timedelta(days=offset)
            window = [by_day[d] for d in (day - dt.timedelta(days=k) for k in range(7)) if d in by_day]
            if window and day <= self.today:
                average.append((day, float(sum(window, Fraction(0)) / len(window))))
        low, high = self.settings.mood_scale
        mean = sum(v for _d, v in daily) / len(daily)
        summary = (f"Mood over the last {days} days: {plural(len(daily), 'day')} rated, "
                   f"average {number_text(round(mean, 1))} on your scale of {number_text(low)} to {number_text(high)}.")
        rows = [(long_date(day), number_text(round(value, 2)),
                 number_text(round(dict(average).get(day, 0), 2))) for day, value in daily]
        return line_chart([Line(daily, "data", dots=True, label="mood"), Line(average, "average", label="7-day average")],
                          f"Mood, last {days} days", summary, ("Day", "Mood", "7-day average"), rows,
                          low=low, high=high, start=start, end=self.today, css_class="mood")

    def goal_chart(self, goal: Goal, result: GoalAnalysis) -> Chart | None:
        measurable = goal.measurable
        if measurable is None or result.baseline is None or result.target is None or not measurable.complete:
            return None
        points = [(p.date, float(p.value)) for p in result.series]
        lines = [Line(points, "data", dots=True, label="measured")]
        if result.so_far is not None:
            lines.append(Line([(result.so_far.date, float(result.so_far.value))], "so-far", dots=True))
        start, due = goal.start, goal.due
        if start and due and due > start:
            lines.append(Line([(start, float(result.baseline)), (due, float(result.target))], "road"))
            lines.append(Line([(start, float(result.target)), (due, float(result.target))], "target"))
        if result.forecast and points:
            lines.append(Line([points[-1], (result.forecast, float(result.target))], "forecast"))
        days = [d for line in lines for d, _v in line.points] + [self.today]
        unit = measurable.unit or measurable.field or ""
        per = f" per {measurable.per}" if measurable.per and not (measurable.unit or "").endswith(measurable.per) else ""
        parts = [f"{goal.title}: from {fmt(result.baseline)} towards {fmt(result.target, measurable.unit)}."]
        if result.current is not None:
            parts.append(f"Latest {'complete ' + measurable.per if measurable.per else 'value'}: {fmt(result.current)}.")
        if result.expected is not None:
            parts.append(f"The plan expects {fmt(result.expected)} by today.")
        if result.forecast:
            parts.append(f"At this pace the target is reached around {long_date(result.forecast)}.")
        if not points:
            parts.append("No measurements yet.")
        rows = []
        for day, value in points:
            expected = (fmt(expected_on(day, result.baseline, result.target, start, due))
                        if start and due and due > start else "—")
            rows.append((long_date(day), number_text(value), expected))
        if result.so_far is not None:
            rows.append((long_date(result.so_far.date) + " (so far)", fmt(result.so_far.value), "—"))
        return line_chart(lines, f"Progress: {goal.title}", " ".join(parts),
                          ("Date" if not measurable.per else f"{measurable.per.title()} starting", "Measured",
                           "Plan"), rows, unit=unit + per, start=min(days), end=max(days), today=self.today,
                          css_class="progress")

    # -- pages ---------------------------------------------------------------------------------------

    def overview_view(self) -> dict[str, Any]:
        goals = sorted(self.vault.goals, key=lambda g: (not (g.focus and g.status == "active"), g.file))
        active = [self.goal_summary(g) for g in goals if g.status == "active"]
        recent_wins = self.wins_list[:5]
        mood = self.mood_chart(30)
        achieved = [self.goal_summary(g) for g in self.vault.goals if g.status == "achieved"]
        return {
            "active": active,
            "achieved": achieved,
            "others": [self.goal_summary(g) for g in self.vault.goals if g.status in ("paused", "dropped")],
            "wins": recent_wins,
            "mood": chart_context(mood) if mood else None,
            "streak": {"current": self.analysis.streak_current, "longest": self.analysis.streak_longest},
            "entries": len(self.vault.entries),
        }

    def goals_index_view(self) -> dict[str, Any]:
        groups = []
        for status in ("active", "paused", "achieved", "dropped"):
            members = [self.goal_summary(g) for g in self.vault.goals if g.status == status]
            if members:
                groups.append({"status": status, "title": STATUS_WORDS[status], "goals": members})
        return {"groups": groups}

    def goal_view(self, goal: Goal, page: PageInfo) -> dict[str, Any]:
        result = self.analysis.goals[goal.id]
        grades = letter_grades(goal, self.vault.problems)
        mine = [p for p in self.vault.problems if p.goal == goal.id]
        smart = []
        texts = {"S": goal.specific, "M": self._measurable_text(goal), "A": goal.achievable,
                 "R": goal.relevant or (", ".join(goal.values) if goal.values else None), "T": self._time_text(goal)}
        for letter, name in LETTERS:
            smart.append({"letter": letter, "name": name, "grade": grades[letter], "text": texts[letter],
                          "problems": [{"message": p.message, "hint": p.hint} for p in mine
                                       if p.letter == letter and p.severity != Severity.INFO]})
        chart = self.goal_chart(goal, result)
        timeline = None
        if goal.milestones and goal.start and goal.due:
            marks: list[tuple[dt.date, str, str]] = []
            rows = []
            for number_, m in enumerate(goal.milestones, start=1):
                state = "done" if m.done else ("late" if m.due and m.due < self.today else "upcoming")
                when = m.due or m.done_on
                if when is not None:
                    marks.append((when, str(number_), state))
                rows.append((str(number_), m.title, long_date(m.due) or "—", long_date(m.done_on) or
                             ("yes" if m.done else "not yet")))
            done = sum(1 for m in goal.milestones if m.done)
            timeline = chart_context(timeline_chart(
                goal.start, goal.due, marks, self.today, f"Milestones of {goal.title}",
                f"{done} of {plural(len(goal.milestones), 'milestone')} done.", rows))
        entries = sorted(self.entries_by_goal.get(goal.id, []), key=lambda e: e.sort_key, reverse=True)
        return {
            "goal": self.goal_summary(goal),
            "smart": smart,
            "specific": goal.specific,
            "chart": chart_context(chart) if chart else None,
            "milestones_chart": timeline,
            "milestones": [{"title": m.title, "due": long_date(m.due) or None, "done": m.done,
                            "done_on": long_date(m.done_on) or None,
                            "late": not m.done and m.due is not None and m.due < self.today} for m in goal.milestones],
            "plan": [{"step": s.step, "due": long_date(s.due) or None, "done": s.done} for s in goal.plan],
            "obstacles": [{"obstacle": o.obstacle, "plan": o.plan} for o in goal.obstacles],
            "supports": goal.supports,
            "constraints": goal.constraints,
            "values": goal.values,
            "reviews": self._reviews(goal),
            "revisions": [{"date": long_date(r.date) or None, "change": r.change, "why": r.why}
                          for r in goal.revisions],
            "gas": self._gas_scale(goal, result),
            "entries": [self.entry_summary(e) for e in entries[:30]],
            "more_entries": max(0, len(entries) - 30),
            "timeline_href": self.goal_timeline_path(quote(goal.id)),
            "notes": self.markdown(goal.notes, page) if goal.notes.strip() else None,
            "file": goal.file,
        }

    def _measurable_text(self, goal: Goal) -> str | None:
        m = goal.measurable
        if m is None:
            if goal.gas is not None:
                return "Rated on a Goal Attainment Scale."
            return f"Measured by {plural(len(goal.milestones), 'milestone')}." if len(goal.milestones) >= 2 else None
        if m.field is None or m.baseline is None or m.target is None:
            return None
        per = f", {m.aggregate} per {m.per}" if m.per else ""
        return (f"From {number_text(m.baseline)} to {number_text(m.target)}{' ' + m.unit if m.unit else ''}, "
                f"counted from “{m.field}” in your journal{per}.")

    def _time_text(self, goal: Goal) -> str | None:
        if goal.due is None:
            return None
        start = f"From {long_date(goal.start)} to " if goal.start else "Due "
        review = f"; reviewed every {goal.review_every}" if goal.review_every else ""
        return f"{start}{long_date(goal.due)}{review}."

    def _reviews(self, goal: Goal) -> list[dict[str, Any]]:
        reviews: list[tuple[dt.date, str, str | None]] = [(r.date, r.note or "Reviewed.", None) for r in goal.reviews]
        for entry in self.vault.sessions:
            if not entry.goals or goal.id in entry.goals:
                reviews.append((entry.date, entry.title or "Session", self.entry_href(entry)))
        reviews.sort(key=lambda r: r[0], reverse=True)
        return [{"date": long_date(day), "note": note, "href": href} for day, note, href in reviews]

    def _gas_scale(self, goal: Goal, result: GoalAnalysis) -> dict[str, Any] | None:
        if goal.gas is None:
            return None
        ratings = [(entry.date, rating.level) for entry in self.vault.entries
                   for rating in entry.gas if rating.goal == goal.id and entry.date <= self.today]
        chart = None
        if ratings:
            levels = [(day, float(level)) for day, level in ratings]
            chart = chart_context(line_chart(
                [Line([(goal.start or levels[0][0], 0.0), (max(goal.due or self.today, levels[-1][0]), 0.0)], "target"),
                 Line(levels, "data", dots=True)], f"GAS levels: {goal.title}",
                f"{plural(len(levels), 'rating')}; the latest is {ratings[-1][1]:+d} on {long_date(ratings[-1][0])} "
                "(0 is the expected outcome).",
                ("Date", "Level"), [(long_date(day), f"{level:+d}" if level else "0") for day, level in ratings],
                low=-2, high=2, start=goal.start, end=max(goal.due or self.today, ratings[-1][0]), today=self.today,
                css_class="gas-levels"))
        return {
            "chart": chart,"levels": [{"level": f"{level:+d}" if level else "0", "text": goal.gas.levels.get(level, ""),
                            "current": result.gas_level == level} for level in (2, 1, 0, -1, -2)],
                "weight": number_text(goal.gas.weight),
                "ratings": [{"date": long_date(day), "level": f"{level:+d}" if level else "0"}
                            for day, level in reversed(ratings)]}

    @functools.cached_property
    def journal_months(self) -> list[tuple[str, list[Entry]]]:
        months: dict[str, list[Entry]] = defaultdict(list)
        for entry in self.vault.entries:
            months[month_key(entry.date)].append(entry)
        return sorted(months.items(), reverse=True)

    def journal_index_view(self) -> dict[str, Any]:
        months = self.journal_months
        recent = list(reversed(self.vault.entries[-40:]))
        year = self.today.year
        moods = self._moods_by_day()
        in_year = [d for d in moods if d.year == year]
        by_month: dict[int, list[dt.date]] = defaultdict(list)
        for day in in_year:
            by_month[day.month].append(day)
        rows = []
        for month in range(1, 13):
            days = by_month[month]
            rated = [moods[d] for d in days if moods[d] is not None]
            rows.append((dt.date(year, month, 1).strftime("%B"), str(len(days)),
                         number_text(round(sum(rated) / len(rated), 1)) if rated else "—"))  # type: ignore[arg-type]
        pixels = year_pixels(year, {d: v for d, v in moods.items() if d.year == year}, *self.settings.mood_scale,
                             title=f"{year} in pixels",
                             summary=f"{year}: {plural(len(in_year), 'day')} with an entry.", rows=rows,
                             week_start=self.settings.week_start)
        return {
            "recent": [self.entry_summary(e) for e in recent],
            "months": [{"key": key, "name": dt.date(int(key[:4]), int(key[5:]), 1).strftime("%B %Y"),
                        "href": month_path(key), "count": len(entries)} for key, entries in months],
            "pixels": chart_context(pixels),
            "year": year,
            "mood": chart_context(chart) if (chart := self.mood_chart(90)) else None,
        }

    def _moods_by_day(self) -> dict[dt.date, float | None]:
        moods: dict[dt.date, float | None] = {}
        mood = dict(self.analysis.mood)
        for entry in self.vault.entries:
            if entry.date <= self.today:
                moods[entry.date] = float(mood[entry.date]) if entry.date in mood else None
        return moods

    def journal_month_view(self, key: str, entries: list[Entry]) -> dict[str, Any]:
        return {"name": dt.date(int(key[:4]), int(key[5:]), 1).strftime("%B %Y"),
                "entries": [self.entry_summary(e) for e in reversed(entries)]}

    def entry_view(self, entry: Entry, index: int, page: PageInfo) -> dict[str, Any]:
        entries = self.vault.entries
        previous = entries[index - 1] if index > 0 else None
        following = entries[index + 1] if index + 1 < len(entries) else None
        reserved = {"mood"}
        measurements = [{"name": name, "value": number_text(value.number)}
                        for name, value in sorted(entry.fields.items())
                        if value.number is not None and name not in reserved]
        return {
            "entry": self.entry_summary(entry),
            "body": ready.text() if (ready := self.ready_markdown.get(index)) is not None
            and entries[index] is entry else self.markdown(entry.body, page),
            "coping": entry.coping,
            "measurements": measurements,
            "questionnaires": [{"name": QUESTIONNAIRE_NAMES[q.kind], "total": q.total} for q in entry.questionnaires],
            "gas": [{"goal": self.goals_by_id[r.goal].title if r.goal in self.goals_by_id else r.goal,
                     "level": f"{r.level:+d}" if r.level else "0"} for r in entry.gas],
            "tasks": f"{entry.tasks_done} of {plural(entry.tasks_total, 'task')} done" if entry.tasks_total else None,
            "previous": {"href": self.entry_href(previous), "date": long_date(previous.date)} if previous else None,
            "next": {"href": self.entry_href(following), "date": long_date(following.date)} if following else None,
            "file": entry.file,
        }

    # -- timeline --------------------------------------------------------------------------------------

    @functools.cached_property
    def events(self) -> list[dict[str, Any]]:
        """Everything dated, newest first: (date, kind, text, href, goal ids)."""
        found: list[tuple[dt.date, int, str, str, str | None, tuple[str, ...]]] = []
        for goal in self.vault.goals:
            href = self.goal_href(goal.id)
            if goal.start:
                found.append((goal.start, 1, "start", f"Started “{goal.title}”", href, (goal.id,)))
            for m in goal.milestones:
                if m.done_on:
                    found.append((m.done_on, 2, "milestone", f"Milestone done: {m.title}", href, (goal.id,)))
            for r in goal.reviews:
                found.append((r.date, 3, "review", f"Reviewed “{goal.title}”" + (f": {r.note}" if r.note else ""),
                              href, (goal.id,)))
            for v in goal.revisions:
                if v.date:
                    found.append((v.date, 3, "revision", f"Changed “{goal.title}”: {v.change}"
                                  + (f" ({v.why})" if v.why else ""), href, (goal.id,)))
        for entry in self.vault.entries:
            href = self.entry_href(entry)
            for win in entry.wins:
                found.append((entry.date, 4, "win", win, href, entry.goals))
            for setback in entry.setbacks:
                found.append((entry.date, 5, "setback", setback, href, entry.goals))
            kind = "session" if entry.session else "entry"
            words = entry.title or plain_excerpt(entry.body, 12) or "Journal entry"
            found.append((entry.date, 6, kind, words, href, entry.goals))
        found = [event for event in found if event[0] <= self.today]
        found.sort(key=lambda e: (e[0], -e[1]), reverse=True)
        return [{"date": day, "kind": kind, "text": text, "href": href, "goals": goals}
                for day, _order, kind, text, href, goals in found]

    @functools.cached_property
    def timeline_years(self) -> list[int]:
        return sorted({event["date"].year for event in self.events}, reverse=True)

    def timeline_view(self, goal: Goal | None = None, year: int | None = None) -> dict[str, Any]:
        """All of one goal's events, or one year's, or (the main timeline) the last twelve months':
        a listing never grows with the vault's age, so one edit never rewrites a huge page."""
        events = self.events
        if goal is not None:
            events = [e for e in events if goal.id in e["goals"]]
        elif year is not None:
            events = [e for e in events if e["date"].year == year]
        else:
            since = dt.date(self.today.year - 1, self.today.month, 1)
            events = [e for e in events if e["date"] >= since]
        months: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for event in events:
            months[month_key(event["date"])].append({
                **event, "date": short_date(event["date"]), "goals": " ".join(event["goals"])})
        return {
            "goal": self.goal_summary(goal) if goal else None,
            "year": year,
            "years": [{"year": y, "href": self.timeline_year_path(y)} for y in self.timeline_years],
            "months": [{"name": dt.date(int(k[:4]), int(k[5:]), 1).strftime("%B %Y"), "events": v}
                       for k, v in sorted(months.items(), reverse=True)],
            "filters": [{"id": g.id, "title": g.title, "href": self.goal_timeline_path(quote(g.id))}
                        for g in self.vault.goals],
        }

    # -- wins, review, assessments, problems --------------------------------------------------------------

    @functools.cached_property
    def wins_list(self) -> list[dict[str, Any]]:
        wins = [{"date": long_date(e.date), "iso": e.date, "text": win, "href": self.entry_href(e)}
                for e in self.vault.entries if e.date <= self.today for win in e.wins]
        return sorted(wins, key=lambda w: w["iso"], reverse=True)

    def wins_view(self) -> dict[str, Any]:
        milestones = sorted(((m.done_on, m.title, goal) for goal in self.vault.goals for m in goal.milestones
                             if m.done and m.done_on and m.done_on <= self.today), key=lambda x: x[0], reverse=True)
        return {
            "achieved": [self.goal_summary(g) for g in self.vault.goals if g.status == "achieved"
                         or self.analysis.goals[g.id].track == "achieved"],
            "milestones": [{"date": long_date(day), "title": title, "goal": goal.title,
                            "href": self.goal_href(goal.id)} for day, title, goal in milestones],
            "wins": self.wins_list,
            "streak": {"current": self.analysis.streak_current, "longest": self.analysis.streak_longest},
        }

    def last_session(self) -> dt.date | None:
        days = [e.date for e in self.vault.entries if e.session and e.date < self.today]
        return max(days) if days else None

    def review_view(self) -> dict[str, Any]:
        since = self.last_session()
        start = since or self.today - dt.timedelta(days=14)
        length = (self.today - start).days
        window = [e for e in self.vault.entries if start < e.date <= self.today]
        before = [e for e in self.vault.entries if start - dt.timedelta(days=length) < e.date <= start]
        goals = []
        for goal in self.vault.goals:
            if goal.status not in ("active", "paused"):
                continue
            result = self.analysis.goals[goal.id]
            unit = goal.measurable.unit if goal.measurable else None
            earlier = [p for p in result.series if p.date <= start]
            measurements = [(m.date, m.value) for m in result.measurements if start < m.date <= self.today]
            late = [m.title for m in goal.milestones if not m.done and m.due and m.due < self.today]
            linked = [e for e in window if goal.id in e.goals]
            goals.append({
                "summary": self.goal_summary(goal),
                "then": fmt(earlier[-1].value, unit) if earlier else None,
                "now": fmt(result.current, unit) if result.current is not None else None,
                "measurements": [{"date": long_date(d), "value": fmt(v)} for d, v in measurements],
                "late": late,
                "wins": [w for e in linked for w in e.wins],
                "setbacks": [s for e in linked for s in e.setbacks],
                "entries": len(linked),
            })
        mood_now, mood_before = self._mean_mood(window), self._mean_mood(before)
        questionnaires = []
        for kind, scored in sorted(self.analysis.questionnaires.items()):
            previous = [s for s in scored.scores if s.date <= start]
            latest = scored.latest
            questionnaires.append({
                "name": QUESTIONNAIRE_NAMES[kind],
                "latest": f"{latest.total} ({BAND_WORDS[latest.band]}) on {long_date(latest.date)}",
                "previous": (f"{previous[-1].total} ({BAND_WORDS[previous[-1].band]}) on {long_date(previous[-1].date)}"
                             if previous and previous[-1] is not latest else None),
                "change": self._change_text(scored),
            })
        return {
            "since": long_date(since) if since else None,
            "start": long_date(start),
            "days": length,
            "goals": goals,
            "wins": [{"date": long_date(e.date), "text": w} for e in window for w in e.wins],
            "setbacks": [{"date": long_date(e.date), "text": s} for e in window for s in e.setbacks],
            "mood_now": number_text(round(mood_now, 1)) if mood_now is not None else None,
            "mood_before": number_text(round(mood_before, 1)) if mood_before is not None else None,
            "mood_change": self._mood_change(mood_now, mood_before),
            "entries": len(window),
            "questionnaires": questionnaires,
        }

    @staticmethod
    def _mean_mood(entries: Iterable[Entry]) -> float | None:
        moods = [exact(e.mood) for e in entries if e.mood is not None]
        return float(sum(moods, Fraction(0)) / len(moods)) if moods else None

    @staticmethod
    def _mood_change(now: float | None, before: float | None) -> str | None:
        if now is None or before is None:
            return None
        difference = round(now - before, 1)
        if abs(difference) < 0.5:
            return "about the same as the period before"
        return f"{number_text(abs(difference))} {'higher' if difference > 0 else 'lower'} than the period before"

    @staticmethod
    def _change_text(result: QuestionnaireResult) -> str:
        if result.change is None:
            return "One score so far; change shows from the second."
        text = (f"From {result.first.total} on {long_date(result.first.date)} to {result.latest.total}: "
                f"{CHANGE_WORDS[result.change]}")
        return text + (", and below the clinical cut-off now." if result.recovered else ".")

    def assessments_view(self) -> dict[str, Any]:
        questionnaires = []
        for kind, result in sorted(self.analysis.questionnaires.items()):
            points = [(s.date, float(s.total)) for s in result.scores]
            rows = [(long_date(s.date), str(s.total), BAND_WORDS[s.band]) for s in result.scores]
            top = 27 if kind == "phq9" else 21
            chart = line_chart([Line(points, "data", dots=True)], QUESTIONNAIRE_NAMES[kind],
                               f"{QUESTIONNAIRE_NAMES[kind]}: {plural(len(points), 'score')}; the latest is "
                               f"{result.latest.total}, {BAND_WORDS[result.latest.band]}. {self._change_text(result)}",
                               ("Date", "Total", "Band"), rows, bands=QUESTIONNAIRE_BANDS[kind], low=0, high=top,
                               css_class="questionnaire")
            thresholds = self.settings.thresholds[kind]
            questionnaires.append({"name": QUESTIONNAIRE_NAMES[kind], "chart": chart_context(chart),
                                   "change": self._change_text(result),
                                   "thresholds": f"A change of {thresholds.reliable_change} points or more is reliable; "
                                                 f"the clinical cut-off is {thresholds.cutoff}."})
        gas_chart = None
        if self.analysis.gas_history:
            points = [(day, score) for day, score in self.analysis.gas_history]
            gas_chart = chart_context(line_chart(
                [Line([(points[0][0], 50.0), (max(points[-1][0], self.today), 50.0)], "target"),
                 Line(points, "data", dots=True)], "GAS T-score",
                f"The overall GAS T-score is {number_text(round(points[-1][1], 1))}; 50 means goals are met as expected.",
                ("Date", "T-score"), [(long_date(d), number_text(round(s, 2))) for d, s in points],
                low=min(20.0, min(s for _d, s in points)), high=max(80.0, max(s for _d, s in points)),
                css_class="gas"))
        gas_goals = [{"title": g.title, "href": self.goal_href(g.id),
                      "level": f"{r.gas_level:+d}" if r.gas_level else "0", "date": long_date(r.gas_date)}
                     for g in self.vault.goals if (r := self.analysis.goals[g.id]).gas_level is not None]
        return {"questionnaires": questionnaires, "gas_chart": gas_chart, "gas_goals": gas_goals,
                "gas_t_score": number_text(round(self.analysis.gas_t_score, 1))
                if self.analysis.gas_t_score is not None else None}

    def problems_view(self) -> dict[str, Any]:
        by_file: dict[str, list[Problem]] = defaultdict(list)
        for problem in self.vault.problems:
            by_file[problem.location.file].append(problem)
        return {"files": [{"file": file, "problems": [
            {"line": p.location.line, "column": p.location.column, "severity": p.severity.word, "code": p.code,
             "letter": p.letter, "message": p.message, "hint": p.hint,
             "goal_href": self.goal_href(p.goal) if p.goal in self.goals_by_id else None} for p in problems]}
            for file, problems in sorted(by_file.items())]}

    def search_years(self) -> list[int]:
        return sorted({entry.date.year for entry in self.vault.entries})

    def search_view(self) -> dict[str, Any]:
        return {"scripts": ["data/search-goals.js"] + [self.search_year_path(y) for y in self.search_years()]}

    def search_goal_records(self) -> list[dict[str, str]]:
        return [{"t": g.title, "u": self.goal_href(g.id), "k": "goal",
                 "x": " ".join(filter(None, (g.specific, g.achievable, g.relevant, g.area, g.notes)))}
                for g in self.vault.goals]

    def search_entry_records(self, year: int) -> list[dict[str, str]]:
        return [{"t": entry.title or long_date(entry.date), "u": self.entry_href(entry), "k": long_date(entry.date),
                 "x": " ".join((*entry.tags, *entry.wins, *entry.setbacks, *entry.coping, entry.body))}
                for entry in self._entries_by_year.get(year, ())]

    @functools.cached_property
    def _entries_by_year(self) -> dict[int, list[Entry]]:
        """The entries of each year, in order: each year's search file goes through its own only."""
        years: dict[int, list[Entry]] = defaultdict(list)
        for entry in self.vault.entries:
            years[entry.date.year].append(entry)
        return years
