"""Instructions per file for the build's steps, counted by Valgrind (cachegrind): the same code gives
the same count to within a hundredth of a percent, on a loaded machine as on a quiet one, where wall
and CPU times of one build swing by a third. For comparing two versions of goalsite, not Hugo.

    python3 benchmarks/instructions.py                    # 200 of each, from the 1,000-entry vault
    python3 benchmarks/instructions.py --count 500 --steps entry
    PYTHONPATH=/path/to/other/checkout python3 benchmarks/instructions.py     # another version

Steps: `read` (read and parse an entry file, as a reader process does), `markdown` (an entry's body
to safe HTML), `entry` (an entry's whole page: view, Markdown and template; not the write) and
`other` (the other pages in turn: summaries, timelines, goals, months). Each figure is a run that does the
step `count` times less the same run doing it no time, divided by `count`: start-up, imports and
loading the model are left out. Needs `valgrind` (Debian: `apt-get install valgrind`).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from generate_vault import generate  # noqa: E402

TODAY = "2026-11-21"
STEPS = ("read", "markdown", "entry", "other")


def child(site: Path, step: str, count: int) -> None:
    """In the counted process: load the model the build left, then do `step` `count` times."""
    from goalsite import build, markup, state
    from goalsite.load import _read
    from goalsite.pages import entry_page, plan_pages
    from goalsite.render import environment, theme_folders
    from goalsite.views import Site

    summary = state.load_summary(site)
    saved = state.load_model(site, summary) if summary is not None else None
    if saved is None:
        sys.exit(f"no model to load in {site}")
    view = Site(saved.vault, saved.analysis)
    view.markdown_cache = {}
    env = environment(theme_folders(Path(summary.root), saved.reading.settings.theme))
    for name in env.list_templates(extensions=["html"]):
        env.get_template(name)
    shared = view.site_context()
    entries = saved.vault.entries[:count]
    if step == "read":
        sources = [source for rel, source in sorted(saved.reading.sources.items()) if rel.startswith("journal/")]
        for source in sources[:count]:
            _read(source, saved.reading.settings)
    elif step == "markdown":
        for entry in entries:
            markup.render_markdown(entry.body, view.resolve, "../", saved.reading.settings.strict_line_breaks)
    elif step == "entry":
        for index, entry in enumerate(entries):
            build._render_page(env, shared, entry_page(view, entry, index))
    else:  # the plan's pages in turn, from the first again when `count` is more than there are
        planned = plan_pages(view)
        for index in range(count):
            build._render_page(env, shared, planned[index % len(planned)])


def instructions(site: Path, step: str, count: int) -> int:
    """What Valgrind counts for the whole child run (`I refs`)."""
    run = subprocess.run(["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null",
                          sys.executable, __file__, "--child", str(site), step, str(count)],
                         capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": "0"}, check=False)
    found = re.search(r"I\s+refs:\s+([\d,]+)", run.stderr)
    if run.returncode != 0 or found is None:
        sys.exit(f"valgrind failed on {step}:\n{run.stderr[-2000:]}")
    return int(found.group(1).replace(",", ""))


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        child(Path(sys.argv[2]), sys.argv[3], int(sys.argv[4]))
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=1000, help="the generated vault to build")
    parser.add_argument("--count", type=int, default=200, help="how many times each step is done")
    parser.add_argument("--steps", nargs="+", choices=STEPS, default=list(STEPS))
    parser.add_argument("--vaults", type=Path, default=HERE / "vaults", help="where generated vaults are kept")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is not installed (Debian: apt-get install valgrind)")
    vault = args.vaults / str(args.entries)
    if not (vault / "goals").is_dir():
        generate(args.entries, vault)
    work = Path(tempfile.mkdtemp(prefix="goalsite-instructions-"))
    try:
        site = work / "site"
        # From the temporary folder: `-m` would first look for a goalsite folder where it starts, before
        # PYTHONPATH (which is how another version of goalsite is measured: PYTHONPATH=its-checkout).
        subprocess.run([sys.executable, "-m", "goalsite", "build", str(vault), "-o", str(site), "--today", TODAY],
                       check=True, stdout=subprocess.DEVNULL, cwd=work)
        print(f"{'step':<10}{'instructions per file':>24}")
        for step in args.steps:
            base = instructions(site, step, 0)
            print(f"{step:<10}{(instructions(site, step, args.count) - base) / args.count:>24,.0f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
