"""Markdown: what a body says beyond its words ([[links]], #tags, `key:: value`, tasks), and its HTML.

Reading uses a fast line scanner, not a full Markdown parse: it knows fenced
code, inline code and headings, which is where Obsidian itself stops seeing
tags and fields. Lines and columns are 1-based within the body. Rendering uses
cmark-gfm, GitHub's own CommonMark engine (with GFM tables, strikethrough,
autolinks and task lists), and sanitizes the result with nh3.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from html import escape, unescape
from typing import NamedTuple
from urllib.parse import quote

import cmarkgfm
import nh3
from cmarkgfm import _cmark
from cmarkgfm.cmark import Options

_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")
_HEADING = re.compile(r" {0,3}(#{1,6})(?:[ \t]+(.*?))?[ \t#]*$")
_INLINE_CODE = re.compile(r"(`+)(?:.+?)\1")
# Groups: the target, a heading or block, the alias. An embed's `!` is looked at before a match (`_links`).
_WIKILINK = re.compile(r"\[\[([^\[\]|#^\n]*)((?:#|\^)[^\[\]|\n]*)?(?:\|([^\[\]\n]*))?\]\]")
# A `#` not right after a word, `/`, `#` or `&`: the look back comes after the `#`, so that the pattern
# starts with it and is searched for quickly (a pattern that starts by looking back is tried at every character).
_TRACKER = re.compile(r"#(?<![\w/#&]#)([\w/-]+):([-+]?\d+(?:\.\d+)?)[^\s\d,;.!?)\]]*")
_TAG = re.compile(r"#(?<![\w/#&]#)([\w/-]+)")
_TAG_HAS_WORD = re.compile(r"[^\d/-]")  # Obsidian: `#1984` is not a tag, `#y1984` is
_INLINE_FIELD = re.compile(r"[ \t]*(?:[-*+][ \t]+)?\**([^\W][\w \-/.]*?)\**::[ \t]*(.*?)[ \t]*$")
_TASK = re.compile(r"[ \t]*(?:[-*+]|\d+[.)])[ \t]+\[([ xX])\][ \t]")


def _links(pattern: re.Pattern[str], text: str) -> Iterator[tuple[int, re.Match[str]]]:
    """Each [[link]] the pattern finds, with where it starts: at the `!` just before it for an embed.
    The patterns start with `[[`, which Python searches for quickly; one that may start with `!` would
    be tried at every character."""
    done = 0  # where the last one ended: its `]]` is no embed's `!`
    for match in pattern.finditer(text):
        yield match.start() - (match.start() > done and text[match.start() - 1] == "!"), match
        done = match.end()


# What a body says, as `scan_body` finds it: read once per file, then made into the model's own objects.
# Named tuples, which are made several times faster than frozen dataclasses.
class BodyLink(NamedTuple):
    target: str
    alias: str | None
    line: int
    column: int


class BodyField(NamedTuple):
    key: str
    value: str
    line: int
    column: int


class BodyFacts(NamedTuple):
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


_COMMENT_OPENS = {"%%": "%%", "<!--": "-->"}  # Obsidian's comment and HTML's: each mark and what ends it
_COMMENT_OPEN = re.compile("%%|<!--")


def _fence_closes(fence: str, match: re.Match[str] | None, line: str) -> bool:
    return bool(match and match.group(1)[0] == fence[0] and len(match.group(1)) >= len(fence)
                and not line.strip()[len(match.group(1)):].strip())


def without_comments(text: str, keep_places: bool = False) -> str:
    """The text without `%%comments%%` and `<!-- comments -->`, which Obsidian hides when reading (an
    unclosed one hides the rest, as there). Code keeps them as written: fenced blocks and inline code.
    `keep_places`: each hidden character but a line end becomes a space, so that what follows keeps its
    line and column; otherwise hidden text is left out (its line ends stay)."""
    if "%%" not in text and "<!--" not in text:
        return text
    lines: list[str] = []
    closer: str | None = None  # inside a comment: what ends it
    fence: str | None = None
    for line in text.split("\n"):
        if closer is None:
            fence_match = _FENCE.match(line)
            if fence is not None:
                if _fence_closes(fence, fence_match, line):
                    fence = None
                lines.append(line)
                continue
            if fence_match:
                fence = fence_match.group(1)
                lines.append(line)
                continue
        kept: list[str] = []
        at = 0
        while at < len(line):
            if closer is None:
                blanked = _blank_code(line[at:])  # a mark inside inline code is words
                found = _COMMENT_OPEN.search(blanked)
                if found is None:
                    kept.append(line[at:])
                    break
                kept.append(line[at:at + found.start()])
                closer = _COMMENT_OPENS[found.group(0)]
                hidden_from, at = at + found.start(), at + found.end()
            else:
                hidden_from = at
            end = line.find(closer, at)
            if end == -1:  # open to the end of the line (or of the text)
                at = len(line)
            else:
                at, closer = end + len(closer), None
            if keep_places:
                kept.append(" " * (at - hidden_from))
        lines.append("".join(kept))
    return "\n".join(lines)


def scan_body(body: str) -> BodyFacts:
    links: list[BodyLink] = []
    tags: list[str] = []
    fields: list[BodyField] = []
    tasks_done = tasks_total = 0
    title: str | None = None
    fence: str | None = None
    fenced = "```" in body or "~~~" in body  # else no line opens a fence, and none is looked at for one
    for number, raw in enumerate(body.split("\n"), start=1):
        if fenced:
            fence_match = _FENCE.match(raw)
            if fence is not None:
                if _fence_closes(fence, fence_match, raw):
                    fence = None
                continue
            if fence_match:
                fence = fence_match.group(1)
                continue
        if "#" not in raw and "[" not in raw and "::" not in raw:
            continue  # no heading, link, tag, field or task: most lines of prose, and every blank one
        line = _blank_code(raw) if "`" in raw else raw
        heading = _HEADING.match(line) if line[:4].lstrip(" ")[:1] == "#" else None  # (#, after 0-3 spaces)
        if "[[" in line:
            for start, match in _links(_WIKILINK, line):
                if start != match.start():  # an embed (![[picture.png]]) is not a link to a goal
                    continue
                target = match.group(1).strip()
                if target:
                    alias = match.group(3).strip() if match.group(3) else None
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


@functools.lru_cache(maxsize=1 << 16)  # a vault links the same few names again and again
def link_key(target: str) -> str:
    """How a [[link]] names a note: its last path part, without `.md`."""
    name = target.strip().replace("\\", "/").rsplit("/", 1)[-1]
    if name.lower().endswith(".md"):
        name = name[:-3]
    return name.strip()


# ---------------------------------------------------------------- rendering

Resolve = Callable[[str], "tuple[str, str] | None"]  # link target → (href relative to the site root, title)

_ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "del", "details", "div", "em", "h1", "h2", "h3", "h4", "h5", "h6",
    "hr", "i", "kbd", "li", "mark", "ol", "p", "pre", "s", "section", "small", "span", "strong", "sub", "summary",
    "sup", "table", "tbody", "td", "th", "thead", "tr", "u", "ul",
}
_ALLOWED_ATTRIBUTES = {
    "a": {"href", "title", "class", "aria-label"},
    "span": {"class", "role", "aria-label"},
    "li": {"class"},
    "ul": {"class"},
    "ol": {"start"},
    "td": {"align"},
    "th": {"align"},
    "code": {"class"},
}
# Callouts, the only classes these tags may have: Obsidian's many kinds fall into four looks.
_CALLOUT_LOOKS = {
    **dict.fromkeys(("tip", "hint", "important", "success", "check", "done"), "tip"),
    **dict.fromkeys(("warning", "caution", "attention", "question", "help", "faq"), "warning"),
    **dict.fromkeys(("danger", "error", "failure", "fail", "missing", "bug"), "danger"),
}  # any other kind (note, info, todo, abstract, example, quote, or one of the person's own) looks like a note
_ALLOWED_CLASSES = {
    "blockquote": {"callout", *(f"callout-{look}" for look in ("note", *_CALLOUT_LOOKS.values()))},
    "p": {"callout-title"},
    "section": {"footnotes"},
}
_SCHEMES = {"https"}
_LINK_REL = "noopener noreferrer"  # what the sanitizer gives every link
# Made once: `nh3.clean` builds its sanitizer from these sets on every call, which is half its time.
_cleaner = functools.partial(nh3.Cleaner, tags=_ALLOWED_TAGS, attributes=_ALLOWED_ATTRIBUTES, url_schemes=_SCHEMES,
                             allowed_classes=_ALLOWED_CLASSES, link_rel=_LINK_REL)
_SANITIZER = _cleaner()
_FOOTNOTE_ID = re.compile(r'<(?:a|li) [^>]*?\bid="(fn(?:ref)?-[^"]*)"')


# HTML that cmark-gfm and the passes below made from text with no raw HTML (no `<`) holds only tags and
# attributes the sanitizer keeps, nested as written: it would only check the links' addresses and give each
# link its `rel`, and write a few characters its own way. `_as_sanitized` does just that, where it can tell.
_NOT_PLAIN = re.compile(r"<(?:img\b|input\b|mark>|[^<>]*&(?:quot|lt|gt);)")  # starts with `<`: found quickly
_LINK_START = re.compile(r"<a( [^<>]*)>")
_LINK_ATTRIBUTE = re.compile(rf' ({"|".join(sorted(_ALLOWED_ATTRIBUTES["a"]))})="([^"<>]*)"')
_LINK_IN_LINK = re.compile(r"<a [^<>]*>(?:[^<]|<(?!/a>))*?<a ")
# An address the sanitizer keeps as written: an https one with a plain host (one ending in a number would be
# read as an IPv4 address, and one with `xn--` decoded: either may fail), or one without a scheme (relative).
_KEPT_URL = re.compile(r"https://(?:[a-z0-9-]+\.)*[a-z][a-z0-9-]*(?:[/?#][^\s\x00-\x1f\x7f]*)?|[^:\s\x00-\x1f\x7f]*")


class _NotPlain(Exception):
    """A link that `_as_sanitized` leaves to the sanitizer."""


def _link_as_sanitized(found: re.Match[str]) -> str:
    made = _link_start_as_sanitized(found.group(1))
    if made is None:
        raise _NotPlain
    return made


@functools.lru_cache(maxsize=4096)  # a journal links the same goals, in the same words, again and again
def _link_start_as_sanitized(attributes: str) -> str | None:
    """A link's opening tag, with these attributes, as the sanitizer writes it; None when it might not."""
    pairs = _LINK_ATTRIBUTE.findall(attributes)
    if "".join(f' {name}="{value}"' for name, value in pairs) != attributes \
            or len({name for name, _value in pairs}) != len(pairs):
        return None  # an attribute the sanitizer drops, or one written twice
    for name, value in pairs:
        if name == "href" and (not _KEPT_URL.fullmatch(unescape(value)) or "xn--" in value):
            return None
    return f'<a{attributes} rel="{_LINK_REL}">'


def _as_sanitized(html: str) -> str | None:
    """`_SANITIZER.clean(html)`, for HTML that cmark-gfm and the passes below made from text without raw
    HTML, without parsing it again: each link's address is one the sanitizer keeps and the link gets its
    `rel`; `<br />` is written `<br>`, `&quot;` and `&#x27;` as characters, a no-break space as `&nbsp;`.
    None, for the sanitizer to do it all, for anything else it might change: a picture or checkbox left
    as cmark-gfm wrote it, a highlight, a link inside a link, another address, or an escaped quote or
    bracket inside a tag (which it writes as a character)."""
    if "\x00" in html or "\r" in html or _NOT_PLAIN.search(html):
        return None
    if "<a " in html:
        if _LINK_IN_LINK.search(html):
            return None
        try:
            html = _LINK_START.sub(_link_as_sanitized, html)
        except _NotPlain:
            return None
    if "<br />" in html:
        html = html.replace("<br />", "<br>")
    if "<hr />" in html:
        html = html.replace("<hr />", "<hr>")
    if "&" in html:
        html = html.replace("&quot;", '"').replace("&#x27;", "'")
    if "\xa0" in html:
        html = html.replace("\xa0", "&nbsp;")
    return html


def _footnote_sanitizer(html: str) -> nh3.Cleaner:
    """For a text with footnotes: a sanitizer that also keeps the ids cmark-gfm gave its footnotes and
    their references (so each number leads to its note and back), and no other id."""
    ids = set(_FOOTNOTE_ID.findall(html))
    return _cleaner(tag_attribute_values={"a": {"id": ids}, "li": {"id": ids}})


# Without the `!` of an embed, which is looked at before each match (`_links`).
_RENDER_WIKILINK = re.compile(r"\[\[([^\[\]\n]*?[^\[\]\s][^\[\]\n]*?)\]\]")
_HELD = re.compile("\ue000(\\d+)\ue001")
_HELD_IN_URL = re.compile("%EE%80%80(\\d+)%EE%80%81")
_CODE_OR_TAG = re.compile(r"(<code[^>]*>.*?</code>|<[^>]*>)", re.S)
_HELD_IN_TAG = re.compile("<[^>]*\ue000")  # may be inside a tag (`_CODE_OR_TAG`'s second kind)
_IMAGE = re.compile(r"<img\b[^>]*?>")
_ALT = re.compile(r'\balt="([^"]*)"')
_BOXES = {
    '<input type="checkbox" checked="" disabled="" />': '<span class="task-box" role="img" aria-label="done">☑</span>',
    '<input type="checkbox" disabled="" />': '<span class="task-box" role="img" aria-label="to do">☐</span>',
}
# `==highlight==`: exactly two marks (`===` and `a == b` are words), paired within one block (`_highlights`).
_HIGHLIGHT = re.compile(r"(?<!=)==(?!=)")
_BLOCK_TAG = re.compile(r"</?(?:p|li|td|th|h[1-6]|blockquote|ul|ol|table|thead|tbody|tr|pre|div|hr|details|summary)\b")
_VOID_TAG = re.compile(r"<(?:br|img|input|hr|wbr)\b|<[^>]*/>")
# A callout: a quote whose first line is `[!kind]`, with a fold mark (`+`/`-`) and a title when given.
_CALLOUT = re.compile(r"<blockquote>\n<p>\[!([A-Za-z][\w-]*)\][+-]?[ \t]*(.*?)(</p>|<br />\n|\n)")
# Raw HTML reaches nh3, which keeps only the harmless part. A line break shows, as Obsidian shows it
# unless its "strict line breaks" is on (then lines join into one paragraph, as on GitHub).
_CMARK_OPTIONS = Options.CMARK_OPT_UNSAFE | Options.CMARK_OPT_FOOTNOTES | Options.CMARK_OPT_HARDBREAKS
_CMARK_STRICT_OPTIONS = Options.CMARK_OPT_UNSAFE | Options.CMARK_OPT_FOOTNOTES
_CMARK_EXTENSIONS = ["table", "strikethrough", "autolink", "tasklist"]


def _native_frees() -> tuple[Callable[[int], None], Callable[[int], None]] | None:
    """cmark-gfm's `cmark_node_free`, and the `free` of the allocator it renders with, from the compiled
    binding: `cmarkgfm.markdown_to_html_with_extensions` frees neither the parsed document nor the HTML
    it returns (theacodes/cmarkgfm#53), about 11 kB a body, kept until the process ends: 110 MB for
    10,000 entries in one build, and more with every save while watching. None where the binding does
    not show them (its own wrapper is used then)."""
    import ctypes  # here: only to find these two functions once

    class Allocator(ctypes.Structure):
        _fields_ = [("calloc", ctypes.c_void_p), ("realloc", ctypes.c_void_p),
                    ("free", ctypes.CFUNCTYPE(None, ctypes.c_void_p))]

    try:
        binding = ctypes.CDLL(_cmark.__file__)
        node_free = binding.cmark_node_free
        allocator = binding.cmark_get_default_mem_allocator
        for name in ("cmark_parser_new", "cmark_parser_attach_syntax_extension", "cmark_parser_feed",
                     "cmark_parser_finish", "cmark_render_html", "cmark_parser_get_syntax_extensions",
                     "cmark_parser_free", "cmark_find_syntax_extension"):
            getattr(_cmark.lib, name)
    except (OSError, AttributeError):
        return None
    node_free.argtypes, node_free.restype = [ctypes.c_void_p], None
    allocator.argtypes, allocator.restype = [], ctypes.POINTER(Allocator)
    return node_free, allocator().contents.free


def _cmark_extensions(names: list[str]) -> list[object]:
    _cmark.lib.cmark_gfm_core_extensions_ensure_registered()
    return [_cmark.lib.cmark_find_syntax_extension(name.encode("ascii")) for name in names]


# cmark-gfm's autolink extension makes a link of `www.` followed by a domain, of `://` after `http`,
# `https` or `ftp`, and of an address around `@` (with `mailto:` or `xmpp:`, or none). To see those, it
# stops at every `w` and `:` of the text and copies every text once parsed: a sixth of a journal
# entry's Markdown time, for text that holds none of the three marks and so cannot gain a link.
# Without them it is left out (a test holds the HTML to the whole set's).
_CMARK_UNLINKED = [name for name in _CMARK_EXTENSIONS if name != "autolink"]


def _may_autolink(text: str) -> bool:
    return "www." in text or "://" in text or "@" in text


_FREES = _native_frees()
_EXTENSION_POINTERS = _cmark_extensions(_CMARK_EXTENSIONS) if _FREES is not None else []
_UNLINKED_POINTERS = _cmark_extensions(_CMARK_UNLINKED) if _FREES is not None else []


def _cmark_html(text: str, options: int) -> str:
    """cmark-gfm's HTML for `text`, with our extensions: what `cmarkgfm.markdown_to_html_with_extensions`
    gives, with the parsed document and the HTML freed once read (and the extensions looked up once)."""
    linking = _may_autolink(text)
    if _FREES is None:
        html: str = cmarkgfm.markdown_to_html_with_extensions(
            text, options=options, extensions=_CMARK_EXTENSIONS if linking else _CMARK_UNLINKED)
        return html
    node_free, free = _FREES
    lib, ffi = _cmark.lib, _cmark.ffi
    data = text.encode("utf-8")
    parser = lib.cmark_parser_new(options)
    try:
        for extension in _EXTENSION_POINTERS if linking else _UNLINKED_POINTERS:
            lib.cmark_parser_attach_syntax_extension(parser, extension)
        lib.cmark_parser_feed(parser, data, len(data))
        root = lib.cmark_parser_finish(parser)
        try:
            rendered = lib.cmark_render_html(root, options, lib.cmark_parser_get_syntax_extensions(parser))
            try:
                html = ffi.string(rendered).decode("utf-8")
            finally:
                free(int(ffi.cast("uintptr_t", rendered)))
            return html
        finally:
            node_free(int(ffi.cast("uintptr_t", root)))
    finally:
        lib.cmark_parser_free(parser)


class _Held(NamedTuple):
    """A [[link]] held aside while cmark-gfm parses: as written (with an embed's `!`), and between its brackets."""

    written: str
    inner: str


def _wikilink_html(link: _Held, resolve: Resolve, root: str) -> str:
    target, _bar, alias = link.inner.partition("|")
    written = target.strip()
    label = alias.strip() or written
    if link.written[0] == "!":  # an embed: pictures and notes are not copied into the site
        return f'<span class="embed">{escape(label)}</span>'
    goal = target.split("#")[0].split("^")[0].strip()
    resolved = resolve(goal) if goal else None
    if resolved is None:
        return f'<span class="unresolved-link">{escape(label)}</span>'
    href, title = resolved
    return f'<a class="internal" href="{escape(root + href)}" title="{escape(title)}">{escape(label)}</a>'


def _put_back(html: str, held: list[_Held], resolve: Resolve, root: str,
              links: dict[tuple[str, str], str] | None) -> str:
    """Held [[links]] become links in text, and their own words again in code and inside tags.
    `links`: each link's HTML by its words and `root`, kept by the caller while `resolve` stays the same."""
    def words(found: re.Match[str]) -> str:
        return escape(held[int(found.group(1))].written)

    def link(found: re.Match[str]) -> str:
        one = held[int(found.group(1))]
        if links is None:
            return _wikilink_html(one, resolve, root)
        made = links.get((one.written, root))
        if made is None:
            made = links[one.written, root] = _wikilink_html(one, resolve, root)
        return made

    if "<code" not in html and "%EE%80%80" not in html and not _HELD_IN_TAG.search(html):
        return _HELD.sub(link, html)  # every one is in text: no need to cut the HTML into code, tags and text
    parts = _CODE_OR_TAG.split(html)
    for index, part in enumerate(parts):
        if "\ue000" in part:
            parts[index] = _HELD.sub(words if index % 2 else link, part)
        elif "%EE%80%80" in part:
            parts[index] = _HELD_IN_URL.sub(lambda found: quote(held[int(found.group(1))].written), part)
    return "".join(parts)


def _hold(text: str) -> tuple[str, list[_Held]]:
    """The text with each [[link]] (with an embed's `!`) replaced by a private-use mark and its number."""
    held: list[_Held] = []
    parts: list[str] = []
    done = 0  # where the text not yet copied starts
    for start, match in _links(_RENDER_WIKILINK, text):
        parts += (text[done:start], f"\ue000{len(held)}\ue001")
        held.append(_Held(text[start:match.end()], match.group(1)))
        done = match.end()
    return "".join(parts) + text[done:], held


def _highlights(html: str) -> str:
    """Obsidian's `==highlights==` as <mark>, in text only (code keeps its marks). As with `**`, a
    highlight opens before a word and closes after one, within one paragraph, list item, cell or
    heading, and around whole inline elements: a mark left without its pair stays as written."""
    parts = _CODE_OR_TAG.split(html)
    out: list[str] = []
    opened: int | None = None  # where in `out` the `==` that may open a highlight stands
    opened_at = depth = 0  # how many inline elements were open then, and are now

    def joins(index: int) -> bool:
        """Whether the part at `index` (a tag or code) continues the text: inline, in the same block."""
        return 0 <= index < len(parts) and not _BLOCK_TAG.match(parts[index])

    for index, part in enumerate(parts):
        if index % 2:  # a tag, or a code element
            if _BLOCK_TAG.match(part):
                opened, depth = None, 0
            elif not part.startswith("<code") and not _VOID_TAG.match(part):
                depth += -1 if part.startswith("</") else 1
            out.append(part)
            continue
        pieces = _HIGHLIGHT.split(part)
        out.append(pieces[0])
        for number, after in enumerate(pieces[1:], 1):
            before = pieces[number - 1]
            word_before = before[-1:].strip() if before else joins(index - 1) and number == 1
            word_after = after[:1].strip() if after else joins(index + 1) and number == len(pieces) - 1
            if opened is not None and opened_at == depth and word_before:
                out[opened] = "<mark>"
                out.append("</mark>")
                opened = None
            elif opened is None and word_after:
                opened, opened_at = len(out), depth
                out.append("==")
            else:
                out.append("==")
            out.append(after)
    return "".join(out)


def _callout(match: re.Match[str]) -> str:
    """A quote that starts `[!kind] Title` as a callout box; without a title, the kind names it."""
    kind = match.group(1).lower()
    title = match.group(2).strip() or escape(kind.replace("-", " ").capitalize())
    rest = "\n<p>" if match.group(3) != "</p>" else ""
    return (f'<blockquote class="callout callout-{_CALLOUT_LOOKS.get(kind, "note")}">\n'
            f'<p class="callout-title">{title}</p>{rest}')


def _image_words(match: re.Match[str]) -> str:
    """Pictures are not copied into the site, and a remote one would load from the network: show the words."""
    alt = _ALT.search(match.group(0))
    words = unescape(alt.group(1)) if alt else ""
    return f'<span class="image-alt">[picture: {escape(words or "no description")}]</span>'


def render_markdown(text: str, resolve: Resolve, root: str, strict_line_breaks: bool = False,
                    links: dict[tuple[str, str], str] | None = None) -> str:
    """Markdown as GitHub shows it (cmark-gfm, GitHub's own engine) with Obsidian's [[links]], then
    sanitized: no script, no event handler, no `javascript:` or `data:` link, no remote picture.
    `root` leads from the page to the site's root.

    [[links]] are held aside as private-use characters while cmark-gfm parses, so that the parser
    decides what is code (where a [[link]] stays words) and a `|` in a link never splits a table cell."""
    held: list[_Held] = []
    if "\ue000" in text or "\ue001" in text:  # private-use characters are ours while rendering
        text = text.replace("\ue000", "\ufffd").replace("\ue001", "\ufffd")
    if "[[" in text:
        text, held = _hold(text)
    options = _CMARK_STRICT_OPTIONS if strict_line_breaks else _CMARK_OPTIONS
    html = _cmark_html(text, options)
    if held:
        html = _put_back(html, held, resolve, root, links)
    if "<img" in html:
        html = _IMAGE.sub(_image_words, html)
    if "checkbox" in html:  # a disabled checkbox has no label; a symbol with a name reads better
        for box, symbol in _BOXES.items():
            html = html.replace(box, symbol)
    if "==" in html:
        html = _highlights(html)
    if "<blockquote>\n<p>[!" in html:
        html = _CALLOUT.sub(_callout, html)
    if 'href="http://www.' in html:  # a bare www. address: ask for it privately
        html = html.replace('href="http://www.', 'href="https://www.')
    if "data-footnotes" in html:
        return _footnote_sanitizer(html).clean(html)
    if "<" not in text:  # no raw HTML: only what cmark-gfm and the passes above wrote
        clean = _as_sanitized(html)
        if clean is not None:
            return clean
    return _SANITIZER.clean(html)


def _link_words(line: str) -> str:
    """Each [[link]] or embed in a line replaced by its alias, or else its target."""
    parts: list[str] = []
    done = 0
    for start, match in _links(_WIKILINK, line):
        parts += (line[done:start], (match.group(3) or match.group(1)).strip())
        done = match.end()
    return "".join(parts) + line[done:]


_LINE_MARK = re.compile(r"^(#{1,6}\s+|[-*+]\s+(\[[ xX]\]\s+)?|\d+[.)]\s+|>\s*)")
_EMPHASIS = re.compile(r"[*_`~]+|==(?=[^\s=])|(?<=[^\s=])==")
_EMPHASIS_CHARACTER = re.compile(r"[*_`~=]")
_CALLOUT_MARK = re.compile(r"\[![A-Za-z][\w-]*\][+-]?\s*")
_FOOTNOTE_MARK = re.compile(r"\[\^[^\]\s]+\]:?")


EXCERPT_SLACK = 8  # words read past those an excerpt still needs, for marks that are no words (`plain_excerpt`)


LISTED_WORDS = 24  # of an entry's body, in the lists of entries (`Entry.excerpt`)


def plain_excerpt(text: str, words: int = 30) -> str:
    """The first words of a body as plain text, for listings (no Markdown parse needed)."""
    found: list[str] = []
    fence = False
    for line in _lines(text):
        stripped = line.strip()
        if _FENCE.match(line):
            fence = not fence
            continue
        if fence or not stripped or ("::" in line and _INLINE_FIELD.fullmatch(line)):
            continue
        need = words - len(found)
        first = _first_words(need + EXCERPT_SLACK).match(stripped)
        if first is not None and first.end() < len(stripped):
            # A long line, of which the excerpt takes only the first words: those are read alone (the marks
            # read here never reach past a space, but a link may: it must end within them).
            start = first.group(0)
            if start.rfind("[[") <= start.rfind("]]"):
                taken = _line_words(start, line)
                if len(taken) >= need:
                    return " ".join([*found, *taken[:need]]) + " …"
        found.extend(_line_words(stripped, line))
        if len(found) >= words:
            return " ".join(found[:words]) + " …"
    return " ".join(found)


def _lines(text: str) -> Iterator[str]:
    """The lines of a text one by one (an excerpt seldom needs more than its first few)."""
    start = 0
    while (end := text.find("\n", start)) != -1:
        yield text[start:end]
        start = end + 1
    yield text[start:]


@functools.lru_cache(maxsize=64)
def _first_words(count: int) -> re.Pattern[str]:
    """The first `count` words of a text that starts with one, and the spaces between them as written."""
    return re.compile(r"\S+(?:\s+\S+){" + str(count - 1) + "}")


def _line_words(stripped: str, line: str) -> list[str]:
    """The words of one line of a body (`stripped`, of `line`) without its Markdown marks."""
    if "[[" in stripped:
        stripped = _link_words(stripped)
    mark = _LINE_MARK.match(stripped)
    if mark:
        stripped = stripped[mark.end():]
    if stripped.startswith("[!") and line.lstrip().startswith(">"):
        stripped = _CALLOUT_MARK.sub("", stripped, count=1)
    if _EMPHASIS_CHARACTER.search(stripped):  # (found quickly; `_EMPHASIS` is tried at every character)
        stripped = _EMPHASIS.sub("", stripped)
    if "[^" in stripped:
        stripped = _FOOTNOTE_MARK.sub("", stripped)
    return stripped.split()
