"""The built example dashboard in a real Chromium (Debian's), from disk and from a local server.

No mocks: the installed command builds the site, Playwright drives /usr/bin/chromium, axe-core checks
accessibility. A missing browser fails these tests; it never skips them.
"""

from __future__ import annotations

import functools
import http.server
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urldefrag, urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
TODAY = "2026-11-21"
PAGE_KINDS = ["index.html", "goals/index.html", "goals/sleep-schedule.html", "goals/express-needs.html",
              "journal/index.html", "journal/2026-11.html", "journal/2026-11-10.html", "timeline.html",
              "timeline/goal-calm-on-the-train.html", "wins.html", "review.html", "assessments.html", "problems.html",
              "search.html"]
# Flags that keep Chromium from calling home (this machine has no network; a user's should not be asked to).
QUIET = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run", "--disable-quic"]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("browser") / "site"
    subprocess.run([sys.executable, "-m", "goalsite", "build", str(ROOT / "example_vault"), "-o", str(out),
                    "--today", TODAY], check=True, capture_output=True)
    return out


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert Path(CHROMIUM).exists(), "Debian's chromium is needed: apt-get install chromium"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=QUIET)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def server(site: Path) -> Iterator[str]:
    handler = functools.partial(QuietHandler, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def all_pages(site: Path) -> list[str]:
    return sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html"))


class Watcher:
    """Every console message, page error and request of a page, to assert there are none we did not expect."""

    def __init__(self, page: Page, base: str) -> None:
        self.base = base
        self.errors: list[str] = []
        self.outside: list[str] = []
        page.on("console", lambda m: self.errors.append(m.text) if m.type in ("error", "warning") else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("request", self.request)

    def request(self, request: object) -> None:
        url: str = request.url  # type: ignore[attr-defined]
        if not url.startswith(self.base) and not url.startswith("data:"):
            self.outside.append(url)


@pytest.mark.parametrize("how", ["file", "server"])
def test_every_page_loads_cleanly_and_stays_inside_the_site(browser: Browser, site: Path, server: str,
                                                            how: str) -> None:
    base = site.as_uri() + "/" if how == "file" else server
    context = browser.new_context()
    page = context.new_page()
    watcher = Watcher(page, base)
    pages = all_pages(site)
    assert len(pages) == 110  # 9 fixed pages, 6 goals with their timelines, 1 year, 4 months, 84 entries
    for path in pages:
        page.goto(base + path, wait_until="load")
        assert page.title().endswith("Sam's goals"), path
    assert watcher.errors == []
    assert watcher.outside == []
    context.close()


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "src") and value:
                self.found.append(value)
            elif name == "id" and value:
                self.ids.add(value)


def test_every_internal_link_resolves(site: Path) -> None:
    checked = in_page = 0
    for path in site.rglob("*.html"):
        parser = Links()
        parser.feed(path.read_text(encoding="utf-8"))
        for link in parser.found:
            url, fragment = urldefrag(link)
            if not url and fragment:  # a place on the same page: a skip link, a footnote and its way back
                assert fragment in parser.ids, f"{path.relative_to(site)} links to {link}, which is not on the page"
                in_page += 1
                continue
            if url == "data:,":  # the empty icon that stops browsers asking the server for /favicon.ico
                continue
            if not url or urlsplit(url).scheme:
                assert urlsplit(url).scheme in ("", "https"), (path, link)
                continue
            target = (path.parent / unquote(url)).resolve()
            assert target.is_file(), f"{path.relative_to(site)} links to {link}, which is missing"
            assert site in target.parents, (path, link)
            checked += 1
    assert checked > 2000
    assert in_page == 112  # every page's skip link, and the example's footnote and its way back


def test_search_finds_an_entry_by_a_word_of_its_text(browser: Browser, site: Path) -> None:
    page = browser.new_page()
    page.goto((site / "search.html").as_uri())
    page.fill("#search-input", "porridge")
    results = page.locator("#search-results li a")
    assert results.count() >= 1
    assert page.locator("#search-status").text_content() == f"{results.count()} match" + (
        "es" if results.count() != 1 else "")
    first = results.first.get_attribute("href")
    assert first is not None and first.startswith("journal/2026-")
    page.fill("#search-input", "porridge zzzznothing")
    assert results.count() == 0 and page.locator("#search-status").text_content() == "0 matches"
    page.fill("#search-input", "coping toolbox")
    assert page.locator("#search-results li a", has_text="Build a coping toolbox I actually use").count() == 1
    results.first.click()
    page.wait_for_load_state()
    assert page.url.endswith("goals/coping-toolbox.html")
    page.close()


def test_timeline_filter_with_script_and_without(browser: Browser, site: Path) -> None:
    page = browser.new_page()
    page.goto((site / "timeline.html").as_uri())
    events = page.locator("li.event")
    every = events.count()
    page.select_option("#timeline-filter", "express-needs")
    visible = page.locator("li.event:visible")
    assert 0 < visible.count() < every
    for index in range(visible.count()):
        assert "express-needs" in (visible.nth(index).get_attribute("data-goals") or "").split()
    page.select_option("#timeline-filter", "")
    assert page.locator("li.event:visible").count() == every
    page.close()

    without = browser.new_context(java_script_enabled=False)
    page = without.new_page()
    page.goto((site / "timeline.html").as_uri())
    page.click("nav.filters a[data-goal='express-needs']")
    page.wait_for_load_state()
    assert page.url.endswith("timeline/goal-express-needs.html")
    assert 0 < page.locator("li.event").count() < every
    without.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_serious_accessibility_problem_on_any_page_kind(browser: Browser, site: Path, scheme: str) -> None:
    context = browser.new_context(color_scheme=scheme)
    page = context.new_page()
    axe = Axe()
    found = {}
    for path in PAGE_KINDS:
        page.goto((site / path).as_uri())
        for details in page.locator("details").all():
            details.evaluate("element => element.open = true")  # the tables behind the charts count too
        violations = axe.run(page).response["violations"]
        serious = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in violations
                   if v["impact"] in ("serious", "critical")]
        if serious:
            found[path] = serious
    assert found == {}
    context.close()


def test_phone_width_has_no_sideways_scrolling(browser: Browser, site: Path) -> None:
    context = browser.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    for path in PAGE_KINDS:
        page.goto((site / path).as_uri())
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"{path} is {width}px wide on a phone"
    context.close()


def test_review_prints_on_a4_and_letter_without_navigation(browser: Browser, site: Path) -> None:
    page = browser.new_page()
    page.goto((site / "review.html").as_uri())
    page.emulate_media(media="print")
    assert page.locator("header.site-header").is_hidden()
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(255, 255, 255)"
    for paper in ("A4", "Letter"):
        pdf = page.pdf(format=paper)
        assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page>") + \
            pdf.count(b"/Type/Page/") + pdf.count(b"/Type /Page ") >= 1
    page.close()


def test_screenshots_for_the_readme(browser: Browser, site: Path) -> None:
    """`GOALSITE_SCREENSHOTS=1 pytest tests/test_browser.py` refreshes docs/overview.png and docs/goal.png."""
    for name, path, height in (("overview", "index.html", 800), ("goal", "goals/sleep-schedule.html", 1700)):
        page = browser.new_page(viewport={"width": 1000, "height": height})
        page.goto((site / path).as_uri())
        image = page.screenshot(full_page=name == "overview", type="png")
        assert image.startswith(b"\x89PNG")
        if os.environ.get("GOALSITE_SCREENSHOTS"):
            (ROOT / "docs" / f"{name}.png").write_bytes(image)
        page.close()
