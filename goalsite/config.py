"""Settings from `goalsite.yaml`: defaults in code, every key checked, unknown keys answered with a guess."""

from __future__ import annotations

import datetime as dt
import difflib
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from goalsite.errors import Problem, Severity
from goalsite.fields import FieldReader
from goalsite.frontmatter import Map, compose, decode

SETTINGS_FILE = "goalsite.yaml"
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MAX_SETTINGS_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True)
class Thresholds:
    reliable_change: int
    cutoff: int


DEFAULT_THRESHOLDS = {"phq9": Thresholds(6, 10), "gad7": Thresholds(4, 8)}


@dataclass(frozen=True)
class Settings:
    title: str = "My goals"
    owner: str | None = None
    timezone: str | None = None  # None: the machine's
    week_start: int = 0  # 0 = Monday, as date.weekday()
    mood_scale: tuple[float, float] = (1, 10)
    max_active_goals: int = 3
    goals_dir: str = "goals"
    journal_dir: str = "journal"
    output: str | None = None
    theme: str = "default"
    exclude: tuple[str, ...] = ()
    crisis: tuple[str, ...] = ()
    strict_line_breaks: bool = False  # as Obsidian's setting: a single line break shows, unless this is on
    thresholds: dict[str, Thresholds] = field(default_factory=lambda: dict(DEFAULT_THRESHOLDS))


KNOWN_KEYS = (
    "title", "owner", "timezone", "week_start", "mood_scale", "max_active_goals", "goals_dir",
    "journal_dir", "output", "theme", "exclude", "crisis", "questionnaires", "strict_line_breaks",
)


def did_you_mean(word: str, choices: tuple[str, ...] | list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f" Did you mean `{close[0]}`?" if close else ""


def load_settings(vault: Path) -> tuple[Settings, list[Problem]]:
    """Read `goalsite.yaml` if there is one. A broken file gives problems and the defaults, never a stop."""
    path = vault / SETTINGS_FILE
    reader = FieldReader(SETTINGS_FILE)
    try:
        if path.stat().st_size > MAX_SETTINGS_BYTES:
            reader.report(None, Severity.ERROR, "too-large", "goalsite.yaml is over 2 MiB, so it was not read.",
                          "Settings are a few lines; check that this is the right file.")
            return Settings(), reader.problems
        data = path.read_bytes()
    except FileNotFoundError:
        return Settings(), []
    except OSError as error:
        reader.report(None, Severity.ERROR, "unreadable", f"goalsite.yaml cannot be read: {error.strerror}.",
                      "Check the file's permissions.")
        return Settings(), reader.problems
    decoded = decode(data)
    if decoded.problem:
        issue = decoded.problem
        reader.report(reader.at(None).at(issue.line, issue.column), Severity.ERROR, issue.code, issue.message,
                      issue.hint)
        return Settings(), reader.problems
    root, issues = compose(decoded.text)
    for issue in issues:
        reader.report(reader.at(None).at(issue.line, issue.column), Severity.ERROR, issue.code, issue.message,
                      issue.hint)
    if root is None:
        return Settings(), reader.problems
    settings_map = reader.mapping(root, "goalsite.yaml", "title: My goals\nweek_start: monday")
    if settings_map is None:
        return Settings(), reader.problems
    return _read(settings_map, reader), reader.problems


def _read(node: Map, reader: FieldReader) -> Settings:
    for key, (key_node, _value) in node.entries.items():
        if key not in KNOWN_KEYS:
            reader.report(key_node, Severity.WARNING, "unknown-setting",
                          f"`{key}` is not a setting goalsite knows, so it was ignored.{did_you_mean(key, KNOWN_KEYS)}",
                          "The settings are listed in the README under “Settings”.")
    values: dict[str, object] = {}
    for key in ("title", "owner", "goals_dir", "journal_dir", "output", "theme"):
        text = reader.text(node.get(key), key)
        if text is not None:
            values[key] = text.strip("/") if key.endswith("_dir") else text

    timezone = reader.text(node.get("timezone"), "timezone")
    if timezone is not None:
        try:
            ZoneInfo(timezone)
            values["timezone"] = timezone
        except (ZoneInfoNotFoundError, ValueError):
            reader.report(node.get("timezone"), Severity.WARNING, "unknown-timezone",
                          f"`{timezone}` is not a time zone goalsite knows; it used this computer's.",
                          "Use a name like Europe/Berlin or America/New_York.")

    week_start = reader.text(node.get("week_start"), "week_start")
    if week_start is not None:
        if week_start.lower() in WEEKDAYS:
            values["week_start"] = WEEKDAYS.index(week_start.lower())
        else:
            reader.report(node.get("week_start"), Severity.WARNING, "bad-setting",
                          f"`week_start` should be a day of the week, not “{week_start}”; weeks start on Monday."
                          + did_you_mean(week_start.lower(), WEEKDAYS),
                          "For example `week_start: sunday`.")

    scale_node = node.get("mood_scale")
    if scale_node is not None:
        scale = [reader.number(item, "mood_scale") for item in reader.items(scale_node, "mood_scale")]
        if len(scale) == 2 and scale[0] is not None and scale[1] is not None and scale[0] < scale[1]:
            values["mood_scale"] = (scale[0], scale[1])
        else:
            reader.report(scale_node, Severity.WARNING, "bad-setting",
                          "`mood_scale` should be two numbers, lowest first; goalsite used 1 to 10.",
                          "For example `mood_scale: [1, 10]`.")

    max_active = reader.integer(node.get("max_active_goals"), "max_active_goals")
    if max_active is not None:
        if max_active >= 1:
            values["max_active_goals"] = max_active
        else:
            reader.report(node.get("max_active_goals"), Severity.WARNING, "bad-setting",
                          "`max_active_goals` should be 1 or more; goalsite used 3.", "For example `max_active_goals: 3`.")

    strict = reader.boolean(node.get("strict_line_breaks"), "strict_line_breaks")
    if strict is not None:
        values["strict_line_breaks"] = strict

    values["exclude"] = reader.texts(node.get("exclude"), "exclude")
    values["crisis"] = reader.texts(node.get("crisis"), "crisis")

    thresholds = dict(DEFAULT_THRESHOLDS)
    questionnaires = reader.mapping(node.get("questionnaires"), "questionnaires",
                                    "questionnaires:\n  phq9: {reliable_change: 6, cutoff: 10}")
    if questionnaires is not None:
        for name, (key_node, value) in questionnaires.entries.items():
            if name not in DEFAULT_THRESHOLDS:
                guess = did_you_mean(name, list(DEFAULT_THRESHOLDS))
                reader.report(key_node, Severity.WARNING, "unknown-setting",
                              f"`{name}` is not a questionnaire goalsite knows.{guess}",
                              "goalsite scores `phq9` and `gad7`.")
                continue
            entry = reader.mapping(value, name, f"{name}: {{reliable_change: 6, cutoff: 10}}")
            if entry is None:
                continue
            default = DEFAULT_THRESHOLDS[name]
            change = reader.integer(entry.get("reliable_change"), "reliable_change")
            cutoff = reader.integer(entry.get("cutoff"), "cutoff")
            thresholds[name] = Thresholds(change if change is not None else default.reliable_change,
                                          cutoff if cutoff is not None else default.cutoff)
    values["thresholds"] = thresholds
    return Settings(**values)  # type: ignore[arg-type]


def today_in(settings: Settings) -> dt.date:
    if settings.timezone:
        return dt.datetime.now(ZoneInfo(settings.timezone)).date()
    return dt.date.today()
