"""Jinja2, set up safely: autoescape everywhere, StrictUndefined, theme folders in order."""

from __future__ import annotations

from pathlib import Path

import jinja2
import jinja2.bccache

from goalsite.shipped import theme_folders

__all__ = ["Compiled", "environment", "static_files", "theme_folders"]


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


def environment(folders: list[Path], compiled: dict[str, bytes] | None = None) -> jinja2.Environment:
    """`compiled`: templates a build compiled before (`Compiled.codes`)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(folder / "templates") for folder in folders]),
        bytecode_cache=Compiled(compiled),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    return env


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
