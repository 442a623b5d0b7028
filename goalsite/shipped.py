"""Where the folders that ship with goalsite are: the built-in themes and the example vault,
and which theme folders a vault uses.

A wheel carries them inside the package (`goalsite/themes`, `goalsite/example_vault`:
pyproject maps the top-level folders there). A source checkout or an editable
install has them beside the package instead.
"""

from __future__ import annotations

from pathlib import Path

from goalsite.errors import UsageError

_PACKAGE = Path(__file__).resolve().parent


def shipped_folder(name: str) -> Path:
    """`themes` or `example_vault`."""
    for folder in (_PACKAGE / name, _PACKAGE.parent / name):
        if folder.is_dir():
            return folder
    raise UsageError(f"goalsite's {name.replace('_', ' ')} folder is missing from this installation; "
                     "reinstall goalsite.")


def builtin_theme(name: str = "default") -> Path:
    return shipped_folder("themes") / name


def theme_folders(vault: Path, theme: str) -> list[Path]:
    """Where templates and static files are looked up, first match wins: the vault's `theme/`,
    a theme named in settings (a built-in name, or a path relative to the vault), then the default."""
    folders = [vault / "theme"]
    if theme != "default":
        named = builtin_theme(theme)
        folders.append(named if named.is_dir() else (vault / theme))
    folders.append(builtin_theme("default"))
    return [folder for folder in folders if folder.is_dir()]  # the default always exists (shipped_folder checks)
