"""Any bytes as a goal or an entry give problems, never an exception (RELIABILITY.md: fuzz our own reader)."""

from __future__ import annotations

import os
import re
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import TODAY, write
from goalsite.config import Settings
from goalsite.documents import parse_document
from goalsite.load import load_vault
from goalsite.smart import validate_goals
from goalsite.vault import SourceFile

KINDS = [("goals/g.md", "goal"), ("goals/g.yaml", "goal"), ("journal/2026-11-21.md", "entry"),
         ("notes/n.md", None)]
KEYS = ["title", "date", "mood", "measurable", "field", "baseline", "target", "per", "gas", "phq9", "gad7",
        "milestones", "plan", "due", "start", "review_every", "goals", "tags", "win", "session", "type", "log",
        "levels", "weight", "done", "id", "status", "focus", "reviews", "time", "aggregate", "values"]
YAMLISH = st.lists(st.one_of(
    st.sampled_from(KEYS).map(lambda k: k + ": "), st.sampled_from(["\n", "  ", "- ", "[", "]", "{", "}", ",", ":",
                                                                     "&a ", "*a", "!!python/x ", "'", '"', "#",
                                                                     "---\n", "[[g]]", "2026-02-30", "-2", "1e9",
                                                                     "no", "12:30", ".nan", "\ufeff", "\r"]),
    st.text(max_size=8)), max_size=40).map("".join)


def parse(rel: str, kind: str | None, data: bytes) -> None:
    source = SourceFile(Path("/nonexistent") / rel, rel, kind, len(data), 0)
    parsed = parse_document(source, data, Settings())
    for problem in parsed.problems:
        assert problem.location.file == rel and problem.location.line >= 1 and problem.location.column >= 1
    if parsed.goal is not None:
        validate_goals([parsed.goal], [], Settings(), TODAY)


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(KINDS), st.binary(max_size=600))
def test_any_bytes(kind: tuple[str, str | None], data: bytes) -> None:
    parse(kind[0], kind[1], data)


@settings(max_examples=600, deadline=None)
@given(st.sampled_from(KINDS), YAMLISH, st.text(max_size=40))
def test_any_front_matter(kind: tuple[str, str | None], front: str, body: str) -> None:
    parse(kind[0], kind[1], f"---\n{front}\n---\n{body}".encode("utf-8", "surrogatepass"))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(YAMLISH, YAMLISH)
def test_a_whole_vault_of_nonsense_still_loads(tmp_path: Path, goal: str, entry: str) -> None:
    (tmp_path / "goals").mkdir(exist_ok=True)
    (tmp_path / "journal").mkdir(exist_ok=True)
    (tmp_path / "goals" / "g.md").write_bytes(f"---\n{goal}\n---\n".encode("utf-8", "surrogatepass"))
    (tmp_path / "journal" / "2026-11-20.md").write_bytes(f"---\n{entry}\n---\n".encode("utf-8", "surrogatepass"))
    (tmp_path / "journal" / "2026-11-21.md").write_bytes(b"---\nmood: 5\n---\n")
    from goalsite.analysis import analyse
    from goalsite.export import goals_json, measurements_csv

    vault, today = load_vault(tmp_path, TODAY)
    analysis = analyse(vault, today)
    goals_json(vault, analysis)
    measurements_csv(vault, analysis)
    assert any(entry.file == "journal/2026-11-21.md" for entry in vault.entries)


# Values of every kind under the keys goalsite reads, as a person might mistype them: far dates, huge and
# tiny numbers, lists where text belongs, maps where numbers belong. Each vault is built into a site.
_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-10**20, 10**20), st.floats(allow_nan=False, allow_infinity=False),
    st.dates(), st.text(max_size=10),
    st.sampled_from(["", "no", "12:30", "2026-02-30", "2026-11-21", "1 month", "2 weeks", "99999999 days", "week",
                     "month", "sum", "mean", "max", "min", "count", "paused", "achieved", "n", "mood", "[[g0]]",
                     "1e-9", "1.000001", "-0", "<b>x</b>"]))
_GOAL_KEYS = ["id", "title", "status", "focus", "created", "start", "due", "specific", "achievable", "relevant",
              "values", "area", "review_every", "reviews", "milestones", "plan", "gas", "revisions", "log"]
_INNER_KEYS = ["field", "baseline", "target", "unit", "per", "aggregate", "date", "title", "done", "due", "value",
               "note", "level", "goal", "weight", "levels", "change", "why", "items", "total"]
_ENTRY_KEYS = ["date", "time", "title", "mood", "goals", "tags", "coping", "win", "setback", "session", "gas",
               "phq9", "gad7", "n"]


def _values(depth: int) -> st.SearchStrategy[object]:
    if depth == 0:
        return _SCALARS
    inner = _values(depth - 1)
    return st.one_of(_SCALARS, st.lists(inner, max_size=3),
                     st.dictionaries(st.sampled_from(_INNER_KEYS), inner, max_size=4))


_GOALS = st.lists(st.fixed_dictionaries(
    {"measurable": st.dictionaries(st.sampled_from(_INNER_KEYS[:6]), _values(0), max_size=6)},
    optional={key: _values(2) for key in _GOAL_KEYS}), min_size=1, max_size=3)
_ENTRIES = st.lists(st.dictionaries(st.sampled_from(_ENTRY_KEYS), _values(2), max_size=6), max_size=4)


@settings(max_examples=50 * max(1, int(os.environ.get("GOALSITE_SOAK", "0"))), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(_GOALS, _ENTRIES)
def test_any_values_still_build_a_whole_site(tmp_path: Path, goals: list[dict[str, object]],
                                             entries: list[dict[str, object]]) -> None:
    import tempfile

    import yaml

    from goalsite.build import build

    work = Path(tempfile.mkdtemp(dir=tmp_path))
    vault = work / "vault"
    for number, goal in enumerate(goals):
        write(vault, f"goals/g{number}.md", f"---\n{yaml.safe_dump(goal)}---\nNotes [[g0]].\n")
    for day in range(3):  # enough measurements for a road, a chart and a forecast
        write(vault, f"journal/2026-11-1{day}.md", f"---\nn: {day + 2}\nmood: {day + 4}\ngoals: [g0]\n---\n")
    for number, entry in enumerate(entries):
        write(vault, f"journal/2026-11-0{number}.md", f"---\n{yaml.safe_dump(entry)}---\nA day.\n")
    result = build(vault, work / "site", today=TODAY, fresh=True)
    assert (work / "site" / "index.html").is_file()
    assert all((work / "site" / "goals" / f"{goal.id}.html").is_file() for goal in result.vault.goals)
    # An empty or odd value leaves its words out: no page shows Python's own words for nothing, yes or no
    # (unless a file says them itself).
    written = " ".join(path.read_text(encoding="utf-8") for path in vault.rglob("*.md"))
    for word in ("None", "True", "False"):
        if word not in written:
            pages = [path.name for path in (work / "site").rglob("*.html")
                     if re.search(rf"[>\s(]{word}[\s<.,:;)]", path.read_text(encoding="utf-8"))]
            assert pages == [], word
