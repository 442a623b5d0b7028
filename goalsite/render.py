"""Jinja2, set up safely: autoescape everywhere, StrictUndefined, theme folders in order."""

from __future__ import annotations

from pathlib import Path

import jinja2

from goalsite.shipped import theme_folders

__all__ = ["environment", "static_files", "theme_folders"]


def environment(folders: list[Path]) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(folder / "templates") for folder in folders]),
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
