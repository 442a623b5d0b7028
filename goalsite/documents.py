"""One file → one goal or one entry, typed by our schema, with every problem it has.

Nothing here raises on bad input: a file that cannot be understood gives
problems and `None`, and the rest of the vault goes on.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, replace

from goalsite.config import Settings, did_you_mean
from goalsite.errors import Location, Problem, Severity
from goalsite.fields import LONGEST_INTERVAL, FarDate, FieldReader, colon_text, parse_date, parse_interval, parse_number
from goalsite.frontmatter import Map, Node, Scalar, Seq, compose, decode, split_front_matter
from goalsite.markup import BodyFacts, scan_body, without_comments
from goalsite.model import (
    AGGREGATES,
    PERIODS,
    STATUSES,
    Entry,
    FieldValue,
    GasRating,
    GasScale,
    Goal,
    Interval,
    Link,
    LogRow,
    Measurable,
    Milestone,
    Obstacle,
    PlanStep,
    Questionnaire,
    Review,
    Revision,
)
from goalsite.vault import SourceFile

_CONFLICT_MARKER = re.compile(r"^(?:<{7}|>{7}|\|{7})(?: |$)", re.MULTILINE)
_TYPE_LINE = re.compile(r"^type:[ \t]*[\"']?(goal|entry)[\"']?[ \t]*(?:#.*)?$", re.MULTILINE)
_NAME_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})")
_TIME = re.compile(r"([01]?\d|2[0-3]):[0-5]\d")
_SAFE_ID = re.compile(r"[^/\\\x00-\x1f]+")

GOAL_KEYS = (
    "id", "type", "title", "status", "area", "focus", "created", "specific", "measurable", "achievable",
    "constraints", "relevant", "values", "start", "due", "review_every", "reviews", "milestones", "plan",
    "obstacles", "supports", "gas", "log", "revisions", "tags",
)
OBSIDIAN_KEYS = ("aliases", "alias", "cssclasses", "cssclass", "publish", "permalink")
MEASURABLE_KEYS = ("field", "unit", "baseline", "target", "per", "aggregate")
ENTRY_KEYS = (
    "date", "time", "type", "title", "goals", "tags", "coping", "win", "wins", "setback", "setbacks",
    "session", "gas", "phq9", "gad7",
)
QUESTIONNAIRES = {"phq9": 9, "gad7": 7}
MAX_ANSWER = 3


@dataclass(frozen=True)
class Parsed:
    """A parsed file: a goal, an entry, or neither (left out), with its problems."""

    goal: Goal | None
    entry: Entry | None
    problems: tuple[Problem, ...]


def parse_document(source: SourceFile, data: bytes, settings: Settings) -> Parsed:
    reader = FieldReader(source.rel)
    decoded = decode(data)
    if decoded.problem:
        issue = decoded.problem
        reader.report(reader.at(None).at(issue.line, issue.column), Severity.ERROR, issue.code,
                      issue.message, issue.hint)
        return Parsed(None, None, tuple(reader.problems))
    text = decoded.text
    marker = _CONFLICT_MARKER.search(text) if "<<<<<<<" in text or ">>>>>>>" in text or "|||||||" in text \
        else None
    if marker:
        line = text.count("\n", 0, marker.start()) + 1
        reader.report(reader.at(None).at(line, 1), Severity.WARNING, "conflict-markers",
                      "This file still has the marks git leaves when two changes clash "
                      "(`<<<<<<<`, `>>>>>>>`); goalsite left it out so nothing is counted twice.",
                      "Keep the lines you want, delete the marker lines, and save.")
        return Parsed(None, None, tuple(reader.problems))

    is_yaml = source.rel.lower().endswith((".yaml", ".yml"))
    if is_yaml:
        front: str | None = text
        body, yaml_line, body_line = "", 1, 1
    else:
        split = split_front_matter(text)
        if split.problem:
            issue = split.problem
            reader.report(reader.at(None).at(issue.line, issue.column), Severity.ERROR, issue.code,
                          issue.message, issue.hint)
            return Parsed(None, None, tuple(reader.problems))
        front, body, yaml_line, body_line = split.front, split.body, split.yaml_line, split.body_line

    kind = source.kind
    if kind is None and (front is None or not _TYPE_LINE.search(front)):
        return Parsed(None, None, ())  # a note outside the goal and journal folders: not ours

    root: Node | None = None
    if front is not None and front.strip():
        root, issues = compose(front, yaml_line)
        for issue in issues:
            reader.report(reader.at(None).at(issue.line, issue.column), Severity.ERROR, issue.code,
                          issue.message, issue.hint)
        if root is None and issues:
            return Parsed(None, None, tuple(reader.problems))
    if root is not None and not isinstance(root, Map):
        if isinstance(root, Scalar) and root.is_null:
            root = None
        else:
            reader.report(root, Severity.ERROR, "wrong-type",
                          f"The settings at the top of this file should be `key: value` lines, but they are "
                          f"{'a list' if isinstance(root, Seq) else 'a single value'}.",
                          "Write one `key: value` per line between the two `---` lines.")
            return Parsed(None, None, tuple(reader.problems))
    fields = root if isinstance(root, Map) else Map({}, yaml_line, 1)

    type_node = fields.get("type")
    declared = reader.text(type_node, "type")
    if declared is not None:
        if declared.lower() in ("goal", "entry"):
            kind = declared.lower()
        elif kind is not None:
            reader.report(type_node, Severity.WARNING, "unknown-type",
                          f"`type: {declared}` is neither `goal` nor `entry`; goalsite read this file as a {kind}.",
                          "Write `type: goal` or `type: entry`, or remove the line.")
    if kind is None:
        return Parsed(None, None, tuple(reader.problems))

    facts = scan_body(without_comments(body, keep_places=True))  # what a comment holds does not count
    body = without_comments(body)  # nor does it show: Obsidian hides comments when reading
    if kind == "goal":
        goal = _parse_goal(source, fields, body, body_line, facts, reader)
        # Everything wrong in a goal's file is about that goal (its SMART letters read them).
        return Parsed(goal, None, tuple(replace(problem, goal=goal.id) for problem in reader.problems))
    entry = _parse_entry(source, fields, body, body_line, facts, settings, reader)
    return Parsed(None, entry, tuple(reader.problems))


# ---------------------------------------------------------------- goals


def _goal_id(source: SourceFile, fields: Map, reader: FieldReader) -> str:
    stem = source.rel.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    written = reader.text(fields.get("id"), "id")
    if written is None:
        if stem.lower() == "index":  # goals/index.html is the list of all goals
            reader.report(reader.at(None), Severity.INFO, "reserved-id",
                          "A goal cannot be called “index” (that name is the list of all goals); "
                          "goalsite calls it “index-goal”.",
                          "Rename the file, or give the goal its own `id:`.")
            return "index-goal"
        return stem
    if not _SAFE_ID.fullmatch(written) or written.startswith(".") or written.lower() == "index":
        reader.report(fields.get("id"), Severity.ERROR, "bad-id",
                      f"The id “{written}” cannot name a goal (no `/`, `\\` or leading dot); "
                      f"goalsite used “{stem}” instead.",
                      "Use a short name of letters, numbers and dashes, like `sleep-schedule`.")
        return stem
    return written


def _parse_goal(source: SourceFile, fields: Map, body: str, body_line: int, facts: BodyFacts,
                reader: FieldReader) -> Goal:
    goal_id = _goal_id(source, fields, reader)
    top = Location(source.rel, fields.line, fields.column)
    for key, (key_node, _value) in fields.entries.items():
        if key not in GOAL_KEYS and key not in OBSIDIAN_KEYS:
            guess = did_you_mean(key, GOAL_KEYS)
            reader.report(key_node, Severity.WARNING if guess else Severity.INFO, "unknown-key",
                          f"goalsite does not use `{key}` in a goal, so it was kept as it is.{guess}",
                          "The goal fields are listed in the README under “Goal files”.", goal=goal_id)
    locations = {key: reader.at(value) for key, (_k, value) in fields.entries.items()}

    title = reader.text(fields.get("title"), "title") or facts.title
    if title is None:
        reader.report(top, Severity.ERROR, "title-missing", "This goal has no title yet.",
                      "Add a line `title: …` saying the goal in a few words, like `title: Stick to a sleep schedule`.",
                      goal=goal_id)
        title = goal_id

    status = (reader.text(fields.get("status"), "status") or "active")
    if status.lower() not in STATUSES:
        reader.report(fields.get("status"), Severity.ERROR, "unknown-status",
                      f"“{status}” is not a status goalsite knows, so it counted the goal as active."
                      + did_you_mean(status.lower(), STATUSES),
                      "Use one of: active, paused, achieved, dropped.", goal=goal_id)
        status = "active"
    status = status.lower()

    measurable = _parse_measurable(fields.get("measurable"), reader, goal_id)
    review_node = fields.get("review_every")
    review_every = None
    review_text = reader.text(review_node, "review_every")
    if review_text is not None:
        interval = parse_interval(review_text)
        if interval is None and (days := parse_number(review_text)) is not None and days == int(days) and days > 0:
            interval = (int(days), "day")
        if interval is not None and interval[0] <= LONGEST_INTERVAL[interval[1]]:
            review_every = Interval(*interval)
        else:
            said = ", more than a hundred years between reviews." if interval is not None else \
                "; goalsite reads a number of days, weeks or months."
            reader.report(review_node, Severity.WARNING, "review-every-invalid", f"`review_every` is “{review_text}”{said}",
                          "For example `review_every: 2 weeks` or `review_every: 1 month`.", "T", goal_id)

    return Goal(
        id=goal_id,
        title=title,
        file=source.rel,
        location=top,
        status=status,
        area=reader.text(fields.get("area"), "area"),
        focus=bool(reader.boolean(fields.get("focus"), "focus")),
        created=reader.date(fields.get("created"), "created"),
        specific=reader.text(fields.get("specific"), "specific"),
        measurable=measurable,
        achievable=reader.text(fields.get("achievable"), "achievable"),
        constraints=reader.texts(fields.get("constraints"), "constraints"),
        relevant=reader.text(fields.get("relevant"), "relevant"),
        values=reader.texts(fields.get("values"), "values"),
        start=reader.date(fields.get("start"), "start", "T"),
        due=reader.date(fields.get("due"), "due", "T"),
        review_every=review_every,
        reviews=tuple(_parse_reviews(fields.get("reviews"), reader)),
        milestones=tuple(_parse_milestones(fields.get("milestones"), reader)),
        plan=tuple(_parse_plan(fields.get("plan"), reader)),
        obstacles=tuple(_parse_obstacles(fields.get("obstacles"), reader)),
        supports=reader.texts(fields.get("supports"), "supports"),
        gas=_parse_gas_scale(fields.get("gas"), reader, goal_id),
        log=tuple(_parse_log(fields.get("log"), reader)),
        revisions=tuple(_parse_revisions(fields.get("revisions"), reader)),
        notes=body,
        tags=tuple(tag.lstrip("#") for tag in reader.texts(fields.get("tags"), "tags")) + facts.tags,
        locations=locations,
    )


def _parse_measurable(node: Node | None, reader: FieldReader, goal_id: str) -> Measurable | None:
    example = "measurable:\n  field: nights_on_schedule\n  baseline: 1\n  target: 5"
    if node is None or (isinstance(node, Scalar) and node.is_null):
        return None
    if not isinstance(node, Map):
        reader.report(node, Severity.ERROR, "wrong-type",
                      f"`measurable` should be a few `key: value` lines, but here it is {_short(node)}.",
                      f"For example:\n{example}", "M", goal_id)
        return None
    for key, (key_node, _value) in node.entries.items():
        if key not in MEASURABLE_KEYS:
            reader.report(key_node, Severity.WARNING, "unknown-key",
                          f"`{key}` is not part of `measurable`, so it was ignored.{did_you_mean(key, MEASURABLE_KEYS)}",
                          "`measurable` takes field, unit, baseline, target, per and aggregate.", "M", goal_id)
    per = reader.text(node.get("per"), "per")
    if per is not None and per.lower() not in PERIODS:
        reader.report(node.get("per"), Severity.ERROR, "bad-value",
                      f"`per` is “{per}”; goalsite groups measurements per day, week or month.",
                      "Use `per: day`, `per: week` or `per: month`, or remove the line.", "M", goal_id)
        per = None
    aggregate = reader.text(node.get("aggregate"), "aggregate")
    if aggregate is not None and aggregate.lower() not in AGGREGATES:
        reader.report(node.get("aggregate"), Severity.ERROR, "bad-value",
                      f"`aggregate` is “{aggregate}”; goalsite knows {', '.join(AGGREGATES)}.",
                      "Use `aggregate: sum` to add up a period's measurements, or `mean` for their average.",
                      "M", goal_id)
        aggregate = None
    per = per.lower() if per else None
    field_node = node.get("field")
    field_name = reader.text(field_node, "field")
    return Measurable(
        field=field_name,
        unit=reader.text(node.get("unit"), "unit"),
        baseline=reader.number(node.get("baseline"), "baseline"),
        target=reader.number(node.get("target"), "target"),
        per=per,
        aggregate=aggregate.lower() if aggregate else ("sum" if per else "last"),
        location=reader.at(node),
    )


def _short(node: Node) -> str:
    return "a list" if isinstance(node, Seq) else f"“{node.value}”" if isinstance(node, Scalar) else "something else"


def _done(node: Node | None, reader: FieldReader) -> tuple[bool, dt.date | None]:
    """`done:` is true/false or the date it was done."""
    if node is None or (isinstance(node, Scalar) and node.is_null):
        return False, None
    if isinstance(node, Scalar) and node.value.strip().lower() in ("true", "false", "yes", "no", "on", "off"):
        return bool(reader.boolean(node, "done")), None
    day = reader.date(node, "done")
    return day is not None, day


def _is_text(item: Node, structured_key: str) -> bool:
    """A plain line, or a line with a colon in it (see `colon_text`) rather than a `{key: …}` row."""
    return isinstance(item, Scalar) or (
        isinstance(item, Map) and structured_key not in item.entries and colon_text(item) is not None)


def _parse_milestones(node: Node | None, reader: FieldReader) -> list[Milestone]:
    milestones = []
    for item in reader.items(node, "milestones"):
        if _is_text(item, "title"):
            title = reader.text(item, "milestones")
            if title:
                milestones.append(Milestone(title, None, False, None, reader.at(item)))
            continue
        entry = reader.mapping(item, "milestones", "  - {title: One week without screens after 22:30, due: 2026-09-30}")
        if entry is None:
            continue
        title = reader.text(entry.get("title"), "title")
        if title is None:
            reader.report(item, Severity.ERROR, "title-missing", "This milestone has no `title`.",
                          "Add `title: …` saying what will be done.")
            continue
        done, done_on = _done(entry.get("done"), reader)
        milestones.append(Milestone(title, reader.date(entry.get("due"), "due", "T"), done, done_on, reader.at(item)))
    return milestones


def _parse_plan(node: Node | None, reader: FieldReader) -> list[PlanStep]:
    steps = []
    for item in reader.items(node, "plan"):
        if _is_text(item, "step"):
            text = reader.text(item, "plan")
            if text:
                steps.append(PlanStep(text, None, False, None, reader.at(item)))
            continue
        entry = reader.mapping(item, "plan", "  - {step: Wind-down playlist at 22:30, due: 2026-09-15}")
        if entry is None:
            continue
        text = reader.text(entry.get("step"), "step")
        if text is None:
            reader.report(item, Severity.ERROR, "step-missing", "This plan step has no `step`.",
                          "Add `step: …` saying what you will do.")
            continue
        done, done_on = _done(entry.get("done"), reader)
        steps.append(PlanStep(text, reader.date(entry.get("due"), "due", "T"), done, done_on, reader.at(item)))
    return steps


def _parse_obstacles(node: Node | None, reader: FieldReader) -> list[Obstacle]:
    obstacles = []
    for item in reader.items(node, "obstacles"):
        if _is_text(item, "obstacle"):
            text = reader.text(item, "obstacles")
            if text:
                obstacles.append(Obstacle(text, None))
            continue
        entry = reader.mapping(item, "obstacles", "  - {obstacle: Late work emails, plan: Notifications off from 21:00}")
        if entry is None:
            continue
        text = reader.text(entry.get("obstacle"), "obstacle")
        if text is None:
            reader.report(item, Severity.ERROR, "obstacle-missing", "This obstacle has no `obstacle`.",
                          "Add `obstacle: …` naming what may get in the way.")
            continue
        obstacles.append(Obstacle(text, reader.text(entry.get("plan"), "plan")))
    return obstacles


def _parse_reviews(node: Node | None, reader: FieldReader) -> list[Review]:
    reviews = []
    for item in reader.items(node, "reviews"):
        if isinstance(item, Scalar):
            day = reader.date(item, "reviews")
            if day:
                reviews.append(Review(day, None, reader.at(item)))
            continue
        entry = reader.mapping(item, "reviews", "  - {date: 2026-10-01, note: Kept the target.}")
        if entry is None:
            continue
        day = reader.date(entry.get("date"), "date")
        if day is None:
            if entry.get("date") is None:
                reader.report(item, Severity.ERROR, "bad-date", "This review has no `date`.",
                              "Add `date: YYYY-MM-DD`, the day of the review.")
            continue
        reviews.append(Review(day, reader.text(entry.get("note"), "note"), reader.at(item)))
    return reviews


def _parse_log(node: Node | None, reader: FieldReader) -> list[LogRow]:
    rows = []
    for item in reader.items(node, "log"):
        entry = reader.mapping(item, "log", "  - {date: 2026-09-07, value: 2}")
        if entry is None:
            continue
        day = reader.date(entry.get("date"), "date")
        value = reader.number(entry.get("value"), "value", Severity.WARNING)
        if day is None and entry.get("date") is None:
            reader.report(item, Severity.ERROR, "bad-date", "This log row has no `date`.",
                          "Add `date: YYYY-MM-DD` to the row.")
        if day is not None and value is not None:
            rows.append(LogRow(day, value, reader.at(entry.get("value"))))
    return rows


def _parse_revisions(node: Node | None, reader: FieldReader) -> list[Revision]:
    revisions = []
    for item in reader.items(node, "revisions"):
        if isinstance(item, Scalar):
            text = reader.text(item, "revisions")
            if text:
                revisions.append(Revision(None, text, None))
            continue
        entry = reader.mapping(item, "revisions", "  - {date: 2026-10-14, change: Target 7 → 5 nights, why: Night shifts}")
        if entry is None:
            continue
        change = reader.text(entry.get("change"), "change")
        if change is None:
            reader.report(item, Severity.ERROR, "change-missing", "This revision has no `change`.",
                          "Add `change: …` saying what changed.")
            continue
        revisions.append(Revision(reader.date(entry.get("date"), "date"), change, reader.text(entry.get("why"), "why")))
    return revisions


def _parse_gas_scale(node: Node | None, reader: FieldReader, goal_id: str) -> GasScale | None:
    scale = reader.mapping(node, "gas", "gas:\n  levels:\n    -1: …\n    0: expected outcome\n    1: …")
    if scale is None:
        return None
    weight = reader.number(scale.get("weight"), "weight")
    if weight is not None and weight <= 0:
        reader.report(scale.get("weight"), Severity.ERROR, "bad-value", "A GAS `weight` must be more than 0.",
                      "Use 1 unless your therapist suggested another weight.", "M", goal_id)
        weight = None
    levels: dict[int, str] = {}
    levels_node = reader.mapping(scale.get("levels"), "levels", "  levels:\n    0: expected outcome")
    if levels_node is not None:
        for key, (key_node, value) in levels_node.entries.items():
            level = parse_number(key)
            if level is None or level != int(level) or not -2 <= level <= 2:
                reader.report(key_node, Severity.ERROR, "gas-level",
                              f"“{key}” is not a GAS level; levels go from -2 to 2.",
                              "Use the levels -2, -1, 0, 1 and 2.", "M", goal_id)
                continue
            levels[int(level)] = reader.text(value, str(key)) or ""
    return GasScale(weight if weight is not None else 1.0, levels, reader.at(node))


# ---------------------------------------------------------------- entries


def _entry_date(source: SourceFile, fields: Map, reader: FieldReader) -> dt.date | None:
    """`date:`, else the date the file name starts with; without either the entry is left out, with a problem."""
    name = source.rel.rsplit("/", 1)[-1]
    named = _NAME_DATE.match(name)
    name_date = None
    if named:
        try:
            name_date = parse_date(named.group(1))
        except FarDate as far:
            reader.report(reader.at(None), Severity.ERROR, "bad-date",
                          f"The file name starts with {named.group(1)}, which is {far}.",
                          "Rename the file so it starts with the entry's date, YYYY-MM-DD.")
        except ValueError:
            reader.report(reader.at(None), Severity.ERROR, "bad-date",
                          f"The file name starts with {named.group(1)}, which is not a day on the calendar.",
                          "Rename the file so it starts with a real date, YYYY-MM-DD.")
    date_node = fields.get("date")
    if date_node is not None:
        day = reader.date(date_node, "date")
        if day is not None:
            return day
    if name_date is None:
        if reader.problems:  # a date was written, but it is not one
            reader.report(reader.at(None), Severity.ERROR, "no-date", "This entry has no usable date, so it was left out.",
                          "Fix the date above, or start the file name with the date (2026-11-21.md).")
        else:
            reader.report(Location(source.rel, fields.line, fields.column), Severity.ERROR, "no-date",
                          "This entry has no date, so it was left out.",
                          "Add `date: YYYY-MM-DD` at the top, or start the file name with the date (2026-11-21.md).")
    return name_date


def _parse_entry(source: SourceFile, fields: Map, body: str, body_line: int, facts: BodyFacts,
                 settings: Settings, reader: FieldReader) -> Entry | None:
    day = _entry_date(source, fields, reader)
    if day is None:
        return None

    time_text = reader.text(fields.get("time"), "time")
    if time_text is not None and not _TIME.fullmatch(time_text):
        reader.report(fields.get("time"), Severity.WARNING, "bad-time",
                      f"`time` is “{time_text}”; goalsite reads a time of day like 21:30.",
                      "Write the time as HH:MM, in quotes: `time: \"21:30\"`.")
        time_text = None
    elif time_text is not None and len(time_text) == 4:
        time_text = "0" + time_text

    values: dict[str, FieldValue] = {}
    for key, (_key_node, value) in fields.entries.items():
        if key in ENTRY_KEYS:
            continue
        _flatten(key, value, values, reader)
    shift = body_line - 1
    for found in facts.fields:
        if found.key not in values:
            values[found.key] = FieldValue(parse_number(found.value), found.value, source.rel, found.line + shift,
                                           found.column)

    mood = values.get("mood")
    if mood is not None:
        low, high = settings.mood_scale
        if mood.number is None:
            reader.report(mood.location, Severity.WARNING, "not-a-number",
                          f"`mood` is {mood.text!r}, not a number, so it was not charted.",
                          f"Rate your mood as a number from {low:g} to {high:g}.")
        elif not low <= mood.number <= high:
            reader.report(mood.location, Severity.WARNING, "mood-out-of-range",
                          f"`mood` is {mood.number:g}, outside your mood scale of {low:g} to {high:g}, "
                          "so it was not charted.",
                          f"Use a number from {low:g} to {high:g}, or change `mood_scale` in goalsite.yaml.")
            values["mood"] = FieldValue.at(None, mood.text, mood.location)

    goal_keys = []
    goals_node = fields.get("goals")
    for item in reader.items(goals_node, "goals"):
        text = reader.text(item, "goals")
        if text:
            target = text[2:-2].split("|")[0] if text.startswith("[[") and text.endswith("]]") else text
            goal_keys.append(Link.at(target.strip(), None, reader.at(item)))
    links = tuple(Link(link.target, link.alias, source.rel, link.line + shift, link.column)
                  for link in facts.links)

    return Entry(
        file=source.rel,
        date=day,
        time=time_text,
        title=reader.text(fields.get("title"), "title") or facts.title,
        fields=values,
        goals=(),
        links=links,
        goal_keys=tuple(goal_keys),
        tags=tuple(dict.fromkeys(
            tuple(tag.lstrip("#") for tag in reader.texts(fields.get("tags"), "tags")) + facts.tags)),
        coping=reader.texts(fields.get("coping"), "coping"),
        wins=reader.texts(fields.get("win"), "win") + reader.texts(fields.get("wins"), "wins"),
        setbacks=reader.texts(fields.get("setback"), "setback") + reader.texts(fields.get("setbacks"), "setbacks"),
        session=bool(reader.boolean(fields.get("session"), "session")),
        gas=tuple(_parse_gas_ratings(fields.get("gas"), reader)),
        questionnaires=tuple(q for key in QUESTIONNAIRES
                             if (q := _parse_questionnaire(key, fields.get(key), reader)) is not None),
        tasks_done=facts.tasks_done,
        tasks_total=facts.tasks_total,
        body=body,
    )


def _flatten(key: str, node: Node, values: dict[str, FieldValue], reader: FieldReader) -> None:
    """Nested front matter becomes dotted paths: `bp: {systolic: 120}` → `bp.systolic`."""
    stack: list[tuple[str, Node]] = [(key, node)]
    while stack:
        path, current = stack.pop()
        if isinstance(current, Scalar):
            if not current.is_null:
                values[path] = FieldValue(parse_number(current.value), current.value, reader.file, current.line,
                                          current.column)
        elif isinstance(current, Map):
            stack.extend((f"{path}.{child}", value) for child, (_k, value) in reversed(current.entries.items()))


def _parse_gas_ratings(node: Node | None, reader: FieldReader) -> list[GasRating]:
    ratings = reader.mapping(node, "gas", "gas: {communicate-needs: 0}")
    if ratings is None:
        return []
    found = []
    for goal_id, (_key_node, value) in ratings.entries.items():
        level = reader.number(value, f"gas: {goal_id}")
        if level is None:
            continue
        if level != int(level) or not -2 <= level <= 2:
            reader.report(value, Severity.ERROR, "gas-level",
                          f"The GAS rating for {goal_id} is {level:g}; ratings go from -2 to 2.",
                          "Use -2 (much less than expected), -1, 0 (as expected), 1 or 2 (much more).")
            continue
        found.append(GasRating(goal_id, int(level), reader.at(value)))
    return found


def _parse_questionnaire(key: str, node: Node | None, reader: FieldReader) -> Questionnaire | None:
    if node is None or (isinstance(node, Scalar) and node.is_null):
        return None
    count = QUESTIONNAIRES[key]
    name = {"phq9": "PHQ-9", "gad7": "GAD-7"}[key]
    if isinstance(node, Seq):
        if len(node.items) != count:
            reader.report(node, Severity.ERROR, "questionnaire-items",
                          f"{name} has {count} questions, but {len(node.items)} answers are here, so it was not scored.",
                          f"Give one answer from 0 to {MAX_ANSWER} for each of the {count} questions, in order.")
            return None
        answers = []
        for item in node.items:
            answer = reader.integer(item, key)
            if answer is None:
                return None
            if not 0 <= answer <= MAX_ANSWER:
                reader.report(item, Severity.ERROR, "questionnaire-range",
                              f"A {name} answer is {answer}; answers go from 0 to {MAX_ANSWER}, so it was not scored.",
                              "0 = not at all, 1 = several days, 2 = more than half the days, 3 = nearly every day.")
                return None
            answers.append(answer)
        return Questionnaire(key, sum(answers), tuple(answers), reader.at(node))
    total = reader.integer(node, key)
    if total is None:
        return None
    if not 0 <= total <= count * MAX_ANSWER:
        reader.report(node, Severity.ERROR, "questionnaire-range",
                      f"A {name} total is {total}; totals go from 0 to {count * MAX_ANSWER}, so it was not scored.",
                      "Check the sum of the answers, or list the answers themselves.")
        return None
    return Questionnaire(key, total, None, reader.at(node))
