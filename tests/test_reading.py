"""Reading a real vault on disk: every case of RELIABILITY.md, exact codes and lines, good files still counted."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from conftest import GOOD_GOAL, codes, load, write
from goalsite import vault as vault_module

ENTRY = "---\nmood: 6\nnights: 1\n---\nA calm day.\n"


def entry_files(root: Path) -> list[str]:
    return [entry.file for entry in load(root).entries]


def test_goals_and_entries_by_folder_and_file_name(vault: Path) -> None:
    write(vault, "goals/sleep.md", GOOD_GOAL)
    write(vault, "journal/2026/2026-11-20.md", ENTRY)
    write(vault, "journal/2026-11-21-evening.md", "Just text, dated by its name. [[sleep]]\n")
    write(vault, "journal/no-date.md", "---\nmood: 5\n---\n")
    model = load(vault)
    assert [goal.id for goal in model.goals] == ["sleep"]
    assert [(e.file, e.date.isoformat()) for e in model.entries] == [
        ("journal/2026/2026-11-20.md", "2026-11-20"), ("journal/2026-11-21-evening.md", "2026-11-21")]
    assert model.entries[1].goals == ("sleep",)
    assert codes(model.problems, "journal/no-date.md") == [("journal/no-date.md", 2, 1, "no-date")]


def test_front_matter_date_wins_and_a_bad_date_is_a_problem(vault: Path) -> None:
    write(vault, "journal/2026-11-01.md", "---\ndate: 2026-11-03\n---\n")
    write(vault, "journal/bad.md", "---\nmood: 4\ndate: 2026-02-30\n---\n")
    model = load(vault)
    assert [e.date.isoformat() for e in model.entries] == ["2026-11-03"]
    assert codes(model.problems, "journal/bad.md") == [("journal/bad.md", 1, 1, "no-date"),
                                                       ("journal/bad.md", 3, 7, "bad-date")]
    assert model.problems[1].message == "`date` is 2026-02-30, which is not a day on the calendar."


def test_a_date_far_from_today_is_a_problem_not_a_crash(vault: Path) -> None:
    # Real days, but past any journal's: adding a week, a month or a review to them would leave the calendar.
    write(vault, "journal/far.md", "---\nmood: 4\ndate: 9999-12-31\n---\n")
    write(vault, "journal/0001-01-01.md", "---\nmood: 4\n---\n")
    write(vault, "journal/2026-11-21.md", "---\nmood: 4\ndate: 1899-12-31\n---\n")
    write(vault, "journal/2199-12-31.md", "---\nmood: 4\n---\n")
    model = load(vault)
    assert [e.date.isoformat() for e in model.entries] == ["2026-11-21", "2199-12-31"]
    assert [(p.location.file, p.location.line, p.location.column, p.code, p.message) for p in model.problems] == [
        ("journal/0001-01-01.md", 1, 1, "bad-date",
         "The file name starts with 0001-01-01, which is outside the years goalsite reads, 1900 to 2199."),
        ("journal/0001-01-01.md", 1, 1, "no-date", "This entry has no usable date, so it was left out."),
        ("journal/2026-11-21.md", 3, 7, "bad-date",
         "`date` is 1899-12-31, which is outside the years goalsite reads, 1900 to 2199."),
        ("journal/far.md", 1, 1, "no-date", "This entry has no usable date, so it was left out."),
        ("journal/far.md", 3, 7, "bad-date",
         "`date` is 9999-12-31, which is outside the years goalsite reads, 1900 to 2199.")]


def test_type_overrides_the_folder(vault: Path) -> None:
    write(vault, "notes/my-goal.md", "---\ntype: goal\ntitle: Call a friend weekly\n---\n")
    write(vault, "goals/2026-11-02.md", "---\ntype: entry\nmood: 7\n---\n")
    write(vault, "notes/unrelated.md", "---\ntitle: [broken yaml\n---\n")  # not ours: never reported
    model = load(vault)
    assert [g.id for g in model.goals] == ["my-goal"]
    assert [e.file for e in model.entries] == ["goals/2026-11-02.md"]
    assert codes(model.problems, "notes/unrelated.md") == []


def test_renamed_folders_from_settings(vault: Path) -> None:
    write(vault, "goalsite.yaml", "goals_dir: Goals\njournal_dir: Daily Notes\n")
    write(vault, "Goals/sleep.md", GOOD_GOAL)
    write(vault, "Daily Notes/2026-11-20.md", ENTRY)
    write(vault, "journal/2026-11-19.md", ENTRY)  # the default folder no longer counts
    model = load(vault)
    assert [g.id for g in model.goals] == ["sleep"]
    assert [e.file for e in model.entries] == ["Daily Notes/2026-11-20.md"]


def test_ignored_places(vault: Path) -> None:
    write(vault, "journal/2026-11-20.md", ENTRY)
    for rel in (".obsidian/workspace.md", ".trash/2026-11-01.md", "journal/.hidden/2026-11-02.md",
                "node_modules/x/2026-11-03.md", "journal/templates/2026-11-04.md", "journal/2026-11-05.txt",
                "journal/.2026-11-06.md", "theme/templates/2026-11-07.md"):
        write(vault, rel, ENTRY)
    write(vault, "goalsite.yaml", "exclude: ['journal/templates/*']\n")
    assert entry_files(vault) == ["journal/2026-11-20.md"]


def test_extensions_yaml_and_markdown(vault: Path) -> None:
    write(vault, "goals/plain.yaml", GOOD_GOAL.split("---\n")[1])
    write(vault, "goals/other.yml", "title: Other\n")
    write(vault, "journal/2026-11-20.markdown", ENTRY)
    model = load(vault)
    assert sorted(g.id for g in model.goals) == ["other", "plain"]
    assert [e.file for e in model.entries] == ["journal/2026-11-20.markdown"]


@pytest.mark.parametrize(("copy", "service"), [
    ("2026-11-20 (Sam's conflicted copy 2026-11-21).md", "Dropbox"),
    ("2026-11-20.sync-conflict-20261121-101500-ABCDEF7.md", "Syncthing"),
    ("2026-11-20 (1).md", "Google Drive"),
    ("2026-11-20-LAPTOP.md", "OneDrive"),
])
def test_conflict_copies_are_warned_and_never_counted(vault: Path, copy: str, service: str) -> None:
    write(vault, "journal/2026-11-20.md", ENTRY)
    write(vault, f"journal/{copy}", ENTRY)
    model = load(vault)
    assert [e.file for e in model.entries] == ["journal/2026-11-20.md"]
    assert codes(model.problems) == [(f"journal/{copy}", 1, 1, "conflict-copy")]
    assert service in model.problems[0].message and "“2026-11-20.md”" in model.problems[0].message


def test_a_real_second_entry_of_a_day_is_not_a_conflict(vault: Path) -> None:
    write(vault, "journal/2026-11-20.md", ENTRY)
    write(vault, "journal/2026-11-20-evening.md", ENTRY)
    write(vault, "journal/2026-11-21 (1).md", ENTRY)  # no original beside it: a real file
    assert entry_files(vault) == ["journal/2026-11-20-evening.md", "journal/2026-11-20.md",
                                  "journal/2026-11-21 (1).md"]


def test_icloud_placeholder_is_named(vault: Path) -> None:
    write(vault, "journal/.2026-11-20.md.icloud", b"bplist00")
    model = load(vault)
    assert codes(model.problems) == [("journal/.2026-11-20.md.icloud", 1, 1, "conflict-copy")]
    assert "“2026-11-20.md” is still in iCloud" in model.problems[0].message


def test_git_conflict_markers_exclude_the_file_but_a_setext_heading_does_not(vault: Path) -> None:
    write(vault, "journal/2026-11-20.md",
          "---\nmood: 6\n---\n<<<<<<< HEAD\nCalm.\n=======\nTense.\n>>>>>>> other\n")
    write(vault, "journal/2026-11-21.md", "---\nmood: 6\n---\nHeading\n=======\nText\n")
    model = load(vault)
    assert [e.file for e in model.entries] == ["journal/2026-11-21.md"]
    assert codes(model.problems) == [("journal/2026-11-20.md", 4, 1, "conflict-markers")]


def test_encodings_line_endings_and_binary(vault: Path) -> None:
    write(vault, "journal/2026-11-01.md", b"\xef\xbb\xbf---\r\nmood: 6\r\n---\r\nBOM and CRLF.\r\n")
    write(vault, "journal/2026-11-02.md", b"---\rmood: 7\r---\rOld Mac line endings.\r")
    write(vault, "journal/2026-11-03.md", "---\nmood: 5\n---\nCaf\u00e9 from Notepad\n".encode("cp1252"))
    write(vault, "journal/2026-11-04.md", "---\nmood: 5\n---\n".encode("utf-16"))
    write(vault, "journal/2026-11-05.md", b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    model = load(vault)
    assert [(e.file, e.mood) for e in model.entries] == [("journal/2026-11-01.md", 6), ("journal/2026-11-02.md", 7)]
    assert codes(model.problems) == [("journal/2026-11-03.md", 4, 4, "encoding"),
                                     ("journal/2026-11-04.md", 1, 1, "encoding"),
                                     ("journal/2026-11-05.md", 3, 1, "binary")]


def test_too_large_file_is_a_problem_for_that_file_only(vault: Path) -> None:
    write(vault, "journal/2026-11-01.md", b"---\nmood: 6\n---\n" + b"x" * (2 * 1024 * 1024))
    write(vault, "journal/2026-11-02.md", ENTRY)
    model = load(vault)
    assert [e.file for e in model.entries] == ["journal/2026-11-02.md"]
    assert codes(model.problems) == [("journal/2026-11-01.md", 1, 1, "too-large")]


def test_links_out_of_the_vault_are_never_followed(vault: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    write(outside, "2026-11-01.md", ENTRY)
    write(outside, "diary/2026-11-02.md", ENTRY)
    write(vault, "journal/2026-11-03.md", ENTRY)
    os.symlink(outside / "2026-11-01.md", vault / "journal" / "2026-11-01.md")
    os.symlink(outside / "diary", vault / "journal" / "diary")
    os.symlink(vault / "journal" / "2026-11-03.md", vault / "journal" / "2026-11-04.md")
    model = load(vault)
    assert [e.file for e in model.entries] == ["journal/2026-11-03.md"]
    assert codes(model.problems) == [("journal/2026-11-01.md", 1, 1, "outside-link"),
                                     ("journal/2026-11-04.md", 1, 1, "inside-link"),
                                     ("journal/diary", 1, 1, "outside-link")]


def test_unreadable_file_does_not_stop_the_rest(vault: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root can read any file")
    path = write(vault, "journal/2026-11-01.md", ENTRY)
    write(vault, "journal/2026-11-02.md", ENTRY)
    path.chmod(0)
    model = load(vault)
    assert [e.file for e in model.entries] == ["journal/2026-11-02.md"]
    assert codes(model.problems)[0][3] == "unreadable"


def test_broken_files_are_left_out_and_the_good_ones_counted(vault: Path) -> None:
    write(vault, "goals/sleep.md", GOOD_GOAL)
    write(vault, "goals/broken.md", "---\ntitle: Broken\nspecific: [unclosed\n---\n")
    write(vault, "goals/list.md", "---\n- a\n- b\n---\n")
    write(vault, "goals/tagged.md", "---\ntitle: !!python/object/apply:os.system [ls]\n---\n")
    write(vault, "journal/2026-11-01.md", "---\nmood: 6\nmood: 7\n---\n")
    write(vault, "journal/2026-11-02.md", "---\nmood: [6\n---\n")
    write(vault, "journal/2026-11-03.md", ENTRY)
    model = load(vault)
    assert [g.id for g in model.goals] == ["sleep", "tagged"]
    assert [(e.file, e.mood) for e in model.entries] == [("journal/2026-11-01.md", 6), ("journal/2026-11-03.md", 6)]
    found = [c for c in codes(model.problems) if c[3] not in ("measurable-no-data",)]
    assert ("goals/broken.md", 3, 11, "yaml-syntax") in found  # where the unclosed bracket opened
    assert ("goals/list.md", 2, 1, "wrong-type") in found
    assert ("goals/tagged.md", 2, 8, "yaml-tag") in found
    assert ("journal/2026-11-01.md", 3, 1, "yaml-duplicate-key") in found
    assert ("journal/2026-11-02.md", 2, 7, "yaml-syntax") in found


def test_text_fields_stay_text(vault: Path) -> None:
    write(vault, "goals/no.md", "---\ntitle: no\nspecific: 12:30\narea: 1.10\n---\n")
    goal = load(vault).goals[0]
    assert (goal.title, goal.specific, goal.area) == ("no", "12:30", "1.10")


def test_duplicate_goal_ids_name_both_files(vault: Path) -> None:
    write(vault, "goals/a/sleep.md", GOOD_GOAL)
    write(vault, "goals/b/sleep.md", GOOD_GOAL)
    model = load(vault)
    assert [g.file for g in model.goals] == ["goals/a/sleep.md"]
    duplicate = [p for p in model.problems if p.code == "duplicate-id"]
    assert len(duplicate) == 1 and "goals/a/sleep.md and goals/b/sleep.md" in duplicate[0].message


def test_obsidian_features(vault: Path) -> None:
    write(vault, "goals/sleep-schedule.md", GOOD_GOAL)
    write(vault, "journal/2026-11-19.md", ENTRY)
    write(vault, "journal/2026-11-20.md", """\
---
goals: ["[[sleep-schedule]]"]
bp: {systolic: 121, diastolic: 79}
tags: [work]
---
# Evening #not-a-tag
Felt [[sleep-schedule|my sleep goal]] going well, see [[2026-11-19]] and [[Some other note]]. #trigger/crowds
![[holiday.png]] !![[beach.png|the beach]]
`#code-tag [[not-a-link]]` and #1984 #weight:72.5kg
```
#fenced [[fenced]]
```
mood:: 7
- [x] walk
- [ ] call mum
""")
    model = load(vault)
    entry = next(e for e in model.entries if e.file == "journal/2026-11-20.md")
    assert entry.goals == ("sleep-schedule",)
    assert entry.tags == ("work", "trigger/crowds")
    assert (entry.mood, entry.fields["weight"].number, entry.fields["bp.systolic"].number) == (7, 72.5, 121)
    assert (entry.tasks_done, entry.tasks_total, entry.title) == (1, 2, "Evening #not-a-tag")
    assert [(c[1], c[2], c[3]) for c in codes(model.problems, "journal/2026-11-20.md")] == [(7, 74, "unknown-link")]


def test_what_a_comment_holds_does_not_count_and_what_follows_keeps_its_place(vault: Path) -> None:
    """Obsidian hides `%%comments%%` (and HTML's) when reading: a tag, link, task or field in one is not
    there, and the body keeps none of its words; a problem after one still names its exact column."""
    write(vault, "goals/sleep-schedule.md", GOOD_GOAL + "Notes %%only for me%% here.\n")
    write(vault, "journal/2026-11-20.md", """\
---
mood: 6
---
Slept %%badly, #shame [[sleep-schedule]]%% well. See [[Somewhere else]].
<!--
- [ ] walk:: 3
#hidden
-->
%%
- [x] called mum
%%
Done #shown
""")
    model = load(vault)
    entry = next(e for e in model.entries if e.file == "journal/2026-11-20.md")
    assert (entry.tags, entry.goals, entry.tasks_total, "walk" in entry.fields) == (("shown",), (), 0, False)
    assert entry.body == "Slept  well. See [[Somewhere else]]." + "\n" * 8 + "Done #shown\n"
    assert [(c[1], c[2], c[3]) for c in codes(model.problems, "journal/2026-11-20.md")] == [(4, 54, "unknown-link")]
    assert model.goals[0].notes.endswith("Notes  here.\n")


def test_a_non_number_is_a_warning_for_that_field_not_a_lost_entry(vault: Path) -> None:
    write(vault, "goals/sleep.md", GOOD_GOAL)
    write(vault, "journal/2026-11-20.md", "---\nmood: 🙂\nnights: lots\n---\n")
    model = load(vault)
    assert len(model.entries) == 1
    assert [(c[1], c[2], c[3]) for c in codes(model.problems, "journal/2026-11-20.md")] == [
        (2, 7, "not-a-number"), (3, 9, "not-a-number")]


def test_questionnaire_problems(vault: Path) -> None:
    write(vault, "journal/2026-11-01.md", "---\nphq9: [1, 2, 1, 0, 1, 2, 0, 1]\ngad7: [0, 1, 4, 0, 0, 0, 0]\n---\n")
    write(vault, "journal/2026-11-02.md", "---\nphq9: 28\ngad7: 21\n---\n")
    model = load(vault)
    assert codes(model.problems) == [("journal/2026-11-01.md", 2, 7, "questionnaire-items"),
                                     ("journal/2026-11-01.md", 3, 14, "questionnaire-range"),
                                     ("journal/2026-11-02.md", 2, 7, "questionnaire-range")]
    assert [(q.kind, q.total) for e in model.entries for q in e.questionnaires] == [("gad7", 21)]


def test_unknown_goal_links_and_gas_ratings(vault: Path) -> None:
    write(vault, "goals/sleep.md", GOOD_GOAL)
    write(vault, "journal/2026-11-01.md", "---\ngoals: [sleep, slep]\ngas: {nope: 1, sleep: 3}\n---\n")
    model = load(vault)
    assert codes(model.problems, "journal/2026-11-01.md") == [
        ("journal/2026-11-01.md", 2, 16, "unknown-goal"),
        ("journal/2026-11-01.md", 3, 13, "unknown-goal"),
        ("journal/2026-11-01.md", 3, 23, "gas-level")]
    hints = [problem.hint for problem in model.problems if problem.code == "unknown-goal"]
    assert hints == ["Did you mean `sleep`? A goal's id is its file name without `.md`.",
                     "Use a goal's file name without `.md`, like `sleep-schedule`."]


def test_a_colon_in_a_list_line_stays_text(vault: Path) -> None:
    # YAML reads `- Box breathing: in 4` as a one-key mapping; the person meant the line of text.
    write(vault, "goals/g.md", "---\ntitle: t\nplan:\n  - Box breathing: in 4, hold 4\n  - {step: Walk, due: 2026-11-01}\n"
          "milestones:\n  - Stage one: ride one stop\nsupports: [Jo, 'Dr: Lee']\n---\n")
    goal = load(vault).goals[0]
    assert [step.step for step in goal.plan] == ["Box breathing: in 4, hold 4", "Walk"]
    assert [m.title for m in goal.milestones] == ["Stage one: ride one stop"]
    assert goal.supports == ("Jo", "Dr: Lee")


def test_a_file_that_vanishes_before_it_is_read(vault: Path) -> None:
    from goalsite.config import Settings
    from goalsite.vault import discover, read_source

    write(vault, "journal/2026-11-01.md", ENTRY)
    sources, _ = discover(vault.resolve(), Settings())
    (vault / "journal/2026-11-01.md").unlink()
    data, problem, _source = read_source(sources[0])
    assert data is None and problem is not None
    assert (problem.code, problem.severity.word) == ("unreadable", "warning")


def test_a_file_that_cannot_be_opened_keeps_the_size_and_time_a_look_gives(vault: Path) -> None:
    """A first read opens each file to learn its size and time; one that cannot be opened (here, made a
    link since the scan: links are never followed) gets them from a look at it, as a scan notes them."""
    from goalsite.config import Settings
    from goalsite.vault import UNSEEN, discover, read_source

    write(vault, "journal/2026-11-01.md", ENTRY)
    sources, _ = discover(vault.resolve(), Settings(), sizes=False)
    assert [(source.size, source.mtime_ns) for source in sources] == [(UNSEEN, UNSEEN)]
    data, problem, seen = read_source(sources[0])
    info = (vault / "journal/2026-11-01.md").stat()
    assert data == ENTRY.encode() and problem is None and (seen.size, seen.mtime_ns) == (info.st_size, info.st_mtime_ns)
    (vault / "journal/2026-11-01.md").unlink()
    (vault / "journal/2026-11-01.md").symlink_to(vault / "goals")
    data, problem, seen = read_source(sources[0])
    link = os.lstat(vault / "journal/2026-11-01.md")
    assert data is None and problem is not None and (problem.code, problem.severity.word) == ("unreadable", "error")
    assert (seen.size, seen.mtime_ns) == (link.st_size, link.st_mtime_ns)


def test_a_goal_cannot_take_the_name_of_the_goal_list(vault: Path) -> None:
    write(vault, "goals/index.md", GOOD_GOAL)
    write(vault, "goals/other.md", GOOD_GOAL.replace("title:", "id: Index\ntitle:"))
    model = load(vault)
    assert sorted(goal.id for goal in model.goals) == ["index-goal", "other"]
    assert [c[3] for c in codes(model.problems) if c[3] in ("reserved-id", "bad-id")] == ["reserved-id", "bad-id"]


def test_an_entry_linked_to_goals_is_what_replace_makes(vault: Path) -> None:
    import dataclasses

    write(vault, "journal/2026-11-20.md", "---\nmood: 6\ntags: [calm]\ngoals: [a]\n---\nBody [[b]].\n")
    entry = load(vault).entries[0]
    linked = entry.with_goals(("a", "b"))
    assert linked == dataclasses.replace(entry, goals=("a", "b")) and linked.goals == ("a", "b")
    assert linked is not entry and entry.goals != ("a", "b") and linked.body == entry.body
    assert entry.with_goals(entry.goals) is entry
    with pytest.raises(dataclasses.FrozenInstanceError):
        linked.goals = ()  # type: ignore[misc]


NAME_PIECES = st.sampled_from(["2026-11-21", "notes", "Notes", "-", "LAPTOP", "-PC-2", " (1)", " (2)",
                               " (Anna's conflicted copy)", " (CONFLICTED COPY 2026-11-20)",
                               ".sync-conflict-20261120-101500-ABCDEFG", ".sync-conflict-1",
                               "évening", "DÉJÀ", "_", " ", "(", "x"])


@given(st.lists(NAME_PIECES, min_size=1, max_size=5).map("".join), st.sampled_from([".md", ".markdown", ".txt", ""]))
@example("notes (1)", ".md")
@example("notes-LAPTOP", ".md")
@example("2026-11-21.sync-conflict-20261120-101500-ABCDEFG", ".md")
@example("2026-11-21.sync-conflict-20261120-101500", ".md")
@example("notes (Anna's conflicted copy)", ".md")
@example("Notes (2)", ".md")
@example("2026-11-21", ".md")
def test_the_quick_look_at_a_name_misses_no_conflict_copy(stem: str, extension: str) -> None:
    """Names are looked at quickly before the sync services' patterns are tried: the answer is the patterns'."""
    name = stem + extension
    siblings = frozenset({name, "notes.md", "2026-11-21.md", "Notes.md", "évening.md"})
    expected = None
    for service, pattern, needs_original in vault_module._CONFLICTS:
        match = pattern.fullmatch(name)
        if match and (not needs_original or match.group("base") + match.group("ext") in siblings):
            expected = (service, match.group("base") + match.group("ext"))
            break
    assert vault_module.conflict_original(name, siblings) == expected
