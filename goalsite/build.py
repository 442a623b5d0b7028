"""Wiring the stages: settings → output checks → vault → analysis → pages → written site."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

import jinja2

from goalsite.analysis import Analysis, analyse
from goalsite.config import load_settings
from goalsite.errors import UsageError
from goalsite.export import goals_json, measurements_csv
from goalsite.load import Progress, load_vault
from goalsite.model import Vault
from goalsite.output import WriteReport, check_output, write_site
from goalsite.pages import calendar_ics, plan_pages, search_index
from goalsite.render import environment, static_files, theme_folders
from goalsite.views import Site

# Nothing but the site's own files: no network, no inline script or style, no forms, no <base>.
# `file:` next to 'self' because browsers disagree on what 'self' means for a page opened from disk.
CSP = ("default-src 'none'; script-src 'self' file:; style-src 'self' file:; img-src 'self' file: data:; "
       "connect-src 'none'; form-action 'none'; base-uri 'none'; object-src 'none'; frame-src 'none'")


@dataclass(frozen=True)
class BuildResult:
    vault: Vault
    analysis: Analysis
    output: Path
    report: WriteReport


def vault_folder(path: Path | str) -> Path:
    folder = Path(path)
    if not folder.exists():
        raise UsageError(f"There is no folder {path}; give the path of your vault (the folder with goals/ and journal/).")
    if not folder.is_dir():
        raise UsageError(f"{path} is a file, not a folder; give the path of your vault.")
    return Path(os.path.realpath(folder))


def default_output(vault: Path, configured: str | None) -> Path:
    if configured:
        return (vault / Path(configured).expanduser()).absolute()
    return vault.parent / f"{vault.name}-site"


def render_site(vault: Vault, analysis: Analysis) -> dict[str, bytes]:
    """Every file of the site, by its path."""
    folders = theme_folders(vault.root, vault.settings.theme)
    env = environment(folders)
    site = Site(vault, analysis)
    shared = site.site_context()
    files = static_files(folders)
    for page in plan_pages(site):
        info = page.info
        try:
            html = env.get_template(page.template).render(site=shared, page=info, csp=CSP, **page.context(info))
        except jinja2.TemplateError as error:
            where = f"{error.filename}:{error.lineno}: " if isinstance(error, jinja2.TemplateSyntaxError) else ""
            raise UsageError(f"The theme has a problem, so no page was written: {where}{error.message}. "
                             "Fix the template in your theme folder, or remove it to use the default.") from error
        files[page.path] = html.encode("utf-8")
    files["calendar.ics"] = calendar_ics(site)
    files["data/search-index.js"] = search_index(site)
    files["data/goals.json"] = goals_json(vault, analysis)
    files["data/measurements.csv"] = measurements_csv(vault, analysis)
    return files


def build(vault_path: Path | str, output: Path | str | None = None, today: dt.date | None = None,
          progress: Progress | None = None) -> BuildResult:
    root = vault_folder(vault_path)
    settings, setting_problems = load_settings(root)
    target = Path(output).absolute() if output is not None else default_output(root, settings.output)
    out = check_output(target, root)
    vault, today = load_vault(root, today, out, (settings, setting_problems), progress)
    analysis = analyse(vault, today)
    report = write_site(out, render_site(vault, analysis))
    return BuildResult(vault, analysis, out, report)
