"""Small vaults written into tmp_path, and helpers that read them the way the command does."""

from __future__ import annotations

import datetime as dt
import os
import signal
import textwrap
from pathlib import Path

import pytest

from goalsite.analysis import Analysis, analyse
from goalsite.errors import Problem
from goalsite.load import load_vault
from goalsite.model import Vault

TODAY = dt.date(2026, 11, 21)

GOOD_GOAL = """\
---
title: Stick to a sleep schedule
created: 2026-09-01
specific: In bed by 23:00 and up by 07:00 on weeknights.
measurable: {field: nights, baseline: 1, target: 5, per: week}
achievable: I already manage it at weekends.
relevant: Rested mornings make it easier to stay calm.
due: 2026-12-15
review_every: 2 weeks
---
Notes.
"""


def as_in_a_terminal() -> None:
    """For a command a test stops with Ctrl-C: Ctrl-C stops it, as it does a command run in a terminal,
    even where the tests themselves run in the background of a script (which ignores Ctrl-C, and so would
    every command it starts; Python keeps an ignored Ctrl-C ignored)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def no_process_left() -> bool:
    """Whether every process this one forked has ended and been waited for (none left as a zombie)."""
    try:
        os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


def write(root: Path, rel: str, text: str | bytes) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(textwrap.dedent(text) if text.startswith("\n") else text, encoding="utf-8", newline="")
    return path


@pytest.fixture
def vault(tmp_path: Path) -> Path:
    root = tmp_path / "vault"
    root.mkdir()
    return root


def load(root: Path, today: dt.date = TODAY) -> Vault:
    return load_vault(root, today)[0]


def analysed(root: Path, today: dt.date = TODAY) -> tuple[Vault, Analysis]:
    model = load(root, today)
    return model, analyse(model, today)


def codes(problems: tuple[Problem, ...] | list[Problem], file: str | None = None) -> list[tuple[str, int, int, str]]:
    """(file, line, column, code) of each problem, optionally of one file."""
    return [(p.location.file, p.location.line, p.location.column, p.code)
            for p in problems if file is None or p.location.file == file]


def snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    """Every file's bytes and modification time, to prove nothing was touched."""
    return {p.relative_to(root).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(autouse=True, scope="session")
def _own_cache_folder(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The build state's signing key is made in the user's cache folder: the tests' own, not the user's."""
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("cache"))


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true",
                     help="rewrite tests/golden/ from the current build of the example vault")
