"""New vaults and new files: the only code that writes into a vault, and it never overwrites."""

from __future__ import annotations

import datetime as dt
import os
import re
import unicodedata
from pathlib import Path

from goalsite.config import Settings
from goalsite.errors import UsageError
from goalsite.shipped import shipped_folder

GOAL_TEMPLATE = """\
---
# A SMART goal: Specific, Measurable, Achievable, Relevant, Time-bound.
# Fill in what you can; `goalsite check` tells you kindly what is still missing.
title: {title}
status: active                 # active | paused | achieved | dropped
area:                          # e.g. sleep, emotions, relationships, health
created: {today}

# S — Specific: what exactly will you do, when and where? (6 words or more)
specific:

# M — Measurable: which number in your journal shows progress?
# Write e.g. `walks: 1` in an entry's front matter, and name that field here.
measurable:
  field:                       # the journal field that carries the measurement
  unit:                        # e.g. times per week
  baseline:                    # where you are now
  target:                      # where you want to get to
  per: week                    # count per day, week or month (remove the line to chart each value)
  aggregate: sum               # sum | mean | min | max | last | count

# A — Achievable: why is this within reach? What or who helps; what did you allow for?
achievable:
constraints: []

# R — Relevant: why does this matter to you?
relevant:
values: []                     # e.g. [health, calm, connection]

# T — Time-bound: when do you start, when is it due, how often will you review it?
start: {today}
due: {due}
review_every: 2 weeks

# Break it down: milestones on the way, and the steps of your plan.
milestones:                    # steps on the way, e.g.
#  - {{title: One week without screens after 22:30, due: {example_due}}}
plan:                          # what you will do, e.g.
#  - Phone charges in the kitchen.
obstacles:                     # what may get in the way, and what you will do then, e.g.
#  - {{obstacle: Late work emails, plan: Notifications off from 21:00}}
supports: []                   # people and things that help
---
Notes about this goal, in Markdown.
"""

ENTRY_TEMPLATE = """\
---
date: {date}
mood:                # how you feel, on your mood scale (1–10 unless goalsite.yaml says otherwise)
goals: []            # ids of the goals this entry is about, e.g. [sleep-schedule]
tags: []
# Measurements: write the field a goal measures, e.g.  nights_on_schedule: 1
# win:               # something that went well, however small
# setback:           # something that was hard (progress is not a straight line)
---
"""


def slugify(title: str) -> str:
    """A file name from a title: lower case, dashes, letters of any language kept."""
    text = unicodedata.normalize("NFKC", title).strip().lower()
    text = re.sub(r"[^\w\s-]", "", text)
    text = re.sub(r"[\s_-]+", "-", text).strip("-")
    return text[:60].strip("-") or "goal"


def _yaml_text(text: str) -> str:
    """The title as a double-quoted YAML string, so `no`, `12:30` or `#1` stay what was typed."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def _create(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "x", encoding="utf-8", newline="\n") as handle:  # "x": never overwrite
        handle.write(text)


def _free_path(folder: Path, stem: str, suffix: str = ".md") -> Path:
    candidate = folder / f"{stem}{suffix}"
    number = 2
    while candidate.exists() or candidate.is_symlink():
        candidate = folder / f"{stem}-{number}{suffix}"
        number += 1
    return candidate


def new_goal(vault: Path, settings: Settings, title: str, today: dt.date) -> Path:
    if not title.strip():
        raise UsageError("Give the goal a title, like: goalsite new goal \"Stick to a sleep schedule\"")
    path = _free_path(vault / settings.goals_dir, slugify(title))
    due = today + dt.timedelta(weeks=12)
    _create(path, GOAL_TEMPLATE.format(title=_yaml_text(title.strip()), today=today.isoformat(), due=due.isoformat(),
                                       example_due=(today + dt.timedelta(weeks=4)).isoformat()))
    return path


def new_entry(vault: Path, settings: Settings, day: dt.date) -> Path:
    """Today's entry under journal/YYYY/; a second one the same day gets `-2`, never overwriting."""
    path = _free_path(vault / settings.journal_dir / f"{day.year:04d}", day.isoformat())
    _create(path, ENTRY_TEMPLATE.format(date=day.isoformat()))
    return path


def init_vault(folder: Path) -> list[Path]:
    """Copy the example vault into `folder`, which must be new or hold nothing but dot-files."""
    if folder.exists():
        if not folder.is_dir():
            raise UsageError(f"{folder} is a file; choose a new folder for your vault.")
        visible = [name for name in os.listdir(folder) if not name.startswith(".")]
        if visible:
            raise UsageError(f"{folder} already has files in it, so goalsite left it alone. "
                             "Choose a new or empty folder: goalsite init my-goals")
    example = shipped_folder("example_vault")
    created: list[Path] = []
    for path in sorted(example.rglob("*")):
        if not path.is_file() or path.name.startswith((".", "__")) or "__pycache__" in path.parts:
            continue
        target = folder / path.relative_to(example)
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "xb") as handle:
            handle.write(path.read_bytes())
        created.append(target)
    if not created:  # pragma: no cover - a broken installation
        raise UsageError("The example vault is missing from this installation of goalsite.")
    return created
