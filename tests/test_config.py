"""Settings: defaults in code, each key checked, unknown keys answered with a guess."""

from __future__ import annotations

from pathlib import Path

from conftest import codes, write
from goalsite.config import Settings, load_settings


def test_no_settings_file_means_the_defaults(vault: Path) -> None:
    settings, problems = load_settings(vault)
    assert (settings, problems) == (Settings(), [])
    assert (settings.week_start, settings.mood_scale, settings.max_active_goals) == (0, (1, 10), 3)


def test_every_setting(vault: Path) -> None:
    write(vault, "goalsite.yaml", """\
title: no
owner: Sam
timezone: Europe/Berlin
week_start: Sunday
mood_scale: [0, 5]
max_active_goals: 2
goals_dir: Goals/
journal_dir: Daily
output: ../out
theme: calm
exclude: [templates/*]
crisis: Call Jo
strict_line_breaks: yes
questionnaires:
  gad7: {cutoff: 10}
""")
    settings, problems = load_settings(vault)
    assert problems == []
    assert settings.title == "no"
    assert (settings.timezone, settings.week_start, settings.mood_scale, settings.max_active_goals) == (
        "Europe/Berlin", 6, (0, 5), 2)
    assert (settings.goals_dir, settings.journal_dir, settings.output, settings.theme) == ("Goals", "Daily", "../out",
                                                                                           "calm")
    assert (settings.exclude, settings.crisis) == (("templates/*",), ("Call Jo",))
    assert (settings.thresholds["gad7"].cutoff, settings.thresholds["gad7"].reliable_change) == (10, 4)
    assert settings.thresholds["phq9"].cutoff == 10
    assert settings.strict_line_breaks is True


def test_unknown_keys_warn_with_a_guess(vault: Path) -> None:
    write(vault, "goalsite.yaml", "title: Mine\nweek_strat: sunday\ncolour: blue\n")
    settings, problems = load_settings(vault)
    assert codes(problems) == [("goalsite.yaml", 2, 1, "unknown-setting"), ("goalsite.yaml", 3, 1, "unknown-setting")]
    assert problems[0].message == ("`week_strat` is not a setting goalsite knows, so it was ignored. "
                                   "Did you mean `week_start`?")
    assert problems[1].message == "`colour` is not a setting goalsite knows, so it was ignored."
    assert settings.title == "Mine" and settings.week_start == 0


def test_bad_values_fall_back_to_defaults_with_a_warning(vault: Path) -> None:
    write(vault, "goalsite.yaml", "timezone: Mars/Olympus\nweek_start: mondy\nmood_scale: [10, 1]\n"
                                  "max_active_goals: 0\nstrict_line_breaks: sometimes\n")
    settings, problems = load_settings(vault)
    assert [(p.code, p.location.line) for p in problems] == [
        ("unknown-timezone", 1), ("bad-setting", 2), ("bad-setting", 3), ("bad-setting", 4), ("wrong-type", 5)]
    assert problems[4].message == "`strict_line_breaks` should be true or false, but here it is “sometimes”."
    assert problems[1].message.endswith("Did you mean `monday`?")
    assert settings == Settings()


def test_broken_settings_file_is_a_problem_and_the_build_goes_on(vault: Path) -> None:
    write(vault, "goalsite.yaml", "title: [Mine\n")
    settings, problems = load_settings(vault)
    assert settings == Settings()
    assert codes(problems) == [("goalsite.yaml", 1, 8, "yaml-syntax")]
