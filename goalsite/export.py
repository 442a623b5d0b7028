"""The public data files: `data/goals.json` (SPEC §6.1) and `data/measurements.csv`."""

from __future__ import annotations

import csv
import io
import json
from fractions import Fraction

from goalsite.analysis import Analysis, QuestionnaireResult, Score, round2
from goalsite.errors import count_problems
from goalsite.model import Vault
from goalsite.smart import letter_grades


def number(value: Fraction | float | None) -> float | int | None:
    """Rounded to 2 decimals; whole numbers stay whole (2, not 2.0)."""
    rounded = round2(value)
    if rounded is None:
        return None
    return int(rounded) if rounded == int(rounded) else rounded


def _date(value: object) -> str | None:
    return value.isoformat() if value is not None else None  # type: ignore[attr-defined]


def _score(score: Score) -> dict[str, object]:
    return {"date": score.date.isoformat(), "total": score.total, "band": score.band}


def _questionnaire(result: QuestionnaireResult) -> dict[str, object]:
    data: dict[str, object] = {
        "first": _score(result.first),
        "latest": _score(result.latest),
        "change": result.change,
        "recovered": result.recovered,
        "count": len(result.scores),
    }
    if result.kind == "phq9":
        data["item9_note"] = result.item9_note
    return data


def goals_data(vault: Vault, analysis: Analysis) -> dict[str, object]:
    goals = []
    for goal in vault.goals:
        result = analysis.goals[goal.id]
        measurable = goal.measurable
        goals.append({
            "id": goal.id,
            "title": goal.title,
            "status": goal.status,
            "focus": goal.focus,
            "area": goal.area,
            "smart": letter_grades(goal, vault.problems),
            "field": measurable.field if measurable else None,
            "unit": measurable.unit if measurable else None,
            "baseline": number(result.baseline),
            "target": number(result.target),
            "current": number(result.current),
            "so_far": number(result.so_far.value) if result.so_far else None,
            "progress": number(result.progress),
            "expected": number(result.expected),
            "track": result.track,
            "forecast": _date(result.forecast),
            "start": _date(goal.start),
            "due": _date(goal.due),
            "days_left": result.days_left,
            "milestones": {"done": result.milestones_done, "total": result.milestones_total,
                           "late": result.milestones_late},
            "last_review": _date(result.last_review),
            "next_review": _date(result.next_review),
            "review_overdue": result.review_overdue,
            "gas": ({"level": result.gas_level, "date": _date(result.gas_date)}
                    if result.gas_level is not None else None),
            "file": goal.file,
        })
    return {
        "today": analysis.today.isoformat(),
        "goals": goals,
        "gas_t_score": number(analysis.gas_t_score),
        "gas_history": [{"date": day.isoformat(), "t_score": number(score)} for day, score in analysis.gas_history],
        "questionnaires": {kind: _questionnaire(result) for kind, result in sorted(analysis.questionnaires.items())},
        "streak": {"current": analysis.streak_current, "longest": analysis.streak_longest},
        "problems": count_problems(vault.problems),
    }


def goals_json(vault: Vault, analysis: Analysis) -> bytes:
    text = json.dumps(goals_data(vault, analysis), indent=2, ensure_ascii=False, allow_nan=False)
    return (text + "\n").encode("utf-8")


def _decimal(value: Fraction) -> str:
    """A measurement as the person wrote it: it came from a decimal, so the shortest float text is exact."""
    return str(value.numerator) if value.denominator == 1 else repr(float(value))


def _cell(text: str) -> str:
    """Text a spreadsheet could take for a formula (`=`, `+`, `-`, `@`) is marked as text."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


CsvCache = dict[str, tuple[object, str]]  # goal id → (its measurable and analysis, its rows)


def measurements_csv(vault: Vault, analysis: Analysis, cache: CsvCache | None = None) -> bytes:
    """Every goal's measurements. With a `cache` kept between builds, a goal with the very same
    analysis keeps its rows."""
    cache = {} if cache is None else cache
    parts = ["goal,field,date,value,unit,file,line\n"]
    for goal in vault.goals:
        measurable = goal.measurable
        if measurable is None or measurable.field is None:
            continue
        result = analysis.goals[goal.id]
        known = cache.get(goal.id)
        if known is None or known[0] != (goal.id, measurable, result):
            buffer = io.StringIO()
            writer = csv.writer(buffer, lineterminator="\n")
            for measurement in result.measurements:
                writer.writerow([_cell(goal.id), _cell(measurable.field), measurement.date.isoformat(),
                                 _decimal(measurement.value), _cell(measurable.unit or ""),
                                 _cell(measurement.location.file), measurement.location.line])
            known = cache[goal.id] = ((goal.id, measurable, result), buffer.getvalue())
        parts.append(known[1])
    return "".join(parts).encode("utf-8")
