"""Save-to-updated-page latency of `goalsite serve`: a file written → the served page's new bytes.

    python3 benchmarks/live.py --entries 1000 10000 --edits 20

A copy of a generated vault is served; each edit appends a unique word to one
entry, and the entry's page (found before the edit) is fetched every 2 ms until
the word is there. Edits are `--pause` seconds apart (1 s: a person reading
what they just wrote; a shorter pause lands the next save while the rest of the
site is still being rebuilt). Start-up (the first full build until the server
answers), the server's resident memory after the edits and at its largest (Linux's /proc), and the
time from Ctrl-C (SIGINT) to the process's exit are reported too.
"""

from __future__ import annotations

import argparse
import http.client
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bytecode import compile_goalsite  # noqa: E402
from generate_vault import generate  # noqa: E402

TODAY = "2026-11-21"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def fetch(port: int, path: str) -> bytes | None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", "/" + path, headers={"Host": f"127.0.0.1:{port}"})
        response = connection.getresponse()
        body = response.read()
        return body if response.status == 200 else None
    except OSError:
        return None
    finally:
        connection.close()


def wait_for(port: int, paths: list[str], token: bytes, limit: float = 120) -> float:
    started = time.perf_counter()
    while time.perf_counter() - started < limit:
        for path in paths:
            body = fetch(port, path)
            if body is not None and token in body:
                return time.perf_counter()
        time.sleep(0.002)
    raise SystemExit(f"the page never showed the edit within {limit} s")


def resident(pid: int) -> tuple[int, int]:
    """A process's resident memory now and at its largest, in MiB (0, 0 where /proc has no status)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            kib = {line.split(":")[0]: int(line.split()[1]) for line in status if line.startswith(("VmRSS", "VmHWM"))}
    except OSError:
        return 0, 0
    return kib.get("VmRSS", 0) // 1024, kib.get("VmHWM", 0) // 1024


def entry_page(port: int, vault: Path, path: Path) -> str:
    """The served page of one entry: the day's first page, or -2, -3 … up to the day's last (each names
    its file). A 50,000-entry vault has a dozen entries a day."""
    day, rel = path.stem[:10], path.relative_to(vault).as_posix()
    page, number = f"journal/{day}.html", 1
    while (body := fetch(port, page)) is not None:
        if f"<code>{rel}</code>".encode() in body:
            return page
        number += 1
        page = f"journal/{day}-{number}.html"
    raise SystemExit(f"no served page shows {rel}")


def measure(entries: int, edits: int, vaults: Path, pause: float = 1.0) -> dict[str, float]:
    source = vaults / str(entries)
    if not (source / "goals").is_dir():
        generate(entries, source)
    work = Path(tempfile.mkdtemp(prefix="goalsite-live-"))
    vault = work / "vault"
    shutil.copytree(source, vault)
    port = free_port()
    goalsite = shutil.which("goalsite", path=str(Path(sys.executable).parent)) or "goalsite"
    started = time.perf_counter()
    server = subprocess.Popen([goalsite, "serve", str(vault), "-o", str(work / "site"), "--port", str(port),
                               "--today", TODAY], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while fetch(port, "index.html") is None:
            if server.poll() is not None:
                raise SystemExit("goalsite serve stopped")
            time.sleep(0.05)
        start_up = time.perf_counter() - started
        files = sorted((vault / "journal").rglob("*.md"))
        chosen = [files[len(files) * (n + 1) // (edits + 1)] for n in range(edits)]
        times = []
        for number, path in enumerate(chosen):
            token = f"edit{number}x{os.getpid()}".encode()
            page = entry_page(port, vault, path)
            time.sleep(pause)
            written = time.perf_counter()
            with open(path, "ab") as handle:
                handle.write(b"\n" + token + b"\n")
            times.append(wait_for(port, [page], token) - written)
        memory = resident(server.pid)
        interrupted = time.perf_counter()
        server.send_signal(signal.SIGINT)  # what Ctrl-C sends
        server.wait(timeout=30)
        stop = time.perf_counter() - interrupted
    finally:
        if server.poll() is None:
            server.kill()
        shutil.rmtree(work, ignore_errors=True)
    return {"start": start_up, "stop": stop, "rss": memory[0], "hwm": memory[1], **summarise(times)}


def summarise(times: list[float]) -> dict[str, float]:
    """Median, 95th percentile (nearest rank) and maximum of some latencies."""
    ordered = sorted(times)
    return {"median": statistics.median(ordered), "p95": ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))],
            "max": ordered[-1]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, nargs="+", default=[1000, 10_000])
    parser.add_argument("--edits", type=int, default=20)
    parser.add_argument("--vaults", type=Path, default=HERE / "vaults")
    parser.add_argument("--pause", type=float, default=1.0, help="seconds from one edit showing to the next save")
    args = parser.parse_args()
    compile_goalsite()
    print(f"{'entries':>8}{'start s':>10}{'median ms':>11}{'p95 ms':>9}{'max ms':>9}"
          f"{'memory MiB':>12}{'peak MiB':>10}{'Ctrl-C s':>10}")
    for entries in args.entries:
        result = measure(entries, args.edits, args.vaults, args.pause)
        print(f"{entries:>8}{result['start']:>10.1f}{result['median'] * 1000:>11.0f}"
              f"{result['p95'] * 1000:>9.0f}{result['max'] * 1000:>9.0f}{result['rss']:>12.0f}{result['hwm']:>10.0f}"
              f"{result['stop']:>10.2f}")


if __name__ == "__main__":
    main()
