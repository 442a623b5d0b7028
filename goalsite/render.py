"""Jinja2, set up safely: autoescape everywhere, StrictUndefined, theme folders in order."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping
from pathlib import Path
from typing import Any

import jinja2
import jinja2.bccache
import jinja2.compiler
import jinja2.meta
import jinja2.nodes
import jinja2.runtime
import markupsafe

from goalsite.shipped import theme_folders

__all__ = ["Compiled", "environment", "site_keys", "static_files", "theme_folders"]


class Compiled(jinja2.BytecodeCache):
    """Compiled templates by Jinja's key (name and file), each with its source's checksum, which Jinja
    checks before using one. The build keeps them in its signed state, so a build that renders a few
    pages does not compile the theme again (a sixth of a second)."""

    def __init__(self, codes: dict[str, bytes] | None = None) -> None:
        self.codes = dict(codes or {})

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        data = self.codes.get(bucket.key)
        if data is not None:
            bucket.bytecode_from_string(data)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.codes[bucket.key] = bucket.bytecode_to_string()


def compiled_codes(env: jinja2.Environment) -> dict[str, bytes]:
    """The compiled code of every template `env` has loaded, by Jinja's key (no other theme's)."""
    cache = env.bytecode_cache
    if not isinstance(cache, Compiled) or env.cache is None:
        return {}
    keys = (cache.get_cache_key(template.name, template.filename) for template in env.cache.values()
            if template.name is not None)
    return {key: cache.codes[key] for key in keys if key in cache.codes}


def _keyed(kind: type) -> frozenset[str] | None:
    """For a kind of dict whose instances have no attributes of their own, the names its class gives
    attributes (any other name can only be a key); None for any other kind."""
    if not issubclass(kind, dict) or "__dict__" in dir(kind):
        return None
    if any(name in vars(base) for base in kind.__mro__ if base not in (dict, object)
           for name in ("__getattr__", "__getattribute__")):
        return None
    return frozenset(dir(kind))


_KEYED: dict[type, frozenset[str] | None] = {}


# MarkupSafe's own escaping of a str, in C (an older MarkupSafe has none: its `escape` then serves)
_escape_inner: Callable[[str], str] = getattr(markupsafe, "_escape_inner", markupsafe.escape)


def _escape(value: Any) -> str:
    """What `{{ value }}` shows: `markupsafe.escape`, without making a `Markup` of a str or a number
    (which checks for an `__html__` method at the cost of an AttributeError). What a page shows is only
    ever joined into the page, or into a block or macro's text that Jinja marks safe itself."""
    kind = type(value)
    if kind is str:
        return _escape_inner(value)
    if kind is int or kind is float:
        return _escape_inner(str(value))
    return markupsafe.escape(value)


class _Template(jinja2.Template):
    @classmethod
    def _from_namespace(cls, environment: jinja2.Environment, namespace: MutableMapping[str, Any],
                        globals: MutableMapping[str, Any]) -> jinja2.Template:
        """A compiled template's code, with `_escape` for what `{{ value }}` shows."""
        if namespace.get("escape") is markupsafe.escape:
            namespace["escape"] = _escape
        namespace["_escape_inner"] = _escape_inner  # for what `_CodeGenerator` writes
        return super()._from_namespace(environment, namespace, globals)

    def new_context(self, vars: dict[str, Any] | None = None, shared: bool = False,
                    locals: Mapping[str, Any] | None = None) -> jinja2.runtime.Context:
        """As Jinja's, with the template's globals in one plain dict, made once: Jinja's chain of the
        template's and the environment's globals is walked in Python for every page and every include.
        (Nothing here changes an environment's globals once its templates are loaded.)"""
        flat = self.__dict__.get("_flat_globals")
        if flat is None:
            flat = self._flat_globals = dict(self.globals)
        return jinja2.runtime.new_context(self.environment, self.name, self.blocks, vars, shared, flat, locals)


_DICT_NAMES = frozenset(dir(dict))  # attributes every dict has: `d.items` is the method, as in Jinja


class _CodeGenerator(jinja2.compiler.CodeGenerator):
    @jinja2.compiler.optimizeconst
    def visit_Getattr(self, node: jinja2.nodes.Getattr, frame: jinja2.compiler.Frame) -> None:
        """`value.name`: pages pass their values as plain dicts, whose keys are looked up here, in the
        template's own code; anything else (or a missing key) goes to `environment.getattr` as in Jinja.
        (A call less for each: about 30,000 of an entry page's 1,170,000 instructions, 2 % of the others'.)"""
        if self.environment.is_async or node.attr in _DICT_NAMES:
            super().visit_Getattr(node, frame)
            return
        self.write(f"(_value[{node.attr!r}] if type(_value := ")
        self.visit(node.node, frame)
        self.write(f") is dict and {node.attr!r} in _value else environment.getattr(_value, {node.attr!r}))")

    def visit_Output(self, node: jinja2.nodes.Output, frame: jinja2.compiler.Frame) -> None:
        """Jinja yields each piece of a run of text and `{{ values }}` on its own, and every piece
        climbs through each template above (a page's block, its layout, the page): a third of a page's
        time. The pieces of one run are joined first and yielded once, as a macro's already are."""
        if frame.buffer is not None or len(node.nodes) < 2 or (frame.require_output_check and self.has_known_extends):
            super().visit_Output(node, frame)
            return
        with self._gathered(frame, "_pieces"):
            super().visit_Output(node, frame)

    def _output_child_pre(self, node: jinja2.nodes.Expr, frame: jinja2.compiler.Frame,
                          finalize: jinja2.compiler.CodeGenerator._FinalizeInfo) -> None:
        """`{{ value }}`: a str is escaped in the template's own code, anything else by `_escape` (a call
        less for each: about 23,000 of an entry page's instructions, 2 % of the other pages')."""
        if not self._escaped_here(frame, finalize):
            super()._output_child_pre(node, frame, finalize)
            return
        self.write("(_escape_inner(_shown) if type(_shown := ")

    def _output_child_post(self, node: jinja2.nodes.Expr, frame: jinja2.compiler.Frame,
                           finalize: jinja2.compiler.CodeGenerator._FinalizeInfo) -> None:
        if not self._escaped_here(frame, finalize):
            super()._output_child_post(node, frame, finalize)
            return
        self.write(") is str else escape(_shown))")

    @staticmethod
    def _escaped_here(frame: jinja2.compiler.Frame, finalize: jinja2.compiler.CodeGenerator._FinalizeInfo) -> bool:
        return bool(frame.eval_ctx.autoescape) and not frame.eval_ctx.volatile and finalize.src is None

    def blockvisit(self, nodes: Iterable[jinja2.nodes.Node], frame: jinja2.compiler.Frame) -> None:
        """A block's text is gathered in one list and yielded once, at its end, rather than run by run:
        each piece a block yields climbs through every template above it. (Jinja gathers a macro's
        text the same way.)"""
        if not frame.block_frame or frame.buffer is not None or self.environment.is_async:
            super().blockvisit(nodes, frame)  # (and the bodies of a block's own statements, in its list)
            return
        with self._gathered(frame, "_block_out"):
            super().blockvisit(nodes, frame)

    @contextlib.contextmanager
    def _gathered(self, frame: jinja2.compiler.Frame, name: str) -> Iterator[None]:
        """The text that the code written meanwhile outputs, gathered in the list `name` and yielded once."""
        self.writeline(f"{name} = []")
        frame.buffer = name
        try:
            yield
        finally:
            frame.buffer = None
        self.writeline(f"yield concat({name})")


class _Environment(jinja2.Environment):
    template_class = _Template
    code_generator_class = _CodeGenerator

    def getattr(self, obj: Any, attribute: str) -> Any:
        """As Jinja's: the attribute if there is one, else the item. Pages pass their values as dicts,
        so `entry.title` is a dict's key, which Jinja's way finds only after an AttributeError (half a
        microsecond, thousands of times a page); when no attribute can have the name, the key is
        looked up at once."""
        kind = type(obj)
        names = _KEYED[kind] if kind in _KEYED else _KEYED.setdefault(kind, _keyed(kind))
        if names is not None and attribute not in names:
            try:
                return obj[attribute]
            except KeyError:
                return self.undefined(obj=obj, name=attribute)
        try:
            return getattr(obj, attribute)
        except AttributeError:
            pass
        try:
            return obj[attribute]
        except (TypeError, LookupError, AttributeError):
            return self.undefined(obj=obj, name=attribute)


def environment(folders: list[Path], compiled: dict[str, bytes] | None = None,
                reload: bool = False) -> jinja2.Environment:
    """`compiled`: templates a build compiled before (`Compiled.codes`). `reload`: look at each template's
    time before using it (a stat a page, and one for each include), for a live build: a theme named by
    a path outside the vault is not watched. Otherwise a theme edit makes a new environment."""
    env = _Environment(
        loader=jinja2.FileSystemLoader([str(folder / "templates") for folder in folders]),
        bytecode_cache=Compiled(compiled),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=reload,
        # Every template kept, in a plain dict: Jinja's usual cache (the 400 last used) takes a lock and
        # reorders itself on each look-up, and a template is looked up for every page and every include
        # (each entry a month page lists): 18,000 instructions of an entry page's 1,060,000.
        cache_size=-1,
    )
    return env


def site_keys(env: jinja2.Environment) -> dict[str, frozenset[str] | None]:
    """For each template, the keys of `site` (what every page shares: the problem counts, the PHQ-9
    note…) that a page made with it may show, through the templates it extends, includes or imports;
    None for any of them (`site` passed on whole or looped over, a template named at render time, or
    one that does not parse). A change to one of these keys makes every page that shows it again."""
    loader = env.loader
    assert loader is not None
    own: dict[str, frozenset[str] | None] = {}
    uses: dict[str, set[str | None]] = {}
    for name in env.list_templates(extensions=["html"]):
        try:
            tree = env.parse(loader.get_source(env, name)[0], name)
        except (jinja2.TemplateError, OSError):
            own[name], uses[name] = None, set()
            continue
        own[name] = _site_keys_shown(tree)
        uses[name] = set(jinja2.meta.find_referenced_templates(tree))

    def shown(name: str) -> frozenset[str] | None:
        keys: set[str] = set()
        todo: list[str | None] = [name]
        seen: set[str | None] = {name}
        while todo:
            current = todo.pop()
            if current is None:  # named at render time: it may be any template
                return None
            mine = own.get(current, frozenset())
            if mine is None:
                return None
            keys |= mine
            for other in uses.get(current, ()):
                if other not in seen:
                    seen.add(other)
                    todo.append(other)
        return frozenset(keys)

    return {name: shown(name) for name in own}


def _site_keys_shown(tree: jinja2.nodes.Template) -> frozenset[str] | None:
    """The keys of `site` a template reads (`site.key`, `site["key"]`); None when it uses `site` otherwise."""
    keys: set[str] = set()
    read = 0  # the uses of `site` accounted for
    for node in tree.find_all((jinja2.nodes.Getattr, jinja2.nodes.Getitem)):
        assert isinstance(node, (jinja2.nodes.Getattr, jinja2.nodes.Getitem))
        if not isinstance(node.node, jinja2.nodes.Name) or node.node.name != "site":
            continue
        if isinstance(node, jinja2.nodes.Getattr):
            keys.add(node.attr)
        elif isinstance(node, jinja2.nodes.Getitem) and isinstance(node.arg, jinja2.nodes.Const) \
                and isinstance(node.arg.value, str):
            keys.add(node.arg.value)
        else:
            return None
        read += 1
    names = sum(1 for node in tree.find_all(jinja2.nodes.Name) if node.name == "site")
    return frozenset(keys) if names == read else None


def static_files(folders: list[Path]) -> dict[str, bytes]:
    """Every static file of the theme folders, the first folder's copy winning, keyed `assets/<path>`."""
    found: dict[str, bytes] = {}
    for folder in reversed(folders):
        static = folder / "static"
        if not static.is_dir():
            continue
        for path in sorted(static.rglob("*")):
            if path.is_file() and not path.is_symlink() and not path.name.startswith("."):
                found["assets/" + path.relative_to(static).as_posix()] = path.read_bytes()
    return dict(sorted(found.items()))
