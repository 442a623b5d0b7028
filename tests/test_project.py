"""The project keeps its promises: the README's two commands are real, and CI runs the test one."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def readme_commands() -> list[str]:
    block = re.search(r"```sh\n(.*?)```", (ROOT / "README.md").read_text(encoding="utf-8"), re.DOTALL)
    assert block is not None
    return [line for line in block.group(1).splitlines() if line.strip()]


def test_readme_opens_with_two_commands() -> None:
    install, test = readme_commands()
    assert install.startswith("python3 -m pip install . && goalsite build example_vault")
    assert "pytest" in test


def test_ci_runs_the_readme_test_command() -> None:
    _install, test = readme_commands()
    assert test in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()


def test_the_wheel_carries_the_theme_and_the_example_vault(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "--wheel-dir", str(tmp_path), str(ROOT)], check=True, capture_output=True)
    (wheel,) = tmp_path.glob("goalsite-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in ("goalsite/themes/default/templates/base.html", "goalsite/themes/default/templates/index.html",
                 "goalsite/themes/default/static/goalsite.css", "goalsite/example_vault/goalsite.yaml",
                 "goalsite/example_vault/START HERE.md", "goalsite/example_vault/goals/sleep-schedule.md",
                 "goalsite/example_vault/journal/2026/2026-11-21.md"):
        assert name in names
    shipped = {name for name in names if name.startswith("goalsite/example_vault/")}
    on_disk = {"goalsite/" + path.relative_to(ROOT).as_posix() for path in (ROOT / "example_vault").rglob("*")
               if path.is_file()}
    assert shipped == on_disk

    # The unpacked wheel, not this checkout, builds the dashboard and makes a new vault.
    installed = tmp_path / "installed"
    zipfile.ZipFile(wheel).extractall(installed)
    env = {**os.environ, "PYTHONPATH": str(installed)}
    where = subprocess.run([sys.executable, "-c", "import goalsite; print(goalsite.__file__)"], env=env,
                           cwd=tmp_path, capture_output=True, text=True, check=True).stdout.strip()
    assert where == str(installed / "goalsite" / "__init__.py")
    built = subprocess.run([sys.executable, "-m", "goalsite", "build", str(ROOT / "example_vault"), "-o",
                            str(tmp_path / "site")], env=env, cwd=tmp_path, capture_output=True, text=True,
                           check=False)
    assert built.returncode == 0, built.stderr
    assert (tmp_path / "site" / "assets" / "goalsite.css").is_file()
    made = subprocess.run([sys.executable, "-m", "goalsite", "init", str(tmp_path / "vault")], env=env,
                          cwd=tmp_path, capture_output=True, text=True, check=False)
    assert made.returncode == 0, made.stderr
    assert (tmp_path / "vault" / "goals" / "sleep-schedule.md").is_file()
