"""Where the folders that ship with goalsite are: the built-in themes and the example vault.

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
