"""What every `tierbot` command shares: `--db`, `--json`, opening the store, printing answers,
and turning tierbot's errors into one clear message and an exit code."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from bot.config import app_clock, load_settings
from engine.errors import InvalidRows, TierbotError
from workflows.clock import today
from workflows.outputs import FORCE_HELP

if TYPE_CHECKING:
    from store import Store

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
_DB_KEY = "tierbot.db"


def _remember_db(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value:
        ctx.meta[_DB_KEY] = value


def db_option(f: Callable[..., Any]) -> Callable[..., Any]:
    """`--db PATH`, accepted before or after the command name."""
    return click.option(
        "--db",
        metavar="PATH",
        expose_value=False,
        callback=_remember_db,
        help="SQLite store to use (default: $TIERBOT_DB, else ./tierbot.db).",
    )(f)


_JSON_KEY = "tierbot.json"


def _remember_json(ctx: click.Context, param: click.Parameter, value: bool) -> bool:
    if value:
        ctx.meta[_JSON_KEY] = True
    return value


def json_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--json", "as_json", is_flag=True, callback=_remember_json, help="Print JSON for scripts (errors too)."
    )(f)


def force_option(f: Callable[..., Any]) -> Callable[..., Any]:
    """`--force`: write the output file even over a SQLite database (the store in use included)."""
    return click.option("--force", is_flag=True, help=FORCE_HELP)(f)


def store_path() -> Path:
    """The store this command uses (--db, else $TIERBOT_DB, else ./tierbot.db)."""
    return load_settings(click.get_current_context().meta.get(_DB_KEY)).db


def open_cli_store(create: bool = False, scratch_if_missing: bool = False) -> Store:
    """The store for this command; only commands that add data may create a new one.

    ``scratch_if_missing``: when there is no store yet, an empty one in memory (a dry run
    compares with it and leaves no file behind).
    """
    from store import open_store

    ctx = click.get_current_context()
    settings = load_settings(ctx.meta.get(_DB_KEY))
    clock = app_clock()
    path = ":memory:" if scratch_if_missing and not settings.db.exists() else settings.db
    store = open_store(path, create=create or path == ":memory:", today=lambda: today(clock).isoformat())
    ctx.call_on_close(store.close)
    return store


def progress(message: str) -> None:
    click.echo(message, err=True)


def emit(value: Any, as_json: bool) -> None:
    from bot.render import render, to_json  # loads only the renderers of this answer's domain

    click.echo(to_json(value) if as_json else render(value))


class TierbotGroup(click.Group):
    """Turns tierbot's errors into one clear message and an exit code, in one place."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except InvalidRows as exc:
            from bot.render import problems_text

            click.echo(f"Error: {exc}", err=True)
            report = exc.report
            if report is not None:
                click.echo(problems_text(exc.problems, report.errors + report.warnings, report.errors_file), err=True)
            ctx.exit(1)
        except TierbotError as exc:
            if ctx.meta.get(_JSON_KEY):
                failure = {"error": str(exc), "kind": type(exc).__name__, **exc.details()}
                click.echo(json.dumps(failure, ensure_ascii=False, default=str))
                ctx.exit(1)
            raise click.ClickException(str(exc)) from None
        except KeyboardInterrupt:
            click.echo("Interrupted: the store is as it was before this command.", err=True)
            ctx.exit(130)
