"""What a Markdown body says beyond its words: [[links]], #tags, `key:: value` fields, tasks.

A fast line scanner, not a full Markdown parse: it knows fenced code, inline
code and headings, which is where Obsidian itself stops seeing tags and fields.
Lines and columns are 1-based within the body.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

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
