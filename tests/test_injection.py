"""Hostile text in every field and body: the built site runs no script but ours, and every data file parses."""

from __future__ import annotations

import json
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import sync_playwright

from conftest import write

EVIL = [
    "<script>alert(1)</script>",
    "</script><script>alert(2)</script>",
    "\"><img src=x onerror=alert(3)>",
    "<svg onload=alert(4)>",
    "javascript:alert(5)",
    "jAvAsCrIpT:alert(6)",
    "' onmouseover='alert(7)",
    "{{ 7*7 }} {% raw %}",
    "line\u2028separator\u2029paragraph",
    "NaN",
    "</title></style></textarea><script>alert(8)</script>",
    "Tom & Jerry &amp; &lt;",
]
E = " ".join(EVIL)
Q = json.dumps(E)  # as a YAML double-quoted string


def hostile_vault(root: Path) -> None:
    write(root, "goalsite.yaml", f"title: {Q}\nowner: {Q}\ncrisis: [{Q}]\n")
    write(root, "goals/<img src=x onerror=alert(9)>.md", f"""---
title: {Q}
area: {Q}
specific: {Q}
measurable: {{field: "x", unit: {Q}, baseline: 0, target: 10, per: week}}
achievable: {Q}
relevant: {Q}
values: [{Q}]
constraints: [{Q}]
start: 2026-10-01
due: 2026-12-31
review_every: 1 week
reviews: [{{date: 2026-10-05, note: {Q}}}]
milestones: [{{title: {Q}, due: 2026-11-01, done: 2026-10-20}}, {{title: {Q}, due: 2026-11-10}}]
plan: [{Q}, {{step: {Q}, due: 2026-11-01}}]
obstacles: [{{obstacle: {Q}, plan: {Q}}}]
supports: [{Q}]
gas: {{levels: {{-1: {Q}, 0: {Q}, 1: {Q}}}}}
revisions: [{{date: 2026-10-10, change: {Q}, why: {Q}}}]
mystery: {Q}
---
# {E}
[click](javascript:alert(10)) [click](jAvAsCrIpT:alert(11)) [data](data:text/html,<script>alert(12)</script>)
<a href="javascript:alert(13)">raw</a> <img src=x onerror=alert(14)> <svg onload=alert(15)></svg>
<iframe src="https://example.org"></iframe> <object data="x"></object> <form action="https://x"><input></form>
<base href="https://evil.example/"> <style>body{{display:none}}</style> <div style="display:none">x</div>

![tracker](https://evil.example/pixel.png) [ok](https://example.org) [[{E}]] [[x|{E}]]
""")
    for day in range(1, 4):
        write(root, f"journal/2026-11-0{day}.md", f"""---
title: {Q}
mood: {'NaN' if day == 1 else day + 4}
x: {day}
goals: ["<img src=x onerror=alert(9)>", {Q}]
tags: [{Q}, "a<b>c"]
coping: [{Q}]
win: {Q}
setback: {Q}
session: true
gas: {{"<img src=x onerror=alert(9)>": 1, {Q}: 0}}
phq9: [1, 1, 1, 1, 1, 1, 1, 1, {day - 1}]
{Q}: 5
---
{E}
<script>alert(16)</script>
[[<img src=x onerror=alert(9)>|{E}]] #{EVIL[0][1:7]} `{E}`
score:: {E}
""")


class Audit(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.scripts: list[str | None] = []
        self.handlers: list[str] = []
        self.urls: list[str] = []
        self.tags: set[str] = set()
        self.inline_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        values = dict(attrs)
        if tag == "script":
            self.scripts.append(values.get("src"))
            self.inline_script = True
        for name, value in attrs:
            if name.lower().startswith("on"):
                self.handlers.append(f"{tag} {name}={value}")
            if name in ("href", "src", "action", "data", "formaction", "xlink:href") and value is not None:
                self.urls.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self.inline_script = False

    def handle_data(self, data: str) -> None:
        if self.inline_script and data.strip():
            self.scripts.append("INLINE: " + data[:60])


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("hostile")
    hostile_vault(base / "vault")
    out = base / "site"
    result = subprocess.run([sys.executable, "-m", "goalsite", "build", str(base / "vault"), "-o", str(out),
                             "--today", "2026-11-21"], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return out


def test_no_script_but_ours_no_handlers_no_foreign_schemes(hostile_site: Path) -> None:
    pages = sorted(hostile_site.rglob("*.html"))
    assert len(pages) == 16  # 9 fixed pages, the goal and its timeline, 1 year, 1 month, 3 entries
    for page in pages:
        audit = Audit()
        audit.feed(page.read_text(encoding="utf-8"))
        root = "../" * (len(page.relative_to(hostile_site).parts) - 1)
        allowed = {root + "assets/goalsite.js", root + "data/search-goals.js", root + "data/search-2026.js"}
        assert set(audit.scripts) <= allowed, (page, audit.scripts)
        assert audit.handlers == [], (page, audit.handlers)
        forbidden = {"iframe", "object", "embed", "base", "form", "style", "img", "foreignobject"}
        if page.name == "search.html":
            forbidden.discard("form")  # our own search box: no action, and the CSP forbids sending it anywhere
        assert not audit.tags & forbidden, page
        for url in audit.urls:
            scheme = urlsplit(url).scheme
            assert scheme in ("", "https") or url == "data:,", (page, url)
            assert not url.lower().lstrip().startswith(("javascript", "data:text", "vbscript")), (page, url)
        # Neither the <base> nor the tracking pixel survives as an address (as words they may).
        assert not [url for url in audit.urls if "evil.example" in url], page


def test_the_data_files_parse(hostile_site: Path) -> None:
    def no_nan(value: str) -> None:
        raise AssertionError(f"JSON has {value}")

    goals = json.loads((hostile_site / "data" / "goals.json").read_text(encoding="utf-8"), parse_constant=no_nan)
    assert goals["goals"][0]["title"] == E
    prefix, suffix = "(window.goalsiteSearchIndex = window.goalsiteSearchIndex || []).push(...", ");\n"
    records = []
    for name in ("search-goals.js", "search-2026.js"):
        index = (hostile_site / "data" / name).read_text(encoding="ascii")
        assert index.startswith(prefix) and index.endswith(suffix)
        assert not {"<", ">", "&", "\u2028"} & set(index)
        records += json.loads(index[len(prefix):-len(suffix)], parse_constant=no_nan)
    assert any("<script>alert(1)</script>" in record["t"] for record in records)
    calendar = (hostile_site / "calendar.ics").read_bytes()
    assert calendar.startswith(b"BEGIN:VCALENDAR\r\n") and calendar.endswith(b"END:VCALENDAR\r\n")
    assert all(len(line) <= 75 for line in calendar.split(b"\r\n"))
    csv = (hostile_site / "data" / "measurements.csv").read_text(encoding="utf-8")
    assert csv.splitlines()[0] == "goal,field,date,value,unit,file,line"


def test_the_user_text_shows_as_text(hostile_site: Path) -> None:
    index = (hostile_site / "index.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in index
    assert "{{ 7*7 }} {% raw %}" in index  # user text is never run as a template
    goal = (hostile_site / "goals" / "<img src=x onerror=alert(9)>.html").read_text(encoding="utf-8")
    assert '<span class="image-alt">[picture: tracker]</span>' in goal
    assert '<a href="https://example.org" rel="noopener noreferrer">ok</a>' in goal
    goal_pages = [p for p in (hostile_site / "goals").glob("*.html") if p.name != "index.html"]
    assert [p.name for p in goal_pages] == ["<img src=x onerror=alert(9)>.html"]


def test_a_browser_runs_nothing_hostile(hostile_site: Path) -> None:
    dialogs: list[str] = []
    errors: list[str] = []
    outside: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                             args=["--no-sandbox", "--disable-background-networking"])
        page = browser.new_page()
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        page.on("request", lambda request: outside.append(request.url)
                if not request.url.startswith(("file://", "data:")) else None)
        for path in sorted(hostile_site.rglob("*.html")):
            page.goto(path.as_uri())
            page.mouse.move(10, 10)
            page.mouse.move(300, 300)
        page.goto((hostile_site / "search.html").as_uri())
        page.fill("#search-input", "alert")
        assert page.locator("#search-results li").count() > 0
        browser.close()
    assert (dialogs, errors, outside) == ([], [], [])
