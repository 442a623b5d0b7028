"""SPEC §3, with every expected figure worked out by hand in the test."""

from __future__ import annotations

import datetime as dt
import math
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import analysed, write
from goalsite.analysis import add_interval, band, expected_on, gas_t_score, round2, streaks
from goalsite.export import goals_data
from goalsite.model import Interval

D = dt.date


def measured_goal(vault: Path, measurable: str, start: str = "2026-10-01", due: str = "2026-12-30",
                  extra: str = "", name: str = "g") -> None:
    write(vault, f"goals/{name}.md", f"""---
title: A goal
specific: Fewer panic attacks each week, counted in my journal.
measurable: {measurable}
achievable: I have my breathing exercises.
relevant: I want to take the train again.
start: {start}
due: {due}
review_every: 2 weeks
{extra}---
""")


def entries(vault: Path, field: str, values: dict[str, float | str]) -> None:
    for day, value in values.items():
        write(vault, f"journal/{day}.md", f"---\n{field}: {value}\n---\n")


# -- the road, the track and its boundary ------------------------------------------------


@pytest.mark.parametrize(("latest", "track"), [("5.6", "on_track"), ("5.7", "behind"), ("2", "achieved"),
                                                ("1.5", "achieved")])
def test_decreasing_goal_on_both_sides_of_the_boundary(vault: Path, latest: str, track: str) -> None:
    # 8 → 2 from 2026-10-01 to 2026-12-30 (90 days). On 2026-11-15 (45 days) the road is at 8 − 6 × 45/90 = 5.
    # 5.6: (5.6 − 5) / (2 − 8) = −0.1 exactly → on track; 5.7: −0.1167 → behind; at or below 2 → achieved.
    measured_goal(vault, "{field: attacks, baseline: 8, target: 2}")
    entries(vault, "attacks", {"2026-10-05": 7, "2026-11-01": 6, "2026-11-14": latest})
    _model, analysis = analysed(vault, D(2026, 11, 15))
    result = analysis.goals["g"]
    assert result.expected == 5
    assert result.track == track
    assert float(result.current) == float(latest)  # type: ignore[arg-type]


def test_progress_is_clamped(vault: Path) -> None:
    measured_goal(vault, "{field: attacks, baseline: 8, target: 2}")
    entries(vault, "attacks", {"2026-11-14": "5.6"})
    _model, analysis = analysed(vault, D(2026, 11, 15))
    assert float(analysis.goals["g"].progress) == pytest.approx(0.4)  # type: ignore[arg-type]
    entries(vault, "attacks", {"2026-11-14": 9})  # worse than the baseline → 0, not negative
    assert analysed(vault, D(2026, 11, 15))[1].goals["g"].progress == 0


def test_increasing_goal_boundary(vault: Path) -> None:
    # 1 → 5 from 2026-10-01 to 2026-12-30; on 2026-11-15 the road is at 1 + 4 × 45/90 = 3.
    # 2.6: (2.6 − 3) / 4 = −0.1 → on track; 2.59: −0.1025 → behind.
    measured_goal(vault, "{field: walks, baseline: 1, target: 5}")
    entries(vault, "walks", {"2026-11-14": "2.6"})
    assert analysed(vault, D(2026, 11, 15))[1].goals["g"].track == "on_track"
    entries(vault, "walks", {"2026-11-14": "2.59"})
    assert analysed(vault, D(2026, 11, 15))[1].goals["g"].track == "behind"


def test_several_measurements_on_one_day_use_the_aggregate(vault: Path) -> None:
    measured_goal(vault, "{field: walks, baseline: 0, target: 10, aggregate: max}")
    write(vault, "journal/2026-11-14.md", "---\nwalks: 2\ntime: '08:00'\n---\n")
    write(vault, "journal/2026-11-14-evening.md", "---\nwalks: 1\ntime: '20:00'\n---\n")
    _model, analysis = analysed(vault, D(2026, 11, 15))
    assert [(p.date, p.value) for p in analysis.goals["g"].series] == [(D(2026, 11, 14), 2)]


def test_without_per_the_default_is_the_last_of_the_day(vault: Path) -> None:
    measured_goal(vault, "{field: weight, baseline: 80, target: 75}")
    write(vault, "journal/2026-11-14.md", "---\nweight: 78\ntime: '08:00'\n---\n")
    write(vault, "journal/2026-11-14-b.md", "---\nweight: 77.5\ntime: '21:00'\n---\n")
    _model, analysis = analysed(vault, D(2026, 11, 15))
    assert analysis.goals["g"].current == pytest.approx(77.5)


# -- periods ------------------------------------------------------------------------------


def test_weekly_periods_across_a_month_end_with_monday_weeks(vault: Path) -> None:
    measured_goal(vault, "{field: nights, baseline: 1, target: 5, per: week}")
    # Thu 29 Oct, Sat 31 Oct, Sun 1 Nov fall in the week of Mon 26 Oct; Mon 2 Nov starts the next.
    entries(vault, "nights", {"2026-10-29": 1, "2026-10-31": 1, "2026-11-01": 1, "2026-11-02": 1})
    _model, analysis = analysed(vault, D(2026, 11, 10))
    assert [(p.date, p.value, p.count) for p in analysis.goals["g"].series] == [
        (D(2026, 10, 26), 3, 3), (D(2026, 11, 2), 1, 1)]
    assert analysis.goals["g"].current == 1


def test_week_start_sunday_moves_the_boundary(vault: Path) -> None:
    write(vault, "goalsite.yaml", "week_start: sunday\n")
    measured_goal(vault, "{field: nights, baseline: 1, target: 5, per: week}")
    entries(vault, "nights", {"2026-10-29": 1, "2026-10-31": 1, "2026-11-01": 1, "2026-11-02": 1})
    _model, analysis = analysed(vault, D(2026, 11, 10))
    assert [(p.date, p.value) for p in analysis.goals["g"].series] == [(D(2026, 10, 25), 2), (D(2026, 11, 1), 2)]


def test_the_running_week_is_shown_apart_not_counted(vault: Path) -> None:
    measured_goal(vault, "{field: nights, baseline: 1, target: 5, per: week}")
    entries(vault, "nights", {"2026-10-29": 1, "2026-10-31": 1, "2026-11-01": 1, "2026-11-02": 1, "2026-11-03": 1})
    # Wednesday 4 Nov: the week of 2 Nov is still running, so current is the week of 26 Oct (3).
    _model, analysis = analysed(vault, D(2026, 11, 4))
    result = analysis.goals["g"]
    assert result.current == 3
    assert result.so_far is not None and (result.so_far.date, result.so_far.value) == (D(2026, 11, 2), 2)
    # Sunday 8 Nov is the week's last day: still running. Monday 9 Nov: complete.
    assert analysed(vault, D(2026, 11, 8))[1].goals["g"].current == 3
    assert analysed(vault, D(2026, 11, 9))[1].goals["g"].current == 2


def test_monthly_mean(vault: Path) -> None:
    measured_goal(vault, "{field: sleep_hours, baseline: 5, target: 7, per: month, aggregate: mean}")
    entries(vault, "sleep_hours", {"2026-10-01": 5, "2026-10-31": "6.5", "2026-11-01": 7, "2026-11-30": 8})
    _model, analysis = analysed(vault, D(2026, 12, 1))
    assert [(p.date, p.value) for p in analysis.goals["g"].series] == [(D(2026, 10, 1), 5.75), (D(2026, 11, 1), 7.5)]


@pytest.mark.parametrize(("how", "value"), [("sum", 6), ("mean", 2), ("min", 1), ("max", 3), ("last", 2),
                                             ("count", 3)])
def test_every_aggregate(vault: Path, how: str, value: float) -> None:
    measured_goal(vault, f"{{field: x, baseline: 0, target: 100, per: week, aggregate: {how}}}")
    entries(vault, "x", {"2026-11-02": 1, "2026-11-03": 3, "2026-11-04": 2})
    assert analysed(vault, D(2026, 11, 20))[1].goals["g"].current == value


@pytest.mark.parametrize(("how", "values", "exact"), [
    ("sum", (1, "0.1", "0.2"), Fraction(13, 10)),  # decimals beside whole numbers: added exactly, not as floats
    ("mean", (1, 2, 2), Fraction(5, 3)),  # whole numbers whose mean is not one
    ("sum", (-4, 7, 10), Fraction(13)),
    ("mean", ("0.1", "0.2", "0.3"), Fraction(1, 5)),
])
def test_sums_and_means_are_exact(vault: Path, how: str, values: tuple[object, ...], exact: Fraction) -> None:
    measured_goal(vault, f"{{field: x, baseline: 0, target: 100, per: week, aggregate: {how}}}")
    entries(vault, "x", dict(zip(("2026-11-02", "2026-11-03", "2026-11-04"), values, strict=True)))
    current = analysed(vault, D(2026, 11, 20))[1].goals["g"].current
    assert current == exact and isinstance(current, Fraction)


def test_a_session_linked_to_two_goals_reviews_both_and_a_later_one_neither(vault: Path) -> None:
    measured_goal(vault, "{field: n, baseline: 1, target: 5}", start="2026-09-01")
    measured_goal(vault, "{field: n, baseline: 1, target: 5}", name="other", start="2026-09-01")
    measured_goal(vault, "{field: n, baseline: 1, target: 5}", name="third", start="2026-09-01")
    write(vault, "journal/2026-10-20.md", "---\nsession: true\ngoals: [g, other]\n---\n")
    write(vault, "journal/2026-10-28.md", "---\nsession: true\ngoals: [other]\n---\n")
    write(vault, "journal/2026-12-01.md", "---\nsession: true\n---\nNot yet.\n")
    goals = analysed(vault, D(2026, 11, 21))[1].goals
    assert (goals["g"].last_review, goals["other"].last_review, goals["third"].last_review) == \
        (D(2026, 10, 20), D(2026, 10, 28), None)


def test_log_rows_count_too(vault: Path) -> None:
    measured_goal(vault, "{field: x, baseline: 0, target: 10}", extra="log:\n  - {date: 2026-11-01, value: 4}\n")
    _model, analysis = analysed(vault, D(2026, 11, 20))
    assert analysis.goals["g"].current == 4


def test_measurements_after_today_are_not_counted(vault: Path) -> None:
    measured_goal(vault, "{field: x, baseline: 0, target: 10}")
    entries(vault, "x", {"2026-11-01": 4, "2026-11-25": 9})
    assert analysed(vault, D(2026, 11, 20))[1].goals["g"].current == 4


# -- forecast -------------------------------------------------------------------------------


def test_forecast_reaches_the_target_on_the_line(vault: Path) -> None:
    # Weekly sums 1, 2, 3 on 5, 12, 19 Oct: a line of 1/7 per day; it reaches 5 on day 28 → 2 Nov.
    measured_goal(vault, "{field: n, baseline: 1, target: 5, per: week}", due="2026-12-30")
    entries(vault, "n", {"2026-10-05": 1, "2026-10-12": 1, "2026-10-13": 1, "2026-10-19": 1, "2026-10-20": 1,
                         "2026-10-21": 1})
    result = analysed(vault, D(2026, 10, 27))[1].goals["g"]
    assert [p.value for p in result.series] == [1, 2, 3]
    assert result.forecast == D(2026, 11, 2)


def test_no_forecast_when_heading_away_or_flat(vault: Path) -> None:
    measured_goal(vault, "{field: n, baseline: 1, target: 5}")
    entries(vault, "n", {"2026-10-05": 3, "2026-10-12": 2})
    assert analysed(vault, D(2026, 10, 27))[1].goals["g"].forecast is None
    entries(vault, "n", {"2026-10-12": 3})
    assert analysed(vault, D(2026, 10, 27))[1].goals["g"].forecast is None


def test_forecast_uses_the_last_eight_points(vault: Path) -> None:
    # Ten daily points from 1 Oct: 9, 9, then 1..8 on 3..10 Oct. Only the last eight count (slope 1 a day),
    # so the line reaches 10 two days after 10 Oct: 12 Oct. With all ten, the slope would differ.
    measured_goal(vault, "{field: n, baseline: 0, target: 10}", start="2026-09-01")
    values = {f"2026-10-{day + 1:02d}": value for day, value in enumerate([9, 9, 1, 2, 3, 4, 5, 6, 7, 8])}
    entries(vault, "n", values)
    assert analysed(vault, D(2026, 10, 10))[1].goals["g"].forecast == D(2026, 10, 12)


def test_a_line_too_slow_for_any_calendar_has_no_forecast(vault: Path) -> None:
    # A millionth a day towards 1000 would take some 2.7 million years: past the last day a date can
    # hold. Below, a day far above the target lifts the line so high that it crossed the target a
    # trillion days before the first point: the forecast is today, as for any line already past it.
    measured_goal(vault, "{field: n, baseline: 0, target: 1000}", name="slow")
    measured_goal(vault, "{field: m, baseline: 0, target: 10}", name="past")
    entries(vault, "n", {"2026-10-01": 1, "2026-10-02": "1.000001"})
    for day, value in {"2026-10-01": 9, "2026-10-02": 2000000, "2026-10-03": "9.000001"}.items():
        write(vault, f"journal/{day}-m.md", f"---\nm: {value}\n---\n")
    goals = analysed(vault, D(2026, 10, 27))[1].goals
    assert goals["slow"].forecast is None
    assert goals["past"].forecast == D(2026, 10, 27)


# -- tracks without numbers --------------------------------------------------------------------


def test_dates_and_status_tracks(vault: Path) -> None:
    measured_goal(vault, "{field: n, baseline: 1, target: 5}", start="2026-12-01", due="2027-01-31", name="later")
    measured_goal(vault, "{field: n, baseline: 1, target: 5}", start="2026-09-01", due="2026-10-31", name="past")
    measured_goal(vault, "{field: m, baseline: 1, target: 5}", name="empty")
    write(vault, "goals/done.md", (vault / "goals/empty.md").read_text().replace("title:", "status: achieved\ntitle:"))
    entries(vault, "n", {"2026-10-05": 2})
    analysis = analysed(vault, D(2026, 11, 15))[1]
    assert {k: v.track for k, v in analysis.goals.items()} == {
        "later": "not_started", "past": "overdue", "empty": "no_data", "done": "achieved"}


def test_gas_goal_track_and_milestone_goal_track(vault: Path) -> None:
    base = "---\ntitle: t\nstart: 2026-10-01\ndue: 2026-12-30\n"
    write(vault, "goals/gas.md", base + "gas:\n  levels: {-1: a, 0: b, 1: c}\n---\n")
    write(vault, "goals/steps.md", base + "milestones:\n  - {title: a, done: true}\n  - {title: b, done: 2026-10-02}\n---\n")
    write(vault, "goals/half.md", base + "milestones:\n  - {title: a, done: true}\n  - {title: b, due: 2026-11-01}\n---\n")
    write(vault, "journal/2026-11-01.md", "---\ngas: {gas: -1}\n---\n")
    write(vault, "journal/2026-11-10.md", "---\ngas: {gas: 0}\n---\n")
    analysis = analysed(vault, D(2026, 11, 15))[1]
    assert (analysis.goals["gas"].track, analysis.goals["gas"].gas_level) == ("on_track", 0)
    assert analysis.goals["steps"].track == "achieved"
    half = analysis.goals["half"]
    assert (half.track, half.milestones_done, half.milestones_total, half.milestones_late) == ("no_data", 1, 2, 1)
    assert analysed(vault, D(2026, 11, 5))[1].goals["gas"].track == "behind"


# -- GAS --------------------------------------------------------------------------------------------


def test_gas_t_score_by_hand() -> None:
    assert gas_t_score([]) is None
    assert gas_t_score([(0, 1.0)]) == 50
    # One goal at +1, weight 2: 50 + 10 × 2 / sqrt(0.7 × 4 + 0.3 × 4) = 50 + 20 / 2 = 60.
    assert gas_t_score([(1, 2.0)]) == pytest.approx(60)
    # +1 (w 2) and −1 (w 1): Σwx = 1, Σw² = 5, Σw = 3 → 50 + 10 / sqrt(3.5 + 2.7) = 54.016.
    assert gas_t_score([(1, 2.0), (-1, 1.0)]) == pytest.approx(50 + 10 / math.sqrt(6.2))


def test_gas_history_with_weights_latest_rating_wins(vault: Path) -> None:
    write(vault, "goals/a.md", "---\ntitle: a\ngas: {weight: 2, levels: {-1: x, 0: y, 1: z}}\n---\n")
    write(vault, "goals/b.md", "---\ntitle: b\ngas: {levels: {-1: x, 0: y, 1: z}}\n---\n")
    write(vault, "journal/2026-11-01.md", "---\ngas: {a: 1}\n---\n")
    write(vault, "journal/2026-11-02.md", "---\ngas: {b: -1}\n---\n")
    write(vault, "journal/2026-11-03.md", "---\ngas: {b: 0, a: 1}\n---\n")
    model, analysis = analysed(vault, D(2026, 11, 20))
    assert [(day, round(t, 2)) for day, t in analysis.gas_history] == [
        (D(2026, 11, 1), 60.0), (D(2026, 11, 2), 54.02), (D(2026, 11, 3), round(50 + 20 / math.sqrt(6.2), 2))]
    data = goals_data(model, analysis)
    assert data["gas_t_score"] == 58.03
    assert [g["gas"] for g in data["goals"]] == [{"level": 1, "date": "2026-11-03"},  # type: ignore[index]
                                                 {"level": 0, "date": "2026-11-03"}]


# -- questionnaires --------------------------------------------------------------------------------


@pytest.mark.parametrize(("total", "expected"), [(0, "minimal"), (4, "minimal"), (5, "mild"), (9, "mild"),
                                                  (10, "moderate"), (14, "moderate"), (15, "moderately_severe"),
                                                  (19, "moderately_severe"), (20, "severe"), (27, "severe")])
def test_phq9_bands(total: int, expected: str) -> None:
    assert band("phq9", total) == expected


@pytest.mark.parametrize(("total", "expected"), [(0, "minimal"), (4, "minimal"), (5, "mild"), (9, "mild"),
                                                  (10, "moderate"), (14, "moderate"), (15, "severe"), (21, "severe")])
def test_gad7_bands(total: int, expected: str) -> None:
    assert band("gad7", total) == expected


@pytest.mark.parametrize(("first", "latest", "change", "recovered"), [
    (16, 10, "reliable_improvement", False),  # improved by 6 but 10 is still at the cut-off
    (16, 9, "reliable_improvement", True),
    (16, 11, "no_reliable_change", False),  # 5 points: not reliable
    (10, 16, "reliable_deterioration", False),
    (9, 3, "reliable_improvement", False),  # never at the cut-off: improvement, not recovery
    (0, 27, "reliable_deterioration", False),
])
def test_phq9_reliable_change_and_recovery(vault: Path, first: int, latest: int, change: str, recovered: bool) -> None:
    write(vault, "journal/2026-09-01.md", f"---\nphq9: {first}\n---\n")
    write(vault, "journal/2026-10-01.md", "---\nphq9: 12\n---\n")
    write(vault, "journal/2026-11-01.md", f"---\nphq9: {latest}\n---\n")
    model, analysis = analysed(vault)
    result = goals_data(model, analysis)["questionnaires"]["phq9"]  # type: ignore[index]
    assert (result["change"], result["recovered"]) == (change, recovered)
    assert result["first"] == {"date": "2026-09-01", "total": first, "band": band("phq9", first)}


@pytest.mark.parametrize(("first", "latest", "change", "recovered"), [
    (12, 8, "reliable_improvement", False), (12, 7, "reliable_improvement", True),
    (12, 9, "no_reliable_change", False), (3, 7, "reliable_deterioration", False)])
def test_gad7_reliable_change(vault: Path, first: int, latest: int, change: str, recovered: bool) -> None:
    write(vault, "journal/2026-09-01.md", f"---\ngad7: {first}\n---\n")
    write(vault, "journal/2026-11-01.md", f"---\ngad7: {latest}\n---\n")
    result = analysed(vault)[1].questionnaires["gad7"]
    assert (result.change, result.recovered) == (change, recovered)


def test_items_give_the_total_and_item_nine_gives_the_note(vault: Path) -> None:
    write(vault, "journal/2026-11-01.md", "---\nphq9: [3, 3, 3, 3, 3, 3, 3, 3, 3]\n---\n")
    result = analysed(vault)[1].questionnaires["phq9"]
    assert (result.latest.total, result.latest.band, result.change, result.item9_note) == (27, "severe", None, True)
    write(vault, "journal/2026-11-02.md", "---\nphq9: [1, 1, 1, 1, 1, 1, 1, 1, 0]\n---\n")
    assert analysed(vault)[1].questionnaires["phq9"].item9_note is False


def test_thresholds_are_settings(vault: Path) -> None:
    write(vault, "goalsite.yaml", "questionnaires:\n  phq9: {reliable_change: 5, cutoff: 12}\n")
    write(vault, "journal/2026-09-01.md", "---\nphq9: 16\n---\n")
    write(vault, "journal/2026-11-01.md", "---\nphq9: 11\n---\n")
    result = analysed(vault)[1].questionnaires["phq9"]
    assert (result.change, result.recovered) == ("reliable_improvement", True)


# -- streaks and reviews -------------------------------------------------------------------------------


def test_streaks_with_gaps() -> None:
    days = [D(2026, 11, d) for d in (1, 2, 3, 5, 6)] + [D(2026, 11, 6)]
    assert streaks(days, D(2026, 11, 6)) == (2, 3)
    assert streaks(days, D(2026, 11, 7)) == (2, 3)  # today has no entry yet: the run is still current
    assert streaks(days, D(2026, 11, 8)) == (0, 3)
    assert streaks(days, D(2026, 11, 2)) == (2, 2)  # nothing after today counts
    assert streaks([], D(2026, 11, 2)) == (0, 0)


def test_next_review_from_reviews_and_session_entries(vault: Path) -> None:
    measured_goal(vault, "{field: n, baseline: 1, target: 5}", start="2026-09-01",
                  extra="reviews:\n  - {date: 2026-10-01, note: Kept the target.}\n")
    measured_goal(vault, "{field: n, baseline: 1, target: 5}", name="other")
    write(vault, "journal/2026-10-20.md", "---\nsession: true\ngoals: [g]\n---\n")
    write(vault, "journal/2026-10-25.md", "---\nsession: true\n---\nA session about everything.\n")
    write(vault, "journal/2026-11-01.md", "---\nsession: true\ngoals: [other]\n---\n")
    analysis = analysed(vault, D(2026, 11, 21))[1]
    g = analysis.goals["g"]
    assert (g.last_review, g.next_review, g.review_overdue) == (D(2026, 10, 25), D(2026, 11, 8), True)
    other = analysis.goals["other"]
    assert (other.last_review, other.next_review, other.review_overdue) == (D(2026, 11, 1), D(2026, 11, 15), True)
    early = analysed(vault, D(2026, 9, 10))[1].goals["g"]
    assert (early.last_review, early.next_review, early.review_overdue) == (None, D(2026, 9, 15), False)


def test_add_interval_clamps_month_ends() -> None:
    assert add_interval(D(2026, 1, 31), Interval(1, "month")) == D(2026, 2, 28)
    assert add_interval(D(2026, 11, 30), Interval(3, "month")) == D(2027, 2, 28)
    assert add_interval(D(2026, 12, 25), Interval(2, "week")) == D(2027, 1, 8)
    assert add_interval(D(2026, 12, 31), Interval(1, "day")) == D(2027, 1, 1)


def test_goals_json_shape_and_rounding(vault: Path) -> None:
    measured_goal(vault, "{field: n, baseline: 1, target: 6}", start="2026-10-01", due="2026-12-30")
    entries(vault, "n", {"2026-11-01": 3})
    model, analysis = analysed(vault, D(2026, 11, 4))
    goal = goals_data(model, analysis)["goals"][0]  # type: ignore[index]
    # road: 1 + 5 × 34/90 = 2.8888… → 2.89; progress (3 − 1)/5 = 0.4
    assert {k: goal[k] for k in ("baseline", "target", "current", "progress", "expected", "track", "days_left")} == {
        "baseline": 1, "target": 6, "current": 3, "progress": 0.4, "expected": 2.89, "track": "on_track",
        "days_left": 56}
    assert goal["smart"] == dict.fromkeys("SMART", "pass")


def test_achieved_and_dropped_goals_need_no_review(vault: Path) -> None:
    measured_goal(vault, "{field: n, baseline: 1, target: 5}", name="done", extra="status: achieved\n")
    measured_goal(vault, "{field: n, baseline: 1, target: 5}", name="paused", extra="status: paused\n")
    analysis = analysed(vault, D(2026, 11, 21))[1]
    assert (analysis.goals["done"].next_review, analysis.goals["done"].review_overdue) == (None, False)
    assert analysis.goals["paused"].next_review == D(2026, 10, 15)


def test_a_dotted_field_path_reads_nested_front_matter(vault: Path) -> None:
    measured_goal(vault, "{field: bp.systolic, baseline: 140, target: 125}")
    write(vault, "journal/2026-11-01.md", "---\nbp: {systolic: 132, diastolic: 85}\n---\n")
    write(vault, "journal/2026-11-02.md", "---\nbp:\n  systolic: 131\n---\n")
    result = analysed(vault, D(2026, 11, 15))[1].goals["g"]
    assert [(p.date, p.value) for p in result.series] == [(D(2026, 11, 1), 132), (D(2026, 11, 2), 131)]


def test_inline_and_tracker_fields_are_measurements(vault: Path) -> None:
    measured_goal(vault, "{field: steps, baseline: 3000, target: 8000, per: week, aggregate: mean}")
    write(vault, "journal/2026-11-02.md", "Walked a lot #steps:6000\n")
    write(vault, "journal/2026-11-03.md", "steps:: 7000\n")
    write(vault, "journal/2026-11-04.md", "---\nsteps: 8000\n---\n")
    assert analysed(vault, D(2026, 11, 15))[1].goals["g"].current == 7000


NUMBERS = st.one_of(st.fractions(max_denominator=10_000).filter(lambda value: abs(value) < 10**9),
                    st.integers(-10**9, 10**9).map(Fraction),
                    st.decimals(-10**6, 10**6, places=3).map(Fraction))


@given(NUMBERS)
def test_rounding_to_two_decimals_is_exactly_the_rule(value: Fraction) -> None:
    """Halves away from zero, worked out in whole numbers: the same float as the rule written with fractions."""
    rounded = Fraction(math.floor(abs(value) * 100 + Fraction(1, 2)), 100)
    assert round2(value) == float(rounded if value >= 0 else -rounded)


@given(NUMBERS, NUMBERS, st.integers(-30, 400), st.integers(1, 365))
def test_the_road_is_exactly_the_straight_line(baseline: Fraction, target: Fraction, day: int, days: int) -> None:
    start = dt.date(2026, 1, 1)
    due = start + dt.timedelta(days=days)
    on = start + dt.timedelta(days=day)
    done = min(max(day, 0), days)
    assert expected_on(on, baseline, target, start, due) == baseline + (target - baseline) * Fraction(done, days)


def test_rounding_examples() -> None:
    assert [round2(Fraction(x)) for x in ("4.125", "-4.125", "2.675", "0.005", "-0.004", "1/3")] == [
        4.13, -4.13, 2.68, 0.01, 0.0, 0.33]
