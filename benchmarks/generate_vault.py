"""A deterministic, realistic vault of N journal entries and 30 goals, for benchmarks.

    python3 benchmarks/generate_vault.py 10000 benchmarks/vaults/10000

The same N always gives the same bytes. Entries use the whole format: metrics
(weekly, decreasing, nested, inline and Tracker-style), mood, questionnaires,
GAS ratings, session notes, [[links]], #tags, task lists, wins and setbacks;
bodies are 150–400 words.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
from pathlib import Path

GOALS = 30
START = dt.date(2016, 1, 4)
WORDS = (  # noqa: SIM905 - prose reads better than a list of words
    "today felt slow and then better after lunch I noticed the old worry about work again but named it and let it "
    "pass the walk by the river helped more than I expected and I slept a little earlier than last week my sister "
    "called and we talked about mum which was hard but kind I practised the breathing before the meeting and my "
    "voice shook less than usual the train was crowded so I stood near the window and counted the stations I want "
    "to remember that small steps still count even when the week feels heavy tomorrow I will try the new routine "
    "again and write down what happens"
).split()


def goal_text(number: int, rng: random.Random) -> str:
    field = f"metric_{number}"
    kind = number % 5
    lines = [
        "---",
        f"title: Goal number {number}, practised in small weekly steps",
        f"status: {'active' if number < 3 else rng.choice(['paused', 'achieved', 'active', 'dropped'])}",
        f"area: {rng.choice(['sleep', 'anxiety', 'relationships', 'health', 'emotions'])}",
        f"focus: {'true' if number == 0 else 'false'}",
        f"created: {START.isoformat()}",
        f"specific: Practise step {number} for twenty minutes on three weekday evenings each week.",
    ]
    if kind == 4:
        lines += ["gas:", "  weight: 2", "  levels: {-2: none, -1: some, 0: expected, 1: more, 2: much more}"]
    else:
        baseline, target = (8, 2) if kind == 1 else (1, 5)
        per = {0: "week", 1: "week", 2: "month", 3: ""}[kind]
        lines += ["measurable:", f"  field: {field}", "  unit: times", f"  baseline: {baseline}",
                  f"  target: {target}"] + ([f"  per: {per}"] if per else [])
        if kind == 2:
            lines.append("  aggregate: mean")
    lines += [
        "achievable: I already manage it on good weeks and my therapist helps me plan.",
        "relevant: It matters for my health and my relationships.",
        "values: [health, calm]",
        f"start: {START.isoformat()}",
        f"due: {(START + dt.timedelta(days=4000 + number * 30)).isoformat()}",
        "review_every: 4 weeks",
        "milestones:",
    ]
    for step in range(3):
        due = START + dt.timedelta(days=300 * (step + 1))
        done = f", done: {(due - dt.timedelta(days=3)).isoformat()}" if step < 2 else ""
        lines.append(f"  - {{title: Milestone {step + 1} of goal {number}, due: {due.isoformat()}{done}}}")
    lines += ["plan:", "  - Put it in the calendar.", "obstacles:", "  - {obstacle: Busy weeks, plan: Do five minutes}",
              "supports: [partner, therapist]", "---", f"Notes about goal {number}.", ""]
    return "\n".join(lines)


def entry_text(index: int, day: dt.date, rng: random.Random) -> str:
    goal = rng.randrange(GOALS)
    other = (goal + 1 + rng.randrange(GOALS - 1)) % GOALS
    front = [
        "---",
        f"date: {day.isoformat()}",
        f'time: "{8 + index % 3 * 6:02d}:{rng.randrange(60):02d}"',
        f"mood: {rng.randint(2, 9)}",
        f"goals: [goal-{goal}]",
        f"tags: [{rng.choice(['work', 'family', 'sleep', 'health'])}, trigger/{rng.choice(['crowds', 'noise'])}]",
        f"metric_{goal}: {rng.randint(0, 9)}",
        f"metric_{other}: {rng.randint(0, 9)}",
        f"bp: {{systolic: {rng.randint(105, 140)}, diastolic: {rng.randint(65, 90)}}}",
        f"coping: [{rng.choice(['box breathing', 'walk', 'music'])}]",
    ]
    if rng.random() < 0.1:
        front.append("win: Did the thing I was dreading.")
    if rng.random() < 0.05:
        front.append("setback: A hard evening.")
    if index % 14 == 0:
        front.append("session: true")
        front.append(f"gas: {{goal-{rng.randrange(GOALS) // 5 * 5 + 4}: {rng.randint(-2, 2)}}}")
    if index % 28 == 0:
        front.append("phq9: [" + ", ".join(str(rng.randint(0, 3)) for _ in range(9)) + "]")
        front.append(f"gad7: {rng.randint(0, 21)}")
    front.append("---")
    words = [rng.choice(WORDS) for _ in range(rng.randint(150, 400))]
    paragraphs = [" ".join(words[i:i + 60]) for i in range(0, len(words), 60)]
    body = [
        f"# Entry {index}",
        "",
        paragraphs[0] + f" [[goal-{goal}|my goal]] #mood/ok",
        "",
        *[p + "\n" for p in paragraphs[1:]],
        f"energy:: {rng.randint(1, 10)}",
        f"#steps:{rng.randint(2000, 12000)}",
        "- [x] breathing",
        "- [ ] call a friend",
        f"See [[{(day - dt.timedelta(days=1)).isoformat()}]].",
        "",
    ]
    return "\n".join(front) + "\n" + "\n".join(body)


def generate(entries: int, folder: Path) -> Path:
    rng = random.Random(entries)
    (folder / "goals").mkdir(parents=True, exist_ok=True)
    (folder / "goalsite.yaml").write_text("title: Benchmark vault\nmax_active_goals: 30\n", encoding="utf-8")
    for number in range(GOALS):
        (folder / "goals" / f"goal-{number}.md").write_text(goal_text(number, rng), encoding="utf-8")
    per_day = max(1, entries // 3650)  # about ten years of entries, several a day for big vaults
    for index in range(entries):
        day = START + dt.timedelta(days=index // per_day)
        suffix = f"-{index % per_day + 1}" if index % per_day else ""
        path = folder / "journal" / f"{day.year}" / f"{day.isoformat()}{suffix}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(entry_text(index, day, rng), encoding="utf-8")
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("entries", type=int)
    parser.add_argument("folder", type=Path)
    args = parser.parse_args()
    generate(args.entries, args.folder)


if __name__ == "__main__":
    main()
