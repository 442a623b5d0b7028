"""The preview server: the last build's files from memory, on 127.0.0.1, with live reload.

It serves only what the build made (a lookup in that set, never a path on disk,
so neither `..` nor a link can reach anything else), answers only requests
addressed to its own loopback name (DNS rebinding), and checks the Origin of the
reload channel. The reload script exists only in served pages, never in files
on disk. A browser reloads only when the bytes of the page it shows changed.
"""

from __future__ import annotations

import json
import mimetypes
import sys
import threading
import traceback
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

from goalsite.build import BuildResult
from goalsite.errors import Severity, UsageError

RELOAD_PATH = "/__goalsite/reload.js"
EVENTS_PATH = "/__goalsite/events"
HEARTBEAT = 15.0

RELOAD_SCRIPT = """\
(function () {
  "use strict";
  var page = decodeURIComponent(location.pathname.replace(/^\\//, ""));
  if (page === "" || page.slice(-1) === "/") page += "index.html";
  var source = new EventSource("/__goalsite/events");
  function overlay(problems) {
    var box = document.getElementById("goalsite-problems");
    if (!problems.length) { if (box) box.remove(); return; }
    if (!box) {
      box = document.createElement("aside");
      box.id = "goalsite-problems";
      box.setAttribute("role", "alert");
      var s = box.style;
      s.position = "fixed"; s.left = "1rem"; s.right = "1rem"; s.bottom = "1rem"; s.zIndex = "1000";
      s.maxHeight = "40vh"; s.overflow = "auto"; s.padding = "0.75rem 1rem"; s.borderRadius = "0.5rem";
      s.background = "#fdf3df"; s.color = "#1d2529"; s.border = "2px solid #8a5a00"; s.font = "15px/1.5 system-ui";
      document.body.appendChild(box);
    }
    box.replaceChildren();
    var title = document.createElement("strong");
    title.textContent = "goalsite could not use everything you saved; the page shows the last good version.";
    box.appendChild(title);
    var list = document.createElement("ul");
    problems.forEach(function (text) {
      var item = document.createElement("li");
      item.textContent = text;
      list.appendChild(item);
    });
    box.appendChild(list);
  }
  source.onmessage = function (event) {
    var state = JSON.parse(event.data);
    overlay(state.problems);
    var assets = state.changed.some(function (path) { return path === "*" || path.indexOf("assets/") === 0; });
    if (assets || state.changed.indexOf(page) !== -1) location.reload();
  };
}());
"""


class LiveState:
    """What the server shows: the last good files, the paths the last build changed, and what went wrong."""

    KEEP = 64  # builds remembered, so a slow browser still learns everything that changed

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.version = 0
        self.history: list[tuple[int, tuple[str, ...]]] = []  # (version, paths that build changed)
        self.problems: tuple[str, ...] = ()
        self.closing = False
        self.condition = threading.Condition()

    def built(self, result: BuildResult, files: dict[str, bytes]) -> None:
        problems = tuple(f"{p.location}: {p.message}" for p in result.vault.problems if p.severity == Severity.ERROR)
        self._publish(files, self._differ(files, result.report.written + result.report.removed), problems)

    def first_look(self, pages: dict[str, bytes]) -> None:
        """Some pages of a rebuild still under way (the changed entries' own), shown at once."""
        changed = self._differ(pages, tuple(pages))
        if changed:
            self._publish({**self.files, **pages}, changed, self.problems)

    def _differ(self, files: dict[str, bytes], paths: tuple[str, ...]) -> tuple[str, ...]:
        """Those of `paths` whose bytes are not the ones served now: a page shown early is not reloaded again."""
        return tuple(path for path in paths if files.get(path) != self.files.get(path))

    def failed(self, error: Exception) -> None:
        self._publish(self.files, (), (f"The last change could not be built: {error}",))

    def _publish(self, files: dict[str, bytes], changed: tuple[str, ...], problems: tuple[str, ...]) -> None:
        with self.condition:
            self.files = files
            self.version += 1
            self.history = [*self.history[-(self.KEEP - 1):], (self.version, changed)]
            self.problems = problems
            self.condition.notify_all()

    def close(self) -> None:
        with self.condition:
            self.closing = True
            self.condition.notify_all()

    def message_since(self, seen: int | None) -> bytes:
        """What changed after build `seen` (None: a browser just connected; its page is fresh)."""
        if seen is None:
            changed: list[str] = []
        elif self.history and self.history[0][0] > seen + 1:
            changed = ["*"]  # more builds than remembered: reload to be sure
        else:
            changed = sorted({path for version, paths in self.history if version > seen for path in paths})
        data = {"version": self.version, "changed": changed, "problems": list(self.problems)}
        return f"data: {json.dumps(data)}\n\n".encode()


class PreviewServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64  # the standard 5 drops connections a page opens at once (each then waits a second)

    def __init__(self, port: int, state: LiveState, say: Callable[[str], None] | None = None,
                 debug: bool = False) -> None:
        self.state = state
        self.say = say or (lambda text: print(text, file=sys.stderr))
        self.debug = debug
        try:
            super().__init__(("127.0.0.1", port), _Handler)
        except OSError as error:
            raise UsageError(f"Port {port} on 127.0.0.1 cannot be used ({error.strerror}); "
                             "try another with --port.") from error
        self.port = self.server_address[1]
        self.hosts = {f"127.0.0.1:{self.port}", f"localhost:{self.port}"}
        self.origins = {f"http://{host}" for host in self.hosts}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A browser that goes away mid-answer (a tab closed, a link followed before the page came) is
        nothing to report; anything else is one line, with the details only under --debug (the
        standard server prints a traceback for both)."""
        error = sys.exc_info()[1]
        if isinstance(error, (ConnectionError, TimeoutError)):
            return
        if self.debug:
            traceback.print_exc()
        self.say(f"goalsite: the preview could not answer one request ({type(error).__name__}: {error}); "
                 "it goes on serving. Run again with --debug to see the details.")


def site_path(raw: str) -> str | None:
    """The site path a request asks for, or None for anything that tries to leave the site."""
    path = raw.split("?", 1)[0].split("#", 1)[0]
    lowered = path.lower()
    if not path.startswith("/") or "\\" in path or "//" in path or "\x00" in path \
            or any(code in lowered for code in ("%2e", "%2f", "%5c", "%00")):
        return None
    path = unquote(path)
    if any(part in (".", "..") for part in path.split("/")) or "\\" in path:
        return None
    rel = path[1:]
    if rel == "" or rel.endswith("/"):
        rel += "index.html"
    return rel


class _Handler(BaseHTTPRequestHandler):
    server: PreviewServer
    protocol_version = "HTTP/1.1"
    server_version = "goalsite"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _refuse(self, status: HTTPStatus, text: str) -> None:
        body = (text + "\n").encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        if self.headers.get("Host", "") not in self.server.hosts:
            self._refuse(HTTPStatus.FORBIDDEN, "This preview answers only at its own address on this computer.")
            return
        raw = self.path
        if raw.split("?", 1)[0] == EVENTS_PATH:
            self._events()
            return
        if raw.split("?", 1)[0] == RELOAD_PATH:
            self._send(RELOAD_SCRIPT.encode(), "text/javascript; charset=utf-8")
            return
        rel = site_path(raw)
        data = self.server.state.files.get(rel) if rel is not None else None
        if rel is None or data is None:
            self._refuse(HTTPStatus.NOT_FOUND, "Not found.")
            return
        kind = mimetypes.guess_type(rel)[0] or "application/octet-stream"
        if kind == "text/html":
            data = inject_reload(data)
        if kind.startswith("text/") or kind in ("application/javascript", "application/json"):
            kind += "; charset=utf-8"
        self._send(data, kind)

    def _send(self, data: bytes, kind: str) -> None:
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _events(self) -> None:
        origin = self.headers.get("Origin")
        if origin is not None and origin not in self.server.origins:
            self._refuse(HTTPStatus.FORBIDDEN, "The reload channel answers only pages of this preview.")
            return
        state = self.server.state
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Connection", "keep-alive")
        self.end_headers()
        seen: int | None = None
        try:
            while True:
                with state.condition:
                    if seen == state.version and not state.closing:
                        state.condition.wait(timeout=HEARTBEAT)
                    if state.closing:
                        return
                    if seen == state.version:
                        message = b": still here\n\n"
                    else:
                        message = state.message_since(seen)
                        seen = state.version
                self.wfile.write(message)
                self.wfile.flush()
        except (TimeoutError, BrokenPipeError, ConnectionResetError, OSError):
            return


def inject_reload(html: bytes) -> bytes:
    """The reload script, in served pages only, and a CSP that lets it connect to this server alone."""
    text = html.decode("utf-8", "surrogateescape")  # a theme's own page in another encoding keeps its bytes
    for quote in ("'", "&#39;"):  # the page's CSP attribute may spell its quotes either way
        text = text.replace(f"connect-src {quote}none{quote}", f"connect-src {quote}self{quote}", 1)
    tag = f'<script src="{RELOAD_PATH}" defer></script>\n'
    head = text.find("</head>")
    text = text[:head] + tag + text[head:] if head != -1 else text + tag
    return text.encode("utf-8", "surrogateescape")
