"""Any bytes as a goal or an entry give problems, never an exception (RELIABILITY.md: fuzz our own reader)."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import TODAY
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
