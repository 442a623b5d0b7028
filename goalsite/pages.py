"""Which pages the site has: each with its path, its template and the view it shows.

Paths are stable (SPEC §6). Contexts are made lazily, when the page is
rendered, so planning a 10,000-entry site costs next to nothing.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from goalsite.model import Entry
from goalsite.views import PageInfo, Site, long_date, month_path

EVERYTHING = "*"  # a page that summarises the whole vault: re-rendered on any change
YEARS = "years"  # a timeline page, which links every year that has something on the timeline


@dataclass(frozen=True)
class Page:
    path: str
    template: str
    title: str
    nav: str
    context: Callable[[PageInfo], dict[str, Any]]
    deps: frozenset[str]  # what it shows: "entry:<file>", "goal:<id>", "month:<YYYY-MM>", "year:<YYYY>",
    # "search:<YYYY>" (a year's bodies, for search), YEARS or "*"

    @property
    def info(self) -> PageInfo:
        return PageInfo(self.path, self.title, self.nav)


def _summary(path: str, template: str, title: str, nav: str,
             context: Callable[[PageInfo], dict[str, Any]]) -> Page:
    return Page(path, template, title, nav, context, frozenset({EVERYTHING}))


def plan_pages(site: Site) -> list[Page]:
    """Every page but the entries' own (`entry_page`, one for each entry: planned by the build as it
    goes, since a small change re-renders only a few of thousands)."""
    vault = site.vault
    pages = [
        _summary("index.html", "index.html", "Overview", "index.html", lambda info: site.overview_view()),
        _summary("goals/index.html", "goals.html", "Goals", "goals/index.html", lambda info: site.goals_index_view()),
        _summary("journal/index.html", "journal.html", "Journal", "journal/index.html",
                 lambda info: site.journal_index_view()),
        _summary("timeline.html", "timeline.html", "Timeline", "timeline.html", lambda info: site.timeline_view()),
        _summary("wins.html", "wins.html", "Wins", "wins.html", lambda info: site.wins_view()),
        _summary("review.html", "review.html", "Review", "review.html", lambda info: site.review_view()),
        _summary("assessments.html", "assessments.html", "Assessments", "assessments.html",
                 lambda info: site.assessments_view()),
        _summary("problems.html", "problems.html", "Problems", "", lambda info: site.problems_view()),
        _summary("search.html", "search.html", "Search", "search.html", lambda info: site.search_view()),
    ]
    for year in site.timeline_years:
        pages.append(Page(site.timeline_year_path(year), "timeline.html", f"Timeline {year}", "timeline.html",
                          lambda info, year=year: site.timeline_view(year=year),  # type: ignore[misc]
                          frozenset({f"year:{year}", YEARS})))
    for goal in vault.goals:
        keys = frozenset({f"goal:{goal.id}"})
        pages.append(Page(site.goal_path(goal.id), "goal.html", goal.title, "goals/index.html",
                          lambda info, goal=goal: site.goal_view(goal, info), keys))  # type: ignore[misc]
        pages.append(Page(site.goal_timeline_path(goal.id), "timeline.html", f"Timeline: {goal.title}",
                          "timeline.html", lambda info, goal=goal: site.timeline_view(goal),  # type: ignore[misc]
                          keys | {YEARS}))
    for key, entries in site.journal_months:
        name = dt.date(int(key[:4]), int(key[5:]), 1).strftime("%B %Y")
        pages.append(Page(month_path(key), MONTH_TEMPLATE, f"Journal: {name}", "journal/index.html",
                          lambda info, key=key, entries=entries: site.journal_month_view(key, entries),  # type: ignore[misc]
                          frozenset({f"month:{key}"})))
    return pages


ENTRY_TEMPLATE = "entry.html"  # every entry's own page
MONTH_TEMPLATE = "journal_month.html"  # a month's list of entries
# Pages that show nothing that depends on the day, so they do not say the day they were made either: a
# new day's first build leaves them as they are (thousands of files not rewritten, nor synced again).
UNDATED = frozenset({ENTRY_TEMPLATE, MONTH_TEMPLATE})


def entry_key(entry: Entry) -> str:
    """What an entry's own page depends on."""
    return f"entry:{entry.file}"


def entry_page(site: Site, entry: Entry, index: int) -> Page:
    """One entry's own page; `index` is its place in the vault's entries, which gives its neighbours."""
    return Page(site.entry_href(entry), ENTRY_TEMPLATE, entry.title or long_date(entry.date), "journal/index.html",
                lambda info: site.entry_view(entry, index, info), frozenset({entry_key(entry)}))


@dataclass(frozen=True)
class DataFile:
    path: str
    make: Callable[[], bytes]
    deps: frozenset[str]


def plan_data(site: Site) -> list[DataFile]:
    """The site's non-HTML files, with what they depend on, like pages."""
    files = [DataFile("calendar.ics", lambda: calendar_ics(site), frozenset({EVERYTHING})),
             DataFile("data/search-goals.js", lambda: search_script(site.search_goal_records()),
                      frozenset({EVERYTHING}))]
    for year in site.search_years():
        files.append(DataFile(site.search_year_path(year),
                              lambda year=year: search_script(site.search_entry_records(year)),  # type: ignore[misc]
                              frozenset({f"search:{year}"})))
    return files


_SCRIPT_ESCAPES = (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"))


def search_script(records: list[dict[str, str]]) -> bytes:
    """A script, not JSON to fetch: pages opened from disk cannot fetch files. Every character that could
    end a script or a string early is escaped. One file per year, so an edit rewrites only its year."""
    text = json.dumps(records, ensure_ascii=True, separators=(",", ":"), allow_nan=False)
    for character, escaped in _SCRIPT_ESCAPES:
        if character in text:  # (seldom: a year's file is a megabyte, and each replace copies it)
            text = text.replace(character, escaped)
    return f"(window.goalsiteSearchIndex = window.goalsiteSearchIndex || []).push(...{text});\n".encode("ascii")


def _ics_text(text: str) -> str:
    return (text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n"))


def _fold(line: str) -> list[str]:
    """RFC 5545: lines of at most 75 octets, continued with a space."""
    out: list[str] = []
    current = ""
    for character in line:
        if len((current + character).encode("utf-8")) > (75 if not out else 74):
            out.append(current)
            current = ""
        current += character
    out.append(current)
    return [out[0]] + [" " + part for part in out[1:]]


def calendar_ics(site: Site) -> bytes:
    """Due dates, milestones not yet done and next reviews, as all-day events."""
    stamp = site.today.strftime("%Y%m%dT000000Z")
    events: list[tuple[dt.date, str, str]] = []
    for goal in site.vault.goals:
        if goal.status not in ("active", "paused"):
            continue
        if goal.due:
            events.append((goal.due, f"due-{goal.id}", f"Due: {goal.title}"))
        for number, milestone in enumerate(goal.milestones, start=1):
            if milestone.due and not milestone.done:
                events.append((milestone.due, f"milestone-{number}-{goal.id}",
                               f"Milestone: {milestone.title} ({goal.title})"))
        review = site.analysis.goals[goal.id].next_review
        if review:
            events.append((review, f"review-{goal.id}", f"Review: {goal.title}"))
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//goalsite//goalsite//EN", "CALSCALE:GREGORIAN",
             f"X-WR-CALNAME:{_ics_text(site.settings.title)}"]
    for day, uid, summary in sorted(events, key=lambda e: (e[0], e[1])):
        lines += ["BEGIN:VEVENT", f"UID:{_ics_text(uid)}-{day:%Y%m%d}@goalsite", f"DTSTAMP:{stamp}",
                  f"DTSTART;VALUE=DATE:{day:%Y%m%d}", f"DTEND;VALUE=DATE:{day + dt.timedelta(days=1):%Y%m%d}",
                  f"SUMMARY:{_ics_text(summary)}", "TRANSP:TRANSPARENT", "END:VEVENT"]
    lines.append("END:VCALENDAR")
    return ("".join(part + "\r\n" for line in lines for part in _fold(line))).encode("utf-8")
