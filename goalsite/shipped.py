"""Where the folders that ship with goalsite are: the built-in themes and the example vault.

An installed wheel carries them as `goalsite.themes` and `goalsite.example_vault`
(pyproject maps the top-level folders there). An editable install or a source
checkout has no such packages, so the folders beside the package are used.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

_SOURCE_ROOT = Path(__file__).resolve().parent.parent


def shipped_folder(name: str) -> Path:
    """`themes` or `example_vault`."""
    try:
        folder = Path(str(resources.files(f"goalsite.{name}")))
        if folder.is_dir():
            return folder
    except (ModuleNotFoundError, TypeError):
        pass
    return _SOURCE_ROOT / name
