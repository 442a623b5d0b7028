"""goalsite's modules compiled to bytecode before anything is timed.

`pip install .` compiles a package's modules when it installs them, so a person's `goalsite` starts
from bytecode. An editable install (`pip install -e`) does not, and with PYTHONDONTWRITEBYTECODE set
(as on some machines and CI images) Python compiles goalsite's source again in every run: about
60 ms that no installed copy pays. The peers were installed from PyPI, compiled.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path


def compile_goalsite() -> None:
    spec = importlib.util.find_spec("goalsite")
    if spec is None or spec.origin is None:
        return  # not importable from this Python: the command found on PATH brings its own
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(Path(spec.origin).parent)], check=False,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
