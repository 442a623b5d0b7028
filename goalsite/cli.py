"""The command line: parse options, call one function, turn the result into words and an exit code."""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import importlib
import json
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from goalsite import __version__
from goalsite.errors import ExitCode, Problem, Severity, UsageError, count_problems

F = TypeVar("F", bound=Callable[..., Any])
SEVERITY_COLOURS = {Severity.ERROR: "red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


def _colour() -> bool | None:
    return False if os.environ.get("NO_COLOR") else None  # None: Click decides (colour only on a terminal)


def _echo(text: str, err: bool = False) -> None:
    click.echo(text, err=err, color=_colour())


def _plural(count: int, word: str, plural: str | None = None) -> str:
    return f"{count} {word if count == 1 else plural or word + 's'}"


def summary(problems: Sequence[Problem], files: int) -> str:
    counts = count_problems(problems)
    if not counts["error"] and not counts["warning"]:
        notes = f" ({_plural(counts['info'], 'note')})" if counts["info"] else ""
        return f"No problems in {_plural(files, 'file')}{notes}."
    parts = [_plural(counts["error"], "error"), _plural(counts["warning"], "warning")]
    if counts["info"]:
        parts.append(_plural(counts["info"], "note"))
    return f"{', '.join(parts)} in {_plural(files, 'file')}."


def format_problem(problem: Problem) -> str:
    severity = click.style(problem.severity.word, fg=SEVERITY_COLOURS[problem.severity], bold=True)
    line = f"{problem.location}: {severity} {problem.code} {problem.message}"
    if problem.hint:
        line += "\n    " + problem.hint.replace("\n", "\n    ")
    return line


def _progress() -> Callable[[int, int], None] | None:
    """A line that counts files on a terminal; nothing at all in a pipe or a file."""
    if not sys.stderr.isatty():
        return None

    def show(done: int, total: int) -> None:
        line = f"Reading {done:,} of {total:,} files…" if done < total else ""
        sys.stderr.write("\r" + line.ljust(40) + "\r")  # the last call clears the line
        sys.stderr.flush()

    return show


def _parse_day(_ctx: click.Context, _param: click.Parameter, value: str | None) -> dt.date | None:
    from goalsite.fields import FarDate, parse_date  # here: a command that needs no date starts quicker

    if value is None:
        return None
    try:
        day = parse_date(value) if len(value) == 10 else None
    except FarDate as far:
        raise click.BadParameter(f"{value} is {far}.") from None
    except ValueError:
        day = None
    if day is None:
        raise click.BadParameter(f"“{value}” is not a date; write it as YYYY-MM-DD.")
    return day


def _debugging() -> bool:
    """Whether `goalsite --debug` was given."""
    return bool(click.get_current_context().find_root().params.get("debug"))


def handled(command: F) -> F:
    """One exit point: UsageError → its sentence and exit 2; anything unexpected → one line (a traceback with --debug)."""

    @wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        debug = _debugging()
        try:
            return command(*args, **kwargs)
        except UsageError as error:
            _echo(f"goalsite: {error}", err=True)
            sys.exit(error.exit_code)
        except (click.exceptions.Exit, click.ClickException, SystemExit):
            raise
        except KeyboardInterrupt:
            _echo("goalsite: stopped.", err=True)
            sys.exit(130)
        except BrokenPipeError:  # what reads the output stopped reading (`| head`): the work is done, say nothing
            with contextlib.suppress(OSError):  # (and Python's own flush at exit has nowhere to fail)
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(ExitCode.PROBLEMS)
        except Exception as error:
            if debug:
                traceback.print_exc()
            _echo(f"goalsite: something went wrong that goalsite did not expect ({type(error).__name__}: {error}). "
                  "Your files were not changed. Run again with --debug to see the details.", err=True)
            sys.exit(ExitCode.PROBLEMS)

    return run  # type: ignore[return-value]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="goalsite")
@click.option("--debug", is_flag=True, help="Show the full details (a traceback) when something goes wrong.")
def main(debug: bool) -> None:
    """Follow your therapy goals in plain text, and see them on a private dashboard."""


VAULT = click.argument("vault", default=".", type=click.Path(file_okay=True, path_type=Path))
TODAY = click.option("--today", callback=_parse_day, metavar="YYYY-MM-DD",
                     help="Compute as if today were this day (default: today in the vault's timezone).")


@main.command()
@VAULT
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--strict", is_flag=True, help="Exit 1 on warnings too.")
@TODAY
@handled
def check(vault: Path, output_format: str, strict: bool, today: dt.date | None) -> None:
    """Check every goal letter by letter (SMART) and every file for problems."""
    from goalsite.build import checked
    from goalsite.load import load_vault
    from goalsite.vault import vault_folder

    gc.disable()  # one reading, then the process ends
    last = checked(vault, today, _progress())  # from the last build's state: only changed files are read
    if last is not None:
        problems, files_read = last
    else:
        model, _today = load_vault(vault_folder(vault), today, progress=_progress())
        problems, files_read = tuple(model.problems), model.files_read
    if output_format == "json":
        data = {"problems": [problem.as_json() for problem in problems], "counts": count_problems(problems)}
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        for problem in problems:
            _echo(format_problem(problem))
        _echo(summary(problems, files_read))
    sys.exit(_exit_code(problems, strict))


def _exit_code(problems: Sequence[Problem], strict: bool) -> ExitCode:
    counts = count_problems(problems)
    if counts["error"] or (strict and counts["warning"]):
        return ExitCode.PROBLEMS
    return ExitCode.OK


@main.command()
@VAULT
@click.option("-o", "--output", type=click.Path(path_type=Path),
              help="The folder to build into (default: <vault-name>-site beside the vault, or `output:` in settings).")
@click.option("--strict", is_flag=True, help="Exit 1 when there are errors or warnings (the site is still written).")
@click.option("--fresh", is_flag=True, help="Read and render everything, ignoring what the last build left.")
@TODAY
@handled
def build(vault: Path, output: Path | None, strict: bool, fresh: bool, today: dt.date | None) -> None:
    """Build the dashboard (again: only what changed since the last build is read and rendered)."""
    from goalsite.output import WriteReport
    from goalsite.state import look

    gc.disable()  # one build, then the process ends: the cycle collector would only walk the model again and again
    # While a forked process looks for changes, this one gets ready to build: the build's modules, and the
    # model (what a build after a change needs first; not loaded to the end when nothing changed).
    seen = None if fresh else look(vault, output, today, load=True,
                                   meanwhile=lambda: [importlib.import_module(name)
                                                      for name in ("goalsite.build", "goalsite.render")])
    if seen is not None and seen.unchanged and seen.summary is not None:
        last, out = seen.summary, seen.out  # nothing changed: say what the last build said, without waiting for the model
        problems, goals, entries, files_read = last.problems, last.goals, last.entries, last.files_read
        report = WriteReport((), len(last.outputs), ())
    else:
        from goalsite.build import build as build_site

        result = build_site(vault, output, today, _progress(), fresh=fresh, seen=seen)
        problems, out, report = result.vault.problems, result.output, result.report
        goals, entries, files_read = len(result.vault.goals), len(result.vault.entries), result.vault.files_read
    for problem in problems:
        if problem.severity != Severity.INFO:
            _echo(format_problem(problem), err=True)
    changed = f"{_plural(len(report.written), 'file')} written, {report.unchanged} unchanged"
    if report.removed:
        changed += f", {len(report.removed)} removed"
    _echo(f"Built the dashboard of {_plural(goals, 'goal')} and "
          f"{_plural(entries, 'entry', 'entries')} into {out} ({changed}).")
    _echo(summary(problems, files_read))
    counts = count_problems(problems)
    sys.exit(ExitCode.PROBLEMS if strict and (counts["error"] or counts["warning"]) else ExitCode.OK)


@main.command()
@click.argument("folder", default=".", type=click.Path(path_type=Path))
@handled
def init(folder: Path) -> None:
    """Make a new vault from the example, with a short guide inside. Never overwrites."""
    from goalsite.scaffold import init_vault

    created = init_vault(folder)
    _echo(f"Made a new vault in {folder} ({_plural(len(created), 'file')}). "
          f"Start with “{folder / 'START HERE.md'}”, then run: goalsite build {folder}")


@main.group()
def new() -> None:
    """Make a new goal or journal entry from a template; prints its path."""


@new.command("goal")
@click.argument("title")
@click.option("--vault", "vault", default=".", type=click.Path(path_type=Path), show_default=True)
@TODAY
@handled
def new_goal(title: str, vault: Path, today: dt.date | None) -> None:
    """A goal file from a commented SMART template."""
    from goalsite.config import load_settings, today_in
    from goalsite.scaffold import new_goal as make_goal
    from goalsite.vault import vault_folder

    root = vault_folder(vault)
    settings, _problems = load_settings(root)
    click.echo(make_goal(root, settings, title, today or today_in(settings)))


@new.command("entry")
@click.option("--date", "day", callback=_parse_day, metavar="YYYY-MM-DD", help="The entry's day (default: today).")
@click.option("--vault", "vault", default=".", type=click.Path(path_type=Path), show_default=True)
@handled
def new_entry(day: dt.date | None, vault: Path) -> None:
    """A journal entry for today (or --date)."""
    from goalsite.config import load_settings, today_in
    from goalsite.scaffold import new_entry as make_entry
    from goalsite.vault import vault_folder

    root = vault_folder(vault)
    settings, _problems = load_settings(root)
    click.echo(make_entry(root, settings, day or today_in(settings)))


def _stop_as_ctrl_c() -> None:
    """A live command asked to end by SIGTERM (a service manager, `kill`) or SIGHUP (its terminal closed)
    stops as with Ctrl-C: the watcher and the server are closed and "Stopped." is said. Without this the
    process ended at once, mid-sentence. A forked worker that inherits the handler ends as it would have."""
    parent = os.getpid()

    def stop(number: int, _frame: object) -> None:
        if os.getpid() != parent:
            signal.signal(number, signal.SIG_DFL)
            os.kill(os.getpid(), number)
            return
        raise KeyboardInterrupt

    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), stop)


def _live(vault: Path, output: Path | None, poll: bool, today: dt.date | None, port: int | None,
          open_browser: bool) -> None:
    """Build, then rebuild what each change touches (and serve it, with a port) until Ctrl-C."""
    from goalsite.build import Builder, BuildResult
    from goalsite.serve import LiveState, PreviewServer
    from goalsite.watch import Watcher

    if threading.current_thread() is threading.main_thread():  # (only there can a handler be set)
        _stop_as_ctrl_c()
    builder = Builder(vault, output, today, live=True)
    state = LiveState() if port is not None else None
    server = PreviewServer(port, state, lambda text: _echo(text, err=True), _debugging()) \
        if state is not None and port is not None else None

    def built(result: BuildResult) -> None:
        errors = [p for p in result.vault.problems if p.severity == Severity.ERROR]
        report = result.report
        _echo(f"{dt.datetime.now():%H:%M:%S} {_plural(len(result.rendered), 'page')} rendered, "
              f"{_plural(len(report.written), 'file')} written, {len(report.removed)} removed. "
              + summary(result.vault.problems, result.vault.files_read))
        for problem in errors:
            _echo(format_problem(problem))
        if state is not None:
            state.built(result, builder.site())

    def failed(error: Exception) -> None:
        _echo(f"{dt.datetime.now():%H:%M:%S} goalsite could not use this change, so the dashboard stays as it was: "
              f"{error}", err=True)
        if state is not None:
            state.failed(error)

    watcher = Watcher(builder, poll, built, failed, lambda text: _echo(text, err=True),
                      state.first_look if state is not None else None)
    thread = None
    try:
        watcher.start()
        if server is not None:
            thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2},
                                      name="goalsite-serve", daemon=True)
            thread.start()
            _echo(f"Serving the dashboard at {server.url} (only to this computer). Press Ctrl-C to stop.")
            if open_browser:
                import webbrowser

                webbrowser.open(server.url)
        else:
            _echo(f"Watching {builder.root} for changes, building into {builder.out}. Press Ctrl-C to stop.")
        while True:
            time.sleep(0.2)
    except KeyboardInterrupt:
        _echo("Stopped.")
    finally:
        watcher.stop()
        if state is not None:
            state.close()
        if server is not None:
            if thread is not None:
                server.shutdown()
            server.server_close()


POLL = click.option("--poll", is_flag=True,
                    help="Look for changes by polling: for network drives, Docker and some cloud folders.")


@main.command()
@VAULT
@click.option("-o", "--output", type=click.Path(path_type=Path), help="The folder to build into.")
@POLL
@TODAY
@handled
def watch(vault: Path, output: Path | None, poll: bool, today: dt.date | None) -> None:
    """Build, then rebuild what each change touches, until Ctrl-C."""
    _live(vault, output, poll, today, None, False)


@main.command()
@VAULT
@click.option("-o", "--output", type=click.Path(path_type=Path), help="The folder to build into.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
@click.option("--open", "open_browser", is_flag=True, help="Open the dashboard in the browser.")
@POLL
@TODAY
@handled
def serve(vault: Path, output: Path | None, port: int, open_browser: bool, poll: bool, today: dt.date | None) -> None:
    """Watch, and show the dashboard on http://127.0.0.1 with live reload."""
    _live(vault, output, poll, today, port, open_browser)


def entry() -> None:
    """The `goalsite` command. A build holds hundreds of thousands of small objects; freeing them one
    by one as the interpreter ends took a sixth of a small build's time. So once the command is done,
    with every file written and closed, and its output flushed, the process ends at once."""
    try:
        main()
        code: int = ExitCode.OK
    except SystemExit as stop:
        if isinstance(stop.code, str):
            _echo(stop.code, err=True)
        code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # closed, or a pipe whose reader left
            stream.flush()
    os._exit(code)
