"""Bytes → text → front matter → YAML nodes, with exact lines and columns and no crash on anything."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import write
from goalsite.frontmatter import MAX_DEPTH, Map, Scalar, Seq, _simple, compose, compose_events, decode, split_front_matter


def test_bom_crlf_and_cr_are_plain_text() -> None:
    assert decode(b"\xef\xbb\xbf---\r\ntitle: a\r\n---\r\nbody\r\n").text == "---\ntitle: a\n---\nbody\n"
    assert decode(b"a\rb\rc").text == "a\nb\nc"


def test_utf16_windows1252_and_binary_are_problems_with_a_place() -> None:
    utf16 = decode("title: x".encode("utf-16"))
    assert utf16.problem is not None and utf16.problem.code == "encoding"
    cp1252 = decode("---\ntitle: Caf\u00e9 ok\n---\n".encode("cp1252"))
    assert cp1252.problem is not None
    assert (cp1252.problem.code, cp1252.problem.line, cp1252.problem.column) == ("encoding", 2, 11)
    assert "0xE9" in cp1252.problem.message
    binary = decode(b"abc\ndef\x00ghi")
    assert binary.problem is not None and (binary.problem.code, binary.problem.line, binary.problem.column) == (
        "binary", 2, 4)


@pytest.mark.parametrize("opening", ["---", "---   ", "---\t"])
def test_front_matter_fence_may_have_trailing_spaces(opening: str) -> None:
    split = split_front_matter(f"{opening}\na: 1\n--- \nbody\n")
    assert (split.front, split.body, split.yaml_line, split.body_line) == ("a: 1\n", "body\n", 2, 4)


def test_front_matter_may_close_with_dots_and_may_be_missing() -> None:
    assert split_front_matter("---\na: 1\n...\nrest").front == "a: 1\n"
    assert split_front_matter("# Title\n---\n").front is None
    assert split_front_matter("----\na").front is None


def test_unclosed_front_matter_is_a_problem() -> None:
    split = split_front_matter("---\ntitle: x\nno end here\n")
    assert split.problem is not None and split.problem.code == "front-matter-unclosed"


def test_every_key_has_its_line_and_column() -> None:
    root, issues = compose("title: Sleep\nmeasurable:\n  field: nights\n  target: 5\n", first_line=2)
    assert issues == []
    assert isinstance(root, Map)
    measurable = root.get("measurable")
    assert isinstance(measurable, Map)
    target = measurable.get("target")
    assert isinstance(target, Scalar)
    assert (target.value, target.line, target.column) == ("5", 5, 11)
    key = root.key_node("measurable")
    assert key is not None and (key.line, key.column) == (3, 1)


def test_values_stay_as_written() -> None:
    root, _ = compose("a: no\nb: 12:30\nc: 1.10\nd: '007'\ne: ~\n")
    assert isinstance(root, Map)
    values = {key: node for key, (_k, node) in root.entries.items()}
    assert [values[k].value for k in "abcd"] == ["no", "12:30", "1.10", "007"]  # type: ignore[union-attr]
    assert isinstance(values["e"], Scalar) and values["e"].is_null
    assert isinstance(values["d"], Scalar) and not values["d"].plain


def test_duplicate_keys_are_problems_and_the_first_wins() -> None:
    root, issues = compose("mood: 6\ntags: [a]\nmood: 2\n", first_line=2)
    assert [(i.code, i.line, i.column) for i in issues] == [("yaml-duplicate-key", 4, 1)]
    assert "first on line 2" in issues[0].message
    assert isinstance(root, Map)
    mood = root.get("mood")
    assert isinstance(mood, Scalar) and mood.value == "6"


def test_python_tags_are_refused() -> None:
    root, issues = compose("a: !!python/object/apply:os.system ['echo hi']\nb: !!python/name:os.system x\n")
    assert [(i.code, i.line) for i in issues] == [("yaml-tag", 1), ("yaml-tag", 2)]
    assert isinstance(root, Map)


def test_alias_bomb_stops_quickly() -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n"
    for name, previous in zip("bcdefghi", "abcdefgh", strict=True):
        bomb += f"{name}: &{name} [{', '.join(['*' + previous] * 9)}]\n"
    root, issues = compose(bomb)  # 9**9 values if expanded; it stops at 20,000
    assert root is None and [i.code for i in issues] == ["yaml-too-large"]


def test_small_aliases_are_fine() -> None:
    root, issues = compose("base: &b {x: 1}\ncopy: *b\n")
    assert issues == [] and isinstance(root, Map) and isinstance(root.get("copy"), Map)


@pytest.mark.parametrize("text", [
    "a: " + "[" * 1_000_000 + "]" * 1_000_000,  # this segfaults PyYAML's C composer
    "- " * 1_000_000 + "x",
    "a: " + "{b: " * 100_000 + "}" * 100_000,
])
def test_deep_nesting_is_a_problem_not_a_crash(text: str) -> None:
    root, issues = compose(text)
    assert root is None and [i.code for i in issues] == ["yaml-too-deep"]
    assert str(MAX_DEPTH) in issues[0].message


def test_syntax_error_has_the_file_line() -> None:
    root, issues = compose("title: ok\nnote: a: b\n", first_line=2)
    assert root is None
    assert [(i.code, i.line, i.column) for i in issues] == [("yaml-syntax", 3, 8)]
    assert "quotes" in issues[0].hint


def test_control_character_is_a_problem() -> None:
    root, issues = compose("a: 1\nb: x\x07y\n")
    assert root is None and [(i.code, i.line, i.column) for i in issues] == [("yaml-syntax", 2, 5)]


def test_lists_keep_their_items() -> None:
    root, _ = compose("phq9: [1, 2, 1]\n")
    assert isinstance(root, Map)
    items = root.get("phq9")
    assert isinstance(items, Seq) and [item.value for item in items.items] == ["1", "2", "1"]  # type: ignore[union-attr]


# The plain shape is read without libyaml; whatever it reads must be exactly what libyaml gives.
SIMPLE_KEYS = ["date", "mood", "on", "a-b", "_x", "9x", "title", "x y", "k"]
PLAIN_ITEMS = ["walk", "goal-29", "trigger/noise", "-5", "4.5", ".5", "08:26", "a:b", "~", "null", "no",
               "http://x.org/a", "(a)", "a=b", "a ?", '"a"', '"a: b"', "'a'", '""', "''", "a  b"]
TRICKY_ITEMS = ["it's", "-", "a: b", "x,y", "a #b", "#b", "?x", "a]", "[a", "{a", '"a, b"', "'it''s'", '"a\\"b"', '"x" y',
                "*a", "&a b", "!x", "|", ">", "%x", "@x", "`x`", "é", "a\tb", "a:", "- a", ""]
GOOD_KEYS = ["date", "mood", "on", "a-b", "_x", "title", "k", "Key9"]


def _front(keys: list[str], items: list[str], odd: list[str], near: bool) -> st.SearchStrategy[str]:
    item = st.sampled_from(items)
    gap = st.sampled_from(["", " ", "  "])
    value = st.one_of(
        item, item,
        st.builds(lambda found, space, before: "[" + before + (before + "," + space).join(found) + before + "]",
                  st.lists(item, max_size=4), gap, gap),
        st.builds(lambda pairs, space, before: "{" + before + (before + "," + space).join(
            f"{k}:{space or ' '}{v}" for k, v in pairs) + before + "}",
            st.lists(st.tuples(st.sampled_from(keys), item), max_size=3), gap, gap),
        st.sampled_from(odd),
    )
    line = st.builds(lambda key, space, found, tail: f"{key}:{space}{found}{tail}", st.sampled_from(keys),
                     st.sampled_from([" ", "  "]), value, st.sampled_from(["", " "]))
    if near:
        line = st.one_of(line, st.builds(
            lambda key, space, found, tail: f"{key}:{space}{found}{tail}", st.sampled_from(keys),
            st.sampled_from(["", "\t"]), value, st.sampled_from(["  # note", "\t"])),
            st.sampled_from(["# a comment", "  indented: 1", "- item", "key : value", "---", "'q': 1"]))
    line = st.one_of(line, line, line, st.sampled_from(["", "  "]))
    if near:
        return st.lists(line, min_size=1, max_size=5).map(lambda lines: "\n".join(lines) + "\n")
    pairs = st.lists(st.tuples(st.sampled_from(keys), value), min_size=1, max_size=5, unique_by=lambda pair: pair[0])
    return st.builds(lambda found, blank: blank + "".join(f"{key}: {item}\n" for key, item in found), pairs,
                     st.sampled_from(["", "\n", "  \n"]))


SIMPLE_FRONT = st.one_of(
    _front(GOOD_KEYS, PLAIN_ITEMS, ["[ ]", "{}", "[]"], near=False),  # mostly the plain shape: places must agree
    _front(SIMPLE_KEYS, PLAIN_ITEMS + TRICKY_ITEMS,  # near misses: each must be left to libyaml, or agree
           ["[a,]", "[,]", "[ ]", "{}", "[a, [b]]", "{a: {b: c}}", "[a] b", "[a, b", "{a:b}", ""], near=True),
)


@settings(max_examples=1000, deadline=None)
@given(SIMPLE_FRONT, st.integers(1, 3))
def test_the_plain_shape_reads_as_libyaml_reads_it(source: str, first_line: int) -> None:
    simple = _simple(source, first_line)
    if simple is not None:
        assert compose_events(source, first_line) == (simple, [])


def test_front_matter_of_the_plain_shape_is_read_without_libyaml() -> None:
    source = 'date: 2016-09-09\ntime: "08:26"\n\nmood: 4\ngoals: [goal-29, "x"]\nbp: {systolic: 129, diastolic: 77}\n'
    simple = _simple(source, 2)
    assert simple is not None and list(simple.entries) == ["date", "time", "mood", "goals", "bp"]
    assert compose_events(source, 2) == (simple, [])
    for other in ("date: 2016-09-09\nnote: |\n  text\n", "a: 1\na: 2\n", "a: [x,\n  y]\n", "é: 1\n"):
        assert _simple(other, 2) is None  # a block, a key said twice, a list over lines, another script


@pytest.mark.parametrize(("front", "loaded"), [("mood: 6\ntags: [calm, walk]\n", False),
                                               ("mood: 6\nbp:\n  systolic: 120\n", True)])
def test_pyyaml_is_loaded_only_for_front_matter_that_needs_it(tmp_path: Path, front: str, loaded: bool) -> None:
    """Plain `key: value` front matter is read without PyYAML, which takes a fifth of a quick build's
    start to load; anything else is read by it, as before."""
    vault = tmp_path / "vault"
    write(vault, "goalsite.yaml", "title: Mine\n")
    write(vault, "journal/2026-11-20.md", f"---\n{front}---\nA walk.\n")
    code = ("import sys\nfrom goalsite.build import build\nimport datetime as dt\n"
            f"result = build({str(vault)!r}, {str(tmp_path / 'site')!r}, dt.date(2026, 11, 21))\n"
            "print(len(result.vault.entries), sorted(result.vault.entries[0].fields), 'yaml' in sys.modules)")
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    fields = "['mood']" if not loaded else "['bp.systolic', 'mood']"
    assert " ".join(shown) == f"1 {fields} {loaded}"
