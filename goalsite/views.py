"""What each page shows, ready for a template: plain values and kind words, never raw YAML."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from goalsite.analysis import Analysis
from goalsite.errors import count_problems
from goalsite.export import number
from goalsite.model import Vault

CSP = ("default-src 'none'; style-src 'self'; img-src 'self' data:; script-src 'none'; "
       "connect-src 'none'; form-action 'none'; base-uri 'none'")

TRACK_WORDS = {
    "achieved": "Achieved — well done",
    "on_track": "On track",
    "behind": "A little behind the plan",
    "overdue": "Past its due date",
    "no_data": "No measurements yet",
    "not_started": "Not started yet",
}


@dataclass(frozen=True)
class PageInfo:
    root: str  # relative path from the page to the site's root, e.g. "" or "../"
    csp: str = CSP


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def problems_text(counts: dict[str, int]) -> str:
    parts = [_plural(counts["error"], "error")] if counts["error"] else []
    if counts["warning"]:
        parts.append(_plural(counts["warning"], "warning"))
    return " and ".join(parts) or "no problems"


def site_view(vault: Vault, analysis: Analysis) -> dict[str, object]:
    counts = count_problems(vault.problems)
    return {
        "title": vault.settings.title,
        "today": analysis.today.isoformat(),
        "today_long": f"{analysis.today:%A} {analysis.today.day} {analysis.today:%B %Y}",
        "problems": counts,
        "problems_text": problems_text(counts),
        "streak_current": analysis.streak_current,
        "streak_longest": analysis.streak_longest,
    }


def _days_left(days: int | None) -> str | None:
    if days is None:
        return None
    if days > 0:
        return f"{_plural(days, 'day')} left"
    if days == 0:
        return "due today"
    return f"{_plural(-days, 'day')} ago"


def overview_goals(vault: Vault, analysis: Analysis) -> list[dict[str, object]]:
    """Active goals first, the focus goal at the very top; then the rest by file."""
    order = {"active": 0, "paused": 1, "achieved": 2, "dropped": 3}
    goals = sorted(vault.goals, key=lambda goal: (order[goal.status], not goal.focus, goal.file))
    views = []
    for goal in goals:
        result = analysis.goals[goal.id]
        progress = number(result.progress * 100) if result.progress is not None else None
        views.append({
            "id": goal.id,
            "title": goal.title,
            "status": goal.status,
            "focus": goal.focus,
            "track": result.track,
            "track_text": TRACK_WORDS[result.track],
            "progress_text": f"{progress}% of the way" if progress is not None else None,
            "due": _iso(goal.due),
            "days_left_text": _days_left(result.days_left) if goal.status == "active" else None,
            "next_review": _iso(result.next_review),
            "review_overdue": result.review_overdue,
        })
    return views


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day is not None else None
