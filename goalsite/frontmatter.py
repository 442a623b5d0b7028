"""Text and YAML with a line and column for everything.

Bytes become text (UTF-8, BOM, CRLF/CR); front matter is split from the body;
YAML is composed into small nodes that remember where they stand. PyYAML's own
composer is not used: it recurses (the C one segfaults on deep nesting, the
pure-Python one raises RecursionError), expands aliases without bound and lets
duplicate keys silently win. Ours walks libyaml's event stream with an explicit
stack and stops early at the limits below, so any input gives problems, never
a crash. Values stay text here; `fields.py` types them by our schema.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from yaml import events as ev

MAX_DEPTH = 64
MAX_NODES = 20_000  # nodes after alias expansion: a 219-byte "billion laughs" stops here
SAFE_TAGS = frozenset(
    "tag:yaml.org,2002:" + name
    for name in ("str", "int", "float", "bool", "null", "timestamp", "seq", "map")
) | {"!"}


@dataclass(frozen=True)
class Issue:
    """A reading problem at a 1-based line and column of the file."""

    line: int
    column: int
    code: str
    message: str
    hint: str


@dataclass(slots=True)
class Scalar:
    value: str
    plain: bool  # unquoted: `no` may be a word, `"no"` is always text
    line: int
    column: int

    @property
    def is_null(self) -> bool:
        return self.plain and self.value in ("", "~", "null", "Null", "NULL")


@dataclass(slots=True)
class Seq:
    items: list[Node]
    line: int
    column: int


@dataclass(slots=True)
class Map:
    """Keys are text; each key keeps the scalar it came from, for its location."""

    entries: dict[str, tuple[Scalar, Node]]
    line: int
    column: int

    def get(self, key: str) -> Node | None:
        found = self.entries.get(key)
        return found[1] if found else None

    def key_node(self, key: str) -> Scalar | None:
        found = self.entries.get(key)
        return found[0] if found else None


Node = Scalar | Seq | Map


def node_size(node: Node) -> int:
    stack: list[Node] = [node]
    size = 0
    while stack:
        current = stack.pop()
        size += 1
        if isinstance(current, Seq):
            stack.extend(current.items)
        elif isinstance(current, Map):
            stack.extend(value for _key, value in current.entries.values())
    return size


# ---------------------------------------------------------------- text


@dataclass(frozen=True)
class Text:
    """A decoded file: `text` uses `\\n` only; `problem` says why it could not be read."""

    text: str
    problem: Issue | None = None


def decode(data: bytes) -> Text:
    """UTF-8 with or without a BOM, any line ending; anything else is a problem, not a guess."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return Text("", Issue(1, 1, "encoding", "This file is saved as UTF-16, so goalsite cannot read it.",
                              "Save it again as UTF-8 (most editors offer this under “Save with encoding”)."))
    nul = data.find(b"\x00")
    if nul != -1:
        line, column = _byte_position(data, nul)
        return Text("", Issue(line, column, "binary", "This looks like a binary file, not text.",
                              "Move it out of the vault, or add it to `exclude:` in goalsite.yaml."))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line, column = _byte_position(data, error.start)
        return Text("", Issue(
            line, column, "encoding",
            f"This file is not UTF-8 text (byte 0x{data[error.start]:02X} cannot be read).",
            "Save it again as UTF-8; Notepad and most editors offer this under “Save as” → Encoding.",
        ))
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return Text(text)


def _byte_position(data: bytes, offset: int) -> tuple[int, int]:
    before = data[:offset].replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    line = before.count(b"\n") + 1
    last = before.rfind(b"\n")
    column = len(before[last + 1:].decode("utf-8", "replace")) + 1
    return line, column


# ---------------------------------------------------------------- front matter

_FENCE_OPEN = re.compile(r"---[ \t]*")
_FENCE_CLOSE_LINE = re.compile(r"^(?:---|\.\.\.)[ \t]*$", re.MULTILINE)  # the first line that is one


@dataclass(frozen=True)
class Split:
    """Front matter and body. `yaml_line` is the file line where the YAML starts."""

    front: str | None
    body: str
    yaml_line: int
    body_line: int
    problem: Issue | None = None


def split_front_matter(text: str) -> Split:
    if not text.startswith("---"):
        return Split(None, text, 1, 1)
    first_end = text.find("\n")
    first = text if first_end == -1 else text[:first_end]
    if not _FENCE_OPEN.fullmatch(first):
        return Split(None, text, 1, 1)  # e.g. a `----` rule or `---title` is body text
    if first_end == -1:
        return Split(None, "", 1, 1, _unclosed())
    closing = _FENCE_CLOSE_LINE.search(text, first_end + 1)
    if closing is None:
        return Split(None, text, 1, 1, _unclosed())
    line = text.count("\n", first_end + 1, closing.start()) + 2  # the closing line's number
    body_start = closing.end() + 1 if closing.end() < len(text) else len(text)
    return Split(text[first_end + 1:closing.start()], text[body_start:], 2, line + 1)


def _unclosed() -> Issue:
    return Issue(1, 1, "front-matter-unclosed",
                 "The front matter starts with `---` on line 1 but never ends.",
                 "Add a line with just `---` after the last setting, before your notes.")


# ---------------------------------------------------------------- YAML


@dataclass
class _Frame:
    node: Seq | Map
    anchor: str | None
    pending_key: Scalar | None = None
    keys_seen: dict[str, int] = field(default_factory=dict)


# The plain shape most front matter has: `key: value` lines, each value a word or number, a quoted
# text without escapes, or one `[list]` or `{map}` of those. `_simple` reads that shape itself, with
# the very nodes and places libyaml gives (a test holds the two together); anything else, libyaml.
_KEY = r"[A-Za-z_][A-Za-z0-9_-]*"
_PLAIN_START = r"(?:[A-Za-z0-9_.~+/()=;^$]|-(?=[0-9.]))"  # no indicator: `-` only before a number
_SIMPLE_TEXT = re.compile(r"[ -~\n]*")  # printable ASCII: no tab, no control character, no other script
_SIMPLE_LINE = re.compile(rf"({_KEY}): +(\S.*?) *")
_SIMPLE_KEY = re.compile(_KEY)
_SIMPLE_PLAIN = re.compile(_PLAIN_START + r"(?:[^\[\]{}:#&*!|>'\"%@`\\]|:(?! |$))*")  # in a block: `,` may stand
_SIMPLE_ITEM = re.compile(r"""(?:"[^"\\]*"|'[^']*'|""" + _PLAIN_START + r"""[^,\[\]{}:#&*!|>'"%@`\\]*)""")


def _simple_scalar(text: str, line: int, column: int) -> Scalar:
    if text[0] in "\"'":
        return Scalar(text[1:-1], False, line, column)
    return Scalar(text, True, line, column)


def _simple_flow(text: str, line: int, column: int) -> Seq | Map | None:
    """`[a, "b"]` or `{k: v, k2: v2}` of simple items, starting at `column`; None for anything else."""
    closing = "]" if text[0] == "[" else "}"
    if text[-1] != closing:
        return None
    inner = text[1:-1]
    position = column + 1
    items: list[tuple[str, int]] = []
    if inner.strip():
        for part in inner.split(","):
            stripped = part.lstrip(" ")
            if not stripped.strip():
                return None  # `[a,,b]` or a trailing comma: libyaml's to judge
            items.append((stripped.rstrip(" "), position + len(part) - len(stripped)))
            position += len(part) + 1
    if closing == "]":
        found: list[Node] = []
        for item, at in items:
            if not _SIMPLE_ITEM.fullmatch(item):
                return None
            found.append(_simple_scalar(item, line, at))
        return Seq(found, line, column)
    entries: dict[str, tuple[Scalar, Node]] = {}
    for item, at in items:
        key, colon, value = item.partition(": ")
        value = value.lstrip(" ")
        if not colon or not value or not _SIMPLE_KEY.fullmatch(key) or key in entries \
                or not _SIMPLE_ITEM.fullmatch(value):
            return None
        entries[key] = (Scalar(key, True, line, at), _simple_scalar(value, line, at + len(item) - len(value)))
    return Map(entries, line, column)


def _simple(source: str, first_line: int) -> Map | None:
    """The document as `compose` gives it, when it has the plain shape above; None otherwise."""
    if not _SIMPLE_TEXT.fullmatch(source):
        return None
    root: Map | None = None
    for number, text in enumerate(source.split("\n"), start=first_line):
        if not text.strip(" "):
            continue
        match = _SIMPLE_LINE.fullmatch(text)
        if match is None:
            return None
        key, value = match.group(1), match.group(2)
        column = match.start(2) + 1
        node: Node | None
        if value[0] in "[{":
            node = _simple_flow(value, number, column)
        elif value[0] in "\"'":
            node = _simple_scalar(value, number, column) if _SIMPLE_ITEM.fullmatch(value) else None
        else:
            node = Scalar(value, True, number, column) if _SIMPLE_PLAIN.fullmatch(value) else None
        if node is None:
            return None
        if root is None:
            root = Map({}, number, 1)
        elif key in root.entries:
            return None  # said twice: the full reading says so
        root.entries[key] = (Scalar(key, True, number, 1), node)
    return root


def compose(source: str, first_line: int = 1) -> tuple[Node | None, list[Issue]]:
    """Compose one YAML document. Lines in nodes and issues are file lines (`first_line` is the YAML's first)."""
    simple = _simple(source, first_line)
    if simple is not None:
        return simple, []
    return compose_events(source, first_line)


@functools.cache
def _loader() -> type:
    """PyYAML's loader: imported when a front matter first needs it, not before (about 20 ms, which a
    build or check that meets only the plain shape `_simple` reads does not pay)."""
    try:  # the C parser is much faster and gives the same events and marks
        from yaml import CSafeLoader
        return CSafeLoader
    except ImportError:  # pragma: no cover - depends on how PyYAML was built
        from yaml import SafeLoader
        return SafeLoader


def compose_events(source: str, first_line: int = 1) -> tuple[Node | None, list[Issue]]:
    """`compose` from libyaml's events, whatever the shape."""
    import yaml
    from yaml import events as ev

    issues: list[Issue] = []
    offset = first_line - 1
    stack: list[_Frame] = []
    anchors: dict[str, Node] = {}
    root: Node | None = None
    documents = 0
    expanded = 0

    def place(node: Node, anchor: str | None) -> None:
        nonlocal root, expanded
        if anchor:
            anchors[anchor] = node
        if not stack:
            root = node
            return
        frame = stack[-1]
        if isinstance(frame.node, Seq):
            frame.node.items.append(node)
        elif frame.pending_key is None:
            if isinstance(node, Scalar):
                frame.pending_key = node
            else:
                frame.pending_key = Scalar("", True, node.line, node.column)
                issues.append(Issue(node.line, node.column, "yaml-complex-key",
                                    "A key here is a list or a mapping; keys must be plain words.",
                                    "Write the key as a word followed by a colon, like `mood: 6`."))
        else:
            key = frame.pending_key
            frame.pending_key = None
            seen = frame.keys_seen.get(key.value)
            if seen is not None:
                issues.append(Issue(
                    key.line, key.column, "yaml-duplicate-key",
                    f"`{key.value}` is set twice (first on line {seen}); goalsite used the first one.",
                    f"Keep one `{key.value}:` line and delete the other.",
                ))
            elif isinstance(frame.node, Map):
                frame.keys_seen[key.value] = key.line
                frame.node.entries[key.value] = (key, node)

    def check_tag(event: ev.NodeEvent, line: int, column: int) -> bool:
        tag = getattr(event, "tag", None)
        if tag is None or tag in SAFE_TAGS:
            return True
        issues.append(Issue(line, column, "yaml-tag",
                            f"The YAML tag `{tag}` is not allowed; goalsite never runs code from a file.",
                            "Remove the tag (the word starting with `!`) and write the value plainly."))
        return False

    try:
        for event in yaml.parse(source, Loader=_loader()):
            start = event.start_mark  # libyaml always sets it
            line = start.line + 1 + offset if start is not None else first_line
            column = start.column + 1 if start is not None else 1
            if isinstance(event, ev.ScalarEvent):
                plain = not event.style and event.tag is None
                ok = check_tag(event, line, column)
                place(Scalar(event.value if ok else "", plain or not ok, line, column), event.anchor)
                expanded += 1
            elif isinstance(event, (ev.SequenceStartEvent, ev.MappingStartEvent)):
                expanded += 1
                if len(stack) >= MAX_DEPTH:
                    issues.append(_too_deep(line, column))
                    return None, issues
                check_tag(event, line, column)
                container: Seq | Map = (
                    Seq([], line, column) if isinstance(event, ev.SequenceStartEvent) else Map({}, line, column)
                )
                stack.append(_Frame(container, event.anchor))
            elif isinstance(event, (ev.SequenceEndEvent, ev.MappingEndEvent)):
                frame = stack.pop()
                place(frame.node, frame.anchor)
            elif isinstance(event, ev.AliasEvent):
                target = anchors.get(event.anchor or "")
                if target is None:  # libyaml reports unknown anchors itself; kept for safety
                    issues.append(Issue(line, column, "yaml-syntax", f"Unknown alias `*{event.anchor}`.", ""))
                    return None, issues
                expanded += node_size(target)
                place(target, None)
            elif isinstance(event, ev.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    issues.append(Issue(line, column, "yaml-documents",
                                        "There is more than one YAML document here; goalsite read the first.",
                                        "Remove the extra `---` line, or close the front matter with `---`."))
                    break
            if expanded > MAX_NODES:
                issues.append(Issue(line, column, "yaml-too-large",
                                    "The YAML here expands to too many values (aliases repeat it over and over).",
                                    "Write the values out plainly instead of using `&anchors` and `*aliases`."))
                return None, issues
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        if error.context_mark is not None and mark is not None and mark.index >= len(source.rstrip()):
            mark = error.context_mark  # an unclosed bracket or quote: where it opened helps more than the end
        line = mark.line + 1 + offset if mark is not None else first_line
        column = mark.column + 1 if mark is not None else 1
        what = error.problem or error.context or "the YAML could not be read"
        if "maximum nesting depth" in what:  # libyaml's own limit (PyYAML 6.0.4 on), met before ours while scanning ahead
            issues.append(_too_deep(line, column))
        else:
            issues.append(Issue(line, column, "yaml-syntax", f"The YAML cannot be read here: {what}.",
                                _yaml_hint(what)))
        return None, issues
    except yaml.YAMLError as error:  # ReaderError: a control character; it knows only its position
        position = getattr(error, "position", 0) or 0
        before = source[:position]
        line = before.count("\n") + first_line
        column = position - (before.rfind("\n") + 1) + 1
        issues.append(Issue(line, column, "yaml-syntax",
                            "The YAML holds a control character that YAML does not allow.",
                            "Delete the invisible character at this place (retyping the line is easiest)."))
        return None, issues
    return root, issues


def _too_deep(line: int, column: int) -> Issue:
    return Issue(line, column, "yaml-too-deep", f"The settings here are nested more than {MAX_DEPTH} levels deep.",
                 "Check for unclosed `[` or `{` brackets.")


def _yaml_hint(what: str) -> str:
    if "mapping values are not allowed" in what:
        return "A value has a colon followed by a space in it: put the value in quotes, like `note: \"a: b\"`."
    if "found character '\\t'" in what or "tab" in what:
        return "YAML indents with spaces, not tabs: replace the tab with spaces."
    if "could not find expected ':'" in what:
        return "Each line needs `key: value`; check this line and the one above it."
    return "Check the line for a missing colon, an unclosed quote or bracket, or uneven indentation."
