"""SPEC §2, letter by letter: each rule's code, severity, place and words."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import GOOD_GOAL, load, write
from goalsite.errors import Problem
from goalsite.smart import letter_grades


def goal_problems(vault: Path, text: str, name: str = "g") -> list[Problem]:
    write(vault, f"goals/{name}.md", text)
    model = load(vault)
    return [p for p in model.problems if p.goal == name]


def found(problems: list[Problem]) -> list[tuple[str, str, str | None, int, int]]:
    return [(p.code, p.severity.word, p.letter, p.location.line, p.location.column) for p in problems]


def goal(**changes: str | None) -> str:
    """GOOD_GOAL with some lines replaced (None removes the line)."""
    lines = GOOD_GOAL.split("\n")
    out = []
    for line in lines:
        key = line.split(":", 1)[0]
        if key in changes:
            if changes[key] is not None:
                out.append(f"{key}: {changes[key]}")
            continue
        out.append(line)
    return "\n".join(out)


def test_a_good_goal_passes_every_letter(vault: Path) -> None:
    write(vault, "journal/2026-11-02.md", "---\nnights: 2\n---\n")
    problems = goal_problems(vault, GOOD_GOAL)
    assert problems == []
    model = load(vault)
    assert letter_grades(model.goals[0], model.problems) == dict.fromkeys("SMART", "pass")


def test_empty_goal_gets_kind_errors_at_the_front_matter(vault: Path) -> None:
    problems = goal_problems(vault, "---\ntitle: Feel better\n---\n")
    assert found(problems) == [
        ("specific-missing", "error", "S", 2, 1),
        ("measurable-missing", "error", "M", 2, 1),
        ("achievable-missing", "error", "A", 2, 1),
        ("relevant-missing", "error", "R", 2, 1),
        ("due-missing", "error", "T", 2, 1),
    ]
    assert problems[1].message == ("Not measurable yet: add `measurable` with a baseline and a target, "
                                   "or a GAS scale.")


def test_goal_without_front_matter_takes_its_title_from_the_heading(vault: Path) -> None:
    write(vault, "goals/walks.md", "# Walk more\n\nSome notes.\n")
    model = load(vault)
    assert model.goals[0].title == "Walk more"
    assert {p.code for p in model.problems} >= {"specific-missing", "due-missing"}


@pytest.mark.parametrize(("specific", "codes"), [
    ("Sleep better.", ["specific-short", "specific-vague"]),
    ("I want to feel happier and improve my life overall.", ["specific-vague"]),
    ("Walk for twenty minutes after lunch on weekdays and feel better.", []),
    ("In bed by 23:00 and up by 07:00 on weeknights.", []),
    ("Try to go to bed earlier", ["specific-vague"]),
    ("Try earlier nights", ["specific-short"]),  # "nights" is concrete enough
])
def test_specific_words(vault: Path, specific: str, codes: list[str]) -> None:
    problems = goal_problems(vault, goal(specific=specific))
    assert [p.code for p in problems if p.letter == "S"] == codes


def test_vague_message_names_the_words(vault: Path) -> None:
    problems = [p for p in goal_problems(vault, goal(specific="I will try to be happier and do more.")) if p.letter == "S"]
    assert found(problems) == [("specific-vague", "warning", "S", 4, 11)]
    assert problems[0].message == ("“happier”, “more”, “try” can mean many things; "
                                   "the goal has no number or concrete action yet.")


def test_measurable_needs_field_baseline_and_target(vault: Path) -> None:
    problems = goal_problems(vault, goal(measurable="{field: nights, target: 5}"))
    assert found(problems) == [("measurable-incomplete", "error", "M", 5, 13)]
    assert problems[0].message == "Not measurable yet: `measurable` needs `baseline`."


def test_measurable_baseline_equal_to_target(vault: Path) -> None:
    problems = goal_problems(vault, goal(measurable="{field: nights, baseline: 3, target: 3}"))
    assert [p.code for p in problems] == ["measurable-no-change"]


def test_measurable_without_measurements_is_a_warning(vault: Path) -> None:
    problems = goal_problems(vault, GOOD_GOAL)
    assert found(problems) == [("measurable-no-data", "warning", "M", 5, 13)]
    assert problems[0].message == "No measurements of `nights` yet."


def test_gas_scale_or_two_milestones_make_a_goal_measurable(vault: Path) -> None:
    gas = goal(measurable=None) + ""
    gas = gas.replace("review_every: 2 weeks\n", "review_every: 2 weeks\ngas:\n  levels: {-1: less, 0: as hoped, 1: more}\n")
    assert [p.code for p in goal_problems(vault, gas, "a") if p.letter == "M"] == []
    thin = gas.replace("-1: less, ", "")
    assert [p.code for p in goal_problems(vault, thin, "b") if p.letter == "M"] == ["gas-levels"]
    milestones = goal(measurable=None).replace(
        "review_every: 2 weeks\n", "review_every: 2 weeks\nmilestones: [First step, Second step]\n")
    assert [p.code for p in goal_problems(vault, milestones, "c") if p.letter == "M"] == []


def test_achievable_and_relevant(vault: Path) -> None:
    problems = goal_problems(vault, goal(achievable=None, relevant=None))
    assert [(p.code, p.letter) for p in problems if p.letter in "AR"] == [
        ("achievable-missing", "A"), ("relevant-missing", "R")]
    with_values = goal(relevant=None).replace("due:", "values: [health]\ndue:")
    assert [p.code for p in goal_problems(vault, with_values, "v") if p.letter == "R"] == []


def test_too_many_active_goals_and_several_focus(vault: Path) -> None:
    write(vault, "goalsite.yaml", "max_active_goals: 2\n")
    for name in ("a", "b", "c"):
        write(vault, f"goals/{name}.md", goal(measurable=None).replace("title:", "focus: true\ntitle:")
              .replace("review_every: 2 weeks", "review_every: 2 weeks\nmilestones: [x, y]"))
    write(vault, "goals/d.md", GOOD_GOAL.replace("title:", "status: paused\ntitle:"))
    model = load(vault)
    too_many = [p for p in model.problems if p.code == "too-many-active"]
    assert [p.goal for p in too_many] == ["a", "b", "c"]
    assert too_many[0].message == "3 goals are active at once; 2 or fewer is easier to keep up."
    assert [p.goal for p in model.problems if p.code == "several-focus"] == ["a", "b", "c"]
    assert letter_grades(model.goals[0], model.problems)["A"] == "warning"


def test_time_bound(vault: Path) -> None:
    problems = goal_problems(vault, goal(due=None, review_every=None))
    assert found([p for p in problems if p.letter == "T"]) == [("due-missing", "error", "T", 2, 1)]
    assert "review-every-missing" not in [p.code for p in problems]  # one thing at a time: due first

    problems = goal_problems(vault, goal(due="2026-08-01", review_every=None), "b")
    assert [p.code for p in problems if p.letter == "T"] == ["review-every-missing", "due-before-start", "past-due"]

    problems = goal_problems(vault, goal(due="2026-02-30"), "c")
    assert found([p for p in problems if p.letter == "T"]) == [("bad-date", "error", "T", 8, 6)]

    problems = goal_problems(vault, goal(review_every="sometimes"), "d")
    assert [p.code for p in problems if p.letter == "T"] == ["review-every-invalid"]

    for far in ("36526 days", "5219 weeks", "1201 months", "99999999999999999999"):  # past a hundred years
        problems = goal_problems(vault, goal(review_every=far), f"e{far.split()[0]}")
        assert [(p.code, p.message) for p in problems if p.letter == "T"] == [
            ("review-every-invalid", f"`review_every` is “{far}”, more than a hundred years between reviews.")]


def test_dates_outside_the_goal_and_past_due(vault: Path) -> None:
    text = GOOD_GOAL.replace("review_every: 2 weeks", """review_every: 2 weeks
milestones:
  - {title: Early, due: 2026-08-01}
  - {title: Inside, due: 2026-10-01}
plan:
  - {step: Late, due: 2027-01-01}""")
    problems = goal_problems(vault, text)
    out_of_range = [p for p in problems if p.code == "date-out-of-range"]
    assert [(p.location.line, p.location.column) for p in out_of_range] == [(11, 5), (14, 5)]
    assert out_of_range[0].message == ("The milestone “Early” is due 2026-08-01, outside the goal's time "
                                       "(2026-09-01 to 2026-12-15).")
    write(vault, "goals/g.md", text)
    late = load(vault, __import__("datetime").date(2026, 12, 20))
    assert [p.code for p in late.problems if p.code == "past-due"] == ["past-due"]


def test_unknown_status_and_keys(vault: Path) -> None:
    problems = goal_problems(vault, GOOD_GOAL.replace("title:", "status: done\nmesurable: 3\ncolour: blue\ntitle:"))
    assert [(p.code, p.severity.word) for p in problems if p.code != "measurable-no-data"] == [
        ("unknown-status", "error"), ("unknown-key", "warning"), ("unknown-key", "info")]
    assert problems[1].message.endswith("Did you mean `measurable`?")


def test_letter_grades_take_the_worst(vault: Path) -> None:
    write(vault, "goals/g.md", goal(specific="Sleep better.", due=None))
    model = load(vault)
    grades = letter_grades(model.goals[0], model.problems)
    assert grades == {"S": "warning", "M": "warning", "A": "pass", "R": "pass", "T": "error"}


def test_a_new_goals_template_has_each_missing_letter_at_its_own_empty_line(vault: Path) -> None:
    """`goalsite new goal` writes every key empty: each error points at the line to fill in (an editor
    jumps there), not at the top of the file."""
    import datetime as dt

    from goalsite.config import Settings
    from goalsite.scaffold import new_goal

    path = new_goal(vault, Settings(), "Walk more", dt.date(2026, 11, 21))
    lines = path.read_text(encoding="utf-8").split("\n")
    model = load(vault)
    places = {p.code: (p.location.line, p.location.column) for p in model.problems if p.letter in ("S", "A", "R")}
    assert set(places) == {"specific-missing", "achievable-missing", "relevant-missing"}
    for code, key in (("specific-missing", "specific:"), ("achievable-missing", "achievable:"),
                      ("relevant-missing", "relevant:")):
        line, column = places[code]
        assert lines[line - 1].startswith(key) and column == len(key) + 1, (code, lines[line - 1])


def test_relevant_missing_points_at_empty_values_when_there_is_no_relevant(vault: Path) -> None:
    text = goal(relevant=None).replace("due:", "values: []\ndue:")
    problems = [p for p in goal_problems(vault, text) if p.code == "relevant-missing"]
    lines = text.split("\n")
    assert [lines[p.location.line - 1] for p in problems] == ["values: []"]
