"""Markdown: what a body says beyond its words ([[links]], #tags, `key:: value`, tasks), and its HTML.

Reading uses a fast line scanner, not a full Markdown parse: it knows fenced
code, inline code and headings, which is where Obsidian itself stops seeing
tags and fields. Lines and columns are 1-based within the body. Rendering uses
markdown-it-py (CommonMark with GFM tables, strikethrough, autolinks and task
lists) and sanitizes the result with nh3.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

import nh3
from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token
from markdown_it.utils import OptionsDict
from mdit_py_plugins.tasklists import tasklists_plugin

_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")
_HEADING = re.compile(r" {0,3}(#{1,6})(?:[ \t]+(.*?))?[ \t#]*$")
_INLINE_CODE = re.compile(r"(`+)(?:.+?)\1")
_WIKILINK = re.compile(r"(!?)\[\[([^\[\]|#^\n]*)((?:#|\^)[^\[\]|\n]*)?(?:\|([^\[\]\n]*))?\]\]")
_TRACKER = re.compile(r"(?<![\w/#&])#([\w/-]+):([-+]?\d+(?:\.\d+)?)[^\s\d,;.!?)\]]*")
_TAG = re.compile(r"(?<![\w/#&])#([\w/-]+)")
_TAG_HAS_WORD = re.compile(r"[^\d/-]")  # Obsidian: `#1984` is not a tag, `#y1984` is
_INLINE_FIELD = re.compile(r"[ \t]*(?:[-*+][ \t]+)?\**([^\W][\w \-/.]*?)\**::[ \t]*(.*?)[ \t]*$")
_TASK = re.compile(r"[ \t]*(?:[-*+]|\d+[.)])[ \t]+\[([ xX])\][ \t]")


@dataclass(frozen=True)
class BodyLink:
    target: str
    alias: str | None
    line: int
    column: int


@dataclass(frozen=True)
class BodyField:
    key: str
    value: str
    line: int
    column: int


@dataclass(frozen=True)
class BodyFacts:
    links: tuple[BodyLink, ...]
    tags: tuple[str, ...]
    fields: tuple[BodyField, ...]
    tasks_done: int
    tasks_total: int
    title: str | None


def _blank_code(line: str) -> str:
    """Inline code replaced by spaces, so nothing in it counts and columns stay true."""
    if "`" not in line:
        return line
    return _INLINE_CODE.sub(lambda match: " " * len(match.group(0)), line)


def scan_body(body: str) -> BodyFacts:
    links: list[BodyLink] = []
    tags: list[str] = []
    fields: list[BodyField] = []
    tasks_done = tasks_total = 0
    title: str | None = None
    fence: str | None = None
    for number, raw in enumerate(body.split("\n"), start=1):
        fence_match = _FENCE.match(raw)
        if fence is not None:
            if fence_match and fence_match.group(1)[0] == fence[0] and len(fence_match.group(1)) >= len(fence) \
                    and not raw.strip()[len(fence_match.group(1)):].strip():
                fence = None
            continue
        if fence_match:
            fence = fence_match.group(1)
            continue
        if not raw.strip():
            continue
        line = _blank_code(raw)
        heading = _HEADING.match(line) if line.lstrip().startswith("#") else None
        if "[[" in line:
            for match in _WIKILINK.finditer(line):
                if match.group(1):  # an embed (![[picture.png]]) is not a link to a goal
                    continue
                target = match.group(2).strip()
                if target:
                    alias = match.group(4).strip() if match.group(4) else None
                    links.append(BodyLink(target, alias or None, number, match.start() + 1))
        if heading:
            if title is None and heading.group(2):
                title = heading.group(2).strip()
            continue
        if "#" in line:
            without_values = line
            for match in _TRACKER.finditer(line):
                if not _TAG_HAS_WORD.search(match.group(1)):
                    continue
                fields.append(BodyField(match.group(1), match.group(2), number, match.start() + 1))
                without_values = without_values[:match.start()] + " " * (match.end() - match.start()) \
                    + without_values[match.end():]
            for match in _TAG.finditer(without_values):
                tag = match.group(1).strip("/")
                if _TAG_HAS_WORD.search(tag):
                    tags.append(tag)
        if "::" in line:
            field = _INLINE_FIELD.fullmatch(line)
            if field and field.group(1).strip():
                fields.append(BodyField(field.group(1).strip(), field.group(2), number, line.index(field.group(1)) + 1))
        if "[" in line:
            task = _TASK.match(line)
            if task:
                tasks_total += 1
                tasks_done += task.group(1) != " "
    return BodyFacts(tuple(links), tuple(dict.fromkeys(tags)), tuple(fields), tasks_done, tasks_total, title)


def link_key(target: str) -> str:
    """How a [[link]] names a note: its last path part, without `.md`."""
    name = target.strip().replace("\\", "/").rsplit("/", 1)[-1]
    if name.lower().endswith(".md"):
        name = name[:-3]
    return name.strip()


# ---------------------------------------------------------------- rendering

Resolve = Callable[[str], "tuple[str, str] | None"]  # link target → (href relative to the site root, title)

_ALLOWED_TAGS = frozenset({
    "a", "abbr", "b", "blockquote", "br", "code", "del", "details", "div", "em", "h1", "h2", "h3", "h4", "h5", "h6",
    "hr", "i", "input", "kbd", "li", "mark", "ol", "p", "pre", "s", "small", "span", "strong", "sub", "summary",
    "sup", "table", "tbody", "td", "th", "thead", "tr", "u", "ul",
})
_CHECKED = '<input class="task-list-item-checkbox" checked="checked" disabled="disabled" type="checkbox">'
_UNCHECKED = '<input class="task-list-item-checkbox" disabled="disabled" type="checkbox">'
_ALLOWED_ATTRIBUTES = {
    "a": {"href", "title", "class"},
    "span": {"class", "role", "aria-label"},
    "input": {"type", "checked", "disabled", "class"},
    "li": {"class"},
    "ul": {"class"},
    "ol": {"start"},
    "td": {"align"},
    "th": {"align"},
    "code": {"class"},
}


def _wikilink_rule(state: StateInline, silent: bool) -> bool:
    start = state.pos
    embed = state.src.startswith("![[", start)
    if not embed and not state.src.startswith("[[", start):
        return False
    opening = start + (3 if embed else 2)
    end = state.src.find("]]", opening)
    if end == -1:
        return False
    inner = state.src[opening:end]
    if not inner.strip() or "\n" in inner or "[" in inner or "]" in inner:
        return False
    if not silent:
        target, _bar, alias = inner.partition("|")
        token = state.push("wikilink", "", 0)
        token.meta = {"target": target.split("#")[0].split("^")[0].strip(), "alias": alias.strip(), "embed": embed,
                      "written": target.strip()}
    state.pos = end + 2
    return True


def _render_wikilink(self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict,
                     env: dict[str, Any]) -> str:
    meta = tokens[idx].meta
    label = meta["alias"] or meta["written"]
    if meta["embed"]:
        return f'<span class="embed">{escape(label)}</span>'
    resolved = env["resolve"](meta["target"]) if meta["target"] else None
    if resolved is None:
        return f'<span class="unresolved-link">{escape(label)}</span>'
    href, title = resolved
    return f'<a class="internal" href="{escape(env["root"] + href)}" title="{escape(title)}">{escape(label)}</a>'


def _render_image(self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict,
                  env: dict[str, Any]) -> str:
    """Pictures are not copied into the site, and a remote one would load from the network: show the words."""
    alt = "".join(child.content for child in (tokens[idx].children or []))
    return f'<span class="image-alt">[picture: {escape(alt or "no description")}]</span>'


def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"linkify": True, "typographer": False})
    md.enable(["table", "strikethrough", "linkify"])
    md.use(tasklists_plugin)
    md.inline.ruler.before("image", "wikilink", _wikilink_rule)
    md.add_render_rule("wikilink", _render_wikilink)
    md.add_render_rule("image", _render_image)
    return md


_MARKDOWN = _markdown()


def render_markdown(text: str, resolve: Resolve, root: str) -> str:
    """Markdown as Obsidian and GitHub show it, then sanitized: no script, no event handler, no
    `javascript:` or `data:` link, no remote picture. `root` leads from the page to the site's root."""
    html = _MARKDOWN.render(text, {"resolve": resolve, "root": root})
    if "task-list-item-checkbox" in html:  # a disabled checkbox has no label; a symbol with a name reads better
        html = html.replace(_CHECKED, '<span class="task-box" role="img" aria-label="done">☑</span>')
        html = html.replace(_UNCHECKED, '<span class="task-box" role="img" aria-label="to do">☐</span>')
    return nh3.clean(html, tags=set(_ALLOWED_TAGS), attributes={k: set(v) for k, v in _ALLOWED_ATTRIBUTES.items()},
                     url_schemes={"https"}, link_rel="noopener noreferrer")


def plain_excerpt(text: str, words: int = 30) -> str:
    """The first words of a body as plain text, for listings (no Markdown parse needed)."""
    found: list[str] = []
    fence = False
    for line in text.split("\n"):
        stripped = line.strip()
        if _FENCE.match(line):
            fence = not fence
            continue
        if fence or not stripped or _INLINE_FIELD.fullmatch(line):
            continue
        stripped = _WIKILINK.sub(lambda m: (m.group(4) or m.group(2)).strip(), stripped)
        stripped = re.sub(r"^(#{1,6}\s+|[-*+]\s+(\[[ xX]\]\s+)?|\d+[.)]\s+|>\s*)", "", stripped)
        stripped = re.sub(r"[*_`~]+", "", stripped)
        found.extend(stripped.split())
        if len(found) >= words:
            return " ".join(found[:words]) + " …"
    return " ".join(found)
