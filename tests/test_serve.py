"""The preview server over real sockets: who it answers, what it serves, and live reload with its overlay."""

from __future__ import annotations

import datetime as dt
import http.client
import json
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, sync_playwright

from conftest import as_in_a_terminal, write
from goalsite.build import Builder
from goalsite.serve import LiveState, PreviewServer, site_path
from goalsite.watch import Watcher

TODAY = dt.date(2026, 11, 21)
ENTRY = "---\nmood: 6\n---\n{text}\n"


class Running:
    def __init__(self, vault: Path, out: Path) -> None:
        self.builder = Builder(vault, out, TODAY, live=True)
        self.state = LiveState()
        self.server = PreviewServer(0, self.state)
        self.watcher = Watcher(self.builder, False, lambda r: self.state.built(r, self.builder.site()),
                               self.state.failed, on_first_look=self.state.first_look)
        self.watcher.start()
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        self.thread.start()
        self.port = self.server.port

    def get(self, path: str, host: str | None = None, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        """A raw request: the path is sent exactly as given."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as sock:
            host = f'127.0.0.1:{self.port}' if host is None else host
            lines = [f"GET {path} HTTP/1.1", f"Host: {host}", "Connection: close"]
            lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
            sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
            data = b""
            while chunk := sock.recv(65536):
                data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        return int(head.split()[1]), body

    def stop(self) -> None:
        self.watcher.stop()
        self.state.close()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def running(tmp_path: Path) -> Iterator[Running]:
    vault = tmp_path / "vault"
    for day in range(1, 4):
        write(vault, f"journal/2026-11-0{day}.md", ENTRY.format(text=f"Day {day}."))
    server = Running(vault, tmp_path / "site")
    yield server
    server.stop()


def test_serves_the_built_pages_with_the_reload_script(running: Running) -> None:
    status, body = running.get("/")
    assert status == 200 and b'<script src="/__goalsite/reload.js" defer></script>' in body
    assert b"connect-src &#39;self&#39;" in body and b"connect-src &#39;none&#39;" not in body
    status, body = running.get("/journal/2026-11-02.html")
    assert status == 200 and b"Day 2." in body
    on_disk = (running.builder.out / "journal/2026-11-02.html").read_bytes()
    assert b"reload.js" not in on_disk and b"connect-src &#39;none&#39;" in on_disk  # the build output stays clean
    assert running.get("/__goalsite/reload.js")[0] == 200


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8000", "127.0.0.1", "localhost", "0.0.0.0:1", ""])
def test_foreign_hosts_are_refused(running: Running, host: str) -> None:
    assert running.get("/", host=host)[0] == 403
    assert running.get("/", host=f"localhost:{running.port}")[0] == 200


@pytest.mark.parametrize("path", [
    "/../../../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/%2E%2E/index.html", "//etc/passwd",
    "/..%2f..%2fetc/passwd", "/journal/..\\..\\index.html", "/journal/%5c..%5cindex.html", "/index.html%00.png",
    "/./index.html", "/journal/../index.html", "/.goalsite-output", "/%2fetc/passwd", "etc/passwd",
])
def test_traversal_vectors_find_nothing(running: Running, path: str) -> None:
    status, body = running.get(path)
    assert status == 404 and b"root:" not in body
    assert site_path(path) is None or site_path(path) not in running.builder.files


def test_only_files_the_build_made_are_served(running: Running) -> None:
    out = running.builder.out
    os.symlink("/etc/hostname", out / "linked.html")
    (out / "journal" / "mine.html").write_text("put there by hand")
    assert running.get("/linked.html")[0] == 404
    assert running.get("/journal/mine.html")[0] == 404
    assert running.get("/journal/2026-11-01.html")[0] == 200


def events(running: Running, origin: str | None = None) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", running.port, timeout=10)
    headers = {"Host": f"127.0.0.1:{running.port}"}
    if origin:
        headers["Origin"] = origin
    connection.request("GET", "/__goalsite/events", headers=headers)
    return connection.getresponse()


def next_message(response: http.client.HTTPResponse,
                 wanted: Callable[[dict[str, object]], bool] = lambda message: True) -> dict[str, object]:
    """The next message (that is `wanted`: earlier ones may still be about the last change)."""
    while True:
        line = response.fp.readline().decode()
        if line.startswith("data: "):
            message: dict[str, object] = json.loads(line[6:])
            if wanted(message):
                return message


def test_the_reload_channel_checks_the_origin(running: Running) -> None:
    assert events(running, "http://evil.example").status == 403
    assert events(running, f"http://localhost:{running.port}.evil.example").status == 403
    response = events(running, f"http://127.0.0.1:{running.port}")
    assert response.status == 200 and response.getheader("Content-Type") == "text/event-stream"


def test_reload_after_a_change_and_the_overlay_on_error(running: Running) -> None:
    response = events(running)
    first = next_message(response)
    assert first["changed"] == [] and first["problems"] == []  # a fresh page is never reloaded
    target = running.builder.root / "journal/2026-11-02.md"
    target.write_text(ENTRY.format(text="Changed."))
    message = next_message(response)  # the entry's own page comes first, then what lists it
    assert "journal/2026-11-02.html" in message["changed"]  # type: ignore[operator]
    assert "journal/2026-11-01.html" not in message["changed"]  # type: ignore[operator]
    assert running.get("/journal/2026-11-02.html")[1].count(b"Changed.") == 1

    target.write_text("---\nmood: [6\n---\nBroken.\n")
    message = next_message(response, lambda m: bool(m["problems"]))
    assert any("journal/2026-11-02.md:2:7" in text for text in message["problems"])  # type: ignore[union-attr]
    target.write_text(ENTRY.format(text="Fixed."))
    message = next_message(response)  # messages come in order: this one is about the fix
    assert message["problems"] == []


def test_an_entry_page_shown_first_is_not_reloaded_again(tmp_path: Path) -> None:
    vault = tmp_path / "vault"
    for day in range(1, 4):
        write(vault, f"journal/2026-11-0{day}.md", ENTRY.format(text=f"Day {day}."))
    builder = Builder(vault, tmp_path / "site", TODAY, live=True)
    state = LiveState()
    state.built(builder.build(), builder.site())
    path = write(vault, "journal/2026-11-02.md", ENTRY.format(text="Changed."))
    result = builder.build([path], state.first_look)
    assert state.history[-1] == (2, ("journal/2026-11-02.html",))
    assert b"Changed." in state.files["journal/2026-11-02.html"]
    state.built(result, builder.site())
    assert "journal/2026-11-02.html" in result.report.written
    version, changed = state.history[-1]
    assert version == 3 and "journal/index.html" in changed and "journal/2026-11-02.html" not in changed
    assert "journal/2026-11-01.html" not in changed


def shows(page: Page, text: str, seconds: float = 10) -> None:
    """Poll from outside: the pages' CSP rightly forbids the eval that wait_for_function needs."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if text in (page.text_content("body") or ""):
                return
        except PlaywrightError:  # the page is reloading
            pass
        time.sleep(0.05)
    raise AssertionError(f"the page never showed {text!r}")


def test_a_browser_sees_the_page_update_after_an_edit(running: Running) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                             args=["--no-sandbox", "--disable-background-networking"])
        page = browser.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(f"http://127.0.0.1:{running.port}/journal/2026-11-03.html")
        assert "Day 3." in page.content()
        time.sleep(0.3)  # the reload channel connects
        (running.builder.root / "journal/2026-11-03.md").write_text(ENTRY.format(text="Seen live."))
        shows(page, "Seen live.")
        (running.builder.root / "journal/2026-11-03.md").write_text("---\nmood: [6\n---\n")
        page.wait_for_selector("#goalsite-problems", timeout=10_000)
        assert "2026-11-03.md" in (page.text_content("#goalsite-problems") or "")
        (running.builder.root / "journal/2026-11-03.md").write_text(ENTRY.format(text="Back again."))
        shows(page, "Back again.")
        assert page.query_selector("#goalsite-problems") is None
        browser.close()
    assert errors == []


def _serve_command(vault: Path, out: Path) -> tuple[subprocess.Popen[str], int]:
    """The real `goalsite serve` on a free port, once it says where it serves."""
    process = subprocess.Popen([sys.executable, "-m", "goalsite", "serve", str(vault), "-o", str(out),
                                "--port", "0", "--today", "2026-11-21"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=as_in_a_terminal)
    assert process.stdout is not None
    found = None
    while found is None:
        line = process.stdout.readline()
        if not line:
            process.kill()
            raise AssertionError("the server stopped before it said where it serves")
        found = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
    return process, int(found.group(1))


def test_the_serve_command_says_nothing_when_browsers_go_away_mid_answer(tmp_path: Path) -> None:
    """A browser that closes a connection while a page is on its way (a tab closed, a link followed
    before the page came) is ordinary: the real `goalsite serve` prints no traceback for it, and serves on."""
    vault = tmp_path / "vault"
    for day in range(1, 4):
        write(vault, f"journal/2026-11-0{day}.md", ENTRY.format(text=f"Day {day}. " + "words " * 3000))
    process, port = _serve_command(vault, tmp_path / "site")
    try:
        request = f"GET /journal/2026-11-02.html HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()
        for _ in range(100):
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # closed with a reset
            sock.sendall(request)
            sock.close()
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.sendall(request.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n"))
            answer = b""
            while chunk := sock.recv(65536):
                answer += chunk
        assert answer.startswith(b"HTTP/1.1 200 OK") and b"Day 2." in answer
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=20)
    assert process.returncode == 0, err
    assert "Stopped." in out
    assert err == ""


def test_serve_stopped_by_sigterm_closes_the_server_and_says_so(tmp_path: Path) -> None:
    """A `kill` or a service manager's stop is taken as Ctrl-C: the server is closed, "Stopped." is said,
    and the exit is 0 (before, SIGTERM ended the process mid-sentence: exit -15, nothing said)."""
    vault = tmp_path / "vault"
    write(vault, "journal/2026-11-01.md", ENTRY.format(text="Day 1."))
    process, port = _serve_command(vault, tmp_path / "site")
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            pass  # serving
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=20)
    assert (process.returncode, out.splitlines()[-1:], err) == (0, ["Stopped."], "")
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=5)


def test_a_theme_page_in_another_encoding_is_served_with_its_own_bytes(tmp_path: Path) -> None:
    vault = tmp_path / "vault"
    write(vault, "journal/2026-11-01.md", ENTRY.format(text="Day 1."))
    (vault / "theme" / "static").mkdir(parents=True)
    (vault / "theme" / "static" / "old.html").write_bytes(b"<html><head></head><body>caf\xe9 \x80</body></html>")
    server = Running(vault, tmp_path / "site")
    try:
        status, body = server.get("/assets/old.html")
    finally:
        server.stop()
    assert status == 200
    assert body == (b'<html><head><script src="/__goalsite/reload.js" defer></script>\n</head>'
                    b"<body>caf\xe9 \x80</body></html>")


def test_an_unexpected_error_in_one_answer_is_one_line(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    said: list[str] = []
    server = PreviewServer(0, LiveState(), said.append)
    try:
        try:
            raise ValueError("an odd request")
        except ValueError:
            server.handle_error(None, ("127.0.0.1", 1))
        try:
            raise ConnectionResetError(104, "Connection reset by peer")
        except ConnectionResetError:
            server.handle_error(None, ("127.0.0.1", 1))  # a browser that went away: nothing to say
    finally:
        server.server_close()
    assert said == ["goalsite: the preview could not answer one request (ValueError: an odd request); it goes on "
                    "serving. Run again with --debug to see the details."]
    assert capfd.readouterr() == ("", "")
