"""`tierbot` on the command line. Conventions follow sqlite-utils: `-h`, an example in every help
text, tables for people, `--json` (and `--csv` for tables) for scripts, a non-zero exit with a
one-sentence message on failure."""

from __future__ import annotations

import csv
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from bot.chat import run_chat
from bot.config import load_settings, local_actor
from bot.render import fields_text, problems_text, render, to_json
from bot.router import Session
from engine.errors import InvalidRows, TierbotError
from engine.fields import TABLE_SPECS, describe_fields
from engine.validation import ImportOptions
from store import Store, audit, open_store
from workflows.clock import SystemClock
from workflows.demo import load_demo
from workflows.exporting import export_accounts
from workflows.gaps import data_gaps
from workflows.importing import import_table
from workflows.lookup import find_account
from workflows.status import workspace_status

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


def json_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")(f)


def _store() -> Store:
    ctx = click.get_current_context()
    settings = load_settings(ctx.meta.get(_DB_KEY))
    store = open_store(settings.db)
    ctx.call_on_close(store.close)
    return store


def _progress(message: str) -> None:
    click.echo(message, err=True)


def _emit(value: Any, as_json: bool) -> None:
    click.echo(to_json(value) if as_json else render(value))


class TierbotGroup(click.Group):
    """Turns tierbot's errors into one clear message and an exit code, in one place."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except InvalidRows as exc:
            click.echo(f"Error: {exc}", err=True)
            report = exc.report
            if report is not None:
                click.echo(
                    problems_text(exc.problems, report.errors + report.warnings, report.errors_file), err=True
                )
            ctx.exit(1)
        except TierbotError as exc:
            raise click.ClickException(str(exc)) from None
        except KeyboardInterrupt:
            click.echo("Interrupted: the store is as it was before this command.", err=True)
            ctx.exit(130)


@click.group(cls=TierbotGroup, context_settings=CONTEXT)
@db_option
@click.version_option(package_name="tierbot", prog_name="tierbot")
def cli() -> None:
    """tierbot: segmentation and territory planning for Customer Success teams.

    \b
    Start with the demo workspace, then ask about it:
        tierbot demo
        tierbot accounts find acme
        tierbot gaps
        tierbot chat
    """


# ---------------------------------------------------------------------------------- import


@cli.group(name="import", cls=TierbotGroup, context_settings=CONTEXT)
def import_group() -> None:
    """Import a CRM export of accounts or the CSM roster (CSV or XLSX).

    \b
    Example:
        tierbot import accounts salesforce-accounts.csv
        tierbot import csms roster.xlsx
    """


def _import_options(f: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.argument("file", type=click.Path(path_type=Path)),
        click.option(
            "--map",
            "mappings",
            multiple=True,
            metavar='FIELD="Header"',
            help='Read a field from a column of your choice: --map arr="Contract Value". Repeatable.',
        ),
        click.option(
            "--decimal-comma", is_flag=True, help="Numbers are written 1.234,56 (comma as decimal point)."
        ),
        click.option(
            "--date-format",
            metavar="FORMAT",
            help="How to read dates like 03/04/2025: DMY, MDY, YMD, or a pattern such as %d.%m.%Y.",
        ),
        click.option(
            "--skip-invalid", is_flag=True, help="Import the good rows and leave out rows with errors."
        ),
        click.option(
            "--dry-run", is_flag=True, help="Check the file and say what would change; write nothing."
        ),
        click.option(
            "--errors-file",
            type=click.Path(path_type=Path),
            help="Where to write every problem found (default: FILE.errors.csv beside the file).",
        ),
        click.option(
            "--sheet", metavar="NAME", help="Sheet of an XLSX workbook to read (default: the first)."
        ),
        json_option,
        db_option,
    ]
    for option in reversed(options):
        f = option(f)
    return f


def _parse_mappings(mappings: tuple[str, ...]) -> dict[str, str]:
    parsed: dict[str, str] = {}
    for item in mappings:
        field, sep, header = item.partition("=")
        if not sep or not field.strip() or not header.strip():
            raise click.BadParameter(
                f'`{item}` is not FIELD="Header", e.g. arr="Contract Value".', param_hint="--map"
            )
        parsed[field.strip()] = header.strip().strip('"').strip("'")
    return parsed


def _run_import(
    kind: str,
    file: Path,
    mappings: tuple[str, ...],
    decimal_comma: bool,
    date_format: str | None,
    skip_invalid: bool,
    dry_run: bool,
    errors_file: Path | None,
    sheet: str | None,
    as_json: bool,
) -> None:
    options = ImportOptions(
        mapping=_parse_mappings(mappings), decimal_comma=decimal_comma, date_format=date_format
    )
    store = _store()
    try:
        report = import_table(
            store,
            file,
            kind,
            actor=local_actor("cli"),
            clock=SystemClock(),
            options=options,
            skip_invalid=skip_invalid,
            dry_run=dry_run,
            errors_file=errors_file,
            sheet=sheet,
            progress=_progress,
        )
    except InvalidRows as exc:
        if as_json and exc.report is not None:
            click.echo(to_json(exc.report))
            sys.exit(1)
        raise
    _emit(report, as_json)


def _import_command(kind: str, help_text: str) -> click.Command:
    """`tierbot import <kind> FILE`: the same options and care for accounts and the roster."""

    @import_group.command(name=kind, context_settings=CONTEXT, help=help_text)
    @_import_options
    def command(**options: Any) -> None:
        _run_import(kind, **options)

    return command


import_accounts = _import_command(
    "accounts",
    """Import accounts from a CRM export. Nothing is written if any row has an error.

    Headers are recognised by their usual spellings ("Account Name", "ARR (USD)", "Billing
    Country"…; see `tierbot fields`); re-importing the same file changes nothing, and an
    updated export changes only what changed (see `tierbot audit`).

    \b
    Examples:
        tierbot import accounts accounts.csv
        tierbot import accounts export.csv --map arr="Contract Value" --date-format DMY
        tierbot import accounts export.xlsx --sheet Accounts --skip-invalid
    """,
)
import_csms = _import_command(
    "csms",
    """Import the CSM roster: names, emails, Slack ids, roles, capacity, cost, managers.

    Accounts whose owner was written as a CSM's name or email are linked to the CSM.

    \b
    Example:
        tierbot import csms roster.csv
    """,
)


@import_group.command(name="status", context_settings=CONTEXT)
@json_option
@db_option
def import_status(as_json: bool) -> None:
    """What the store holds and the latest imports.

    \b
    Example:
        tierbot import status
    """
    _emit(workspace_status(_store()), as_json)


# ---------------------------------------------------------------------------------- look and check


@cli.command(context_settings=CONTEXT)
@json_option
@click.option("--csv", "as_csv", is_flag=True, help="Print the table as CSV.")
@db_option
def gaps(as_json: bool, as_csv: bool) -> None:
    """Which fields are blank on how many accounts and CSMs, and what each gap blocks.

    \b
    Example:
        tierbot gaps
    """
    report = data_gaps(_store())
    if as_csv:
        writer = csv.writer(sys.stdout)
        writer.writerow(["table", "field", "missing", "total", "share", "blocks"])
        for g in report.gaps:
            writer.writerow([g.table, g.field, g.missing, g.total, round(g.share, 4), "; ".join(g.blocks)])
        return
    _emit(report, as_json)


@cli.group(cls=TierbotGroup, context_settings=CONTEXT)
def accounts() -> None:
    """Look accounts up.

    \b
    Example:
        tierbot accounts find acme
    """


@accounts.command(name="find", context_settings=CONTEXT)
@click.argument("text", nargs=-1, required=True)
@json_option
@db_option
def accounts_find(text: tuple[str, ...], as_json: bool) -> None:
    """Find an account by CRM id, name, part of a name or a misspelling.

    \b
    Examples:
        tierbot accounts find acme
        tierbot accounts find "Acmee Corp"
        tierbot accounts find ACC-0000001
    """
    _emit(find_account(_store(), " ".join(text)), as_json)


@cli.group(name="export", cls=TierbotGroup, context_settings=CONTEXT)
def export_group() -> None:
    """Export data for the CRM.

    \b
    Example:
        tierbot export accounts tiers.csv
    """


@export_group.command(name="accounts", context_settings=CONTEXT)
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--columns", metavar="A,B,…", help="Only these columns, e.g. crm_id,tier.")
@json_option
@db_option
def export_accounts_command(file: Path, columns: str | None, as_json: bool) -> None:
    """Write every account with its Tier column to FILE (.csv or .xlsx), ready to upload to the CRM.

    Headers are your CRM's own (from the latest import). Cells that a spreadsheet would run as
    a formula are neutralised.

    \b
    Examples:
        tierbot export accounts tiers.csv
        tierbot export accounts tiers.xlsx --columns crm_id,tier
    """
    wanted = [c.strip() for c in columns.split(",") if c.strip()] if columns else None
    _emit(export_accounts(_store(), file, wanted), as_json)


@cli.command(context_settings=CONTEXT)
@click.argument("table", type=click.Choice(sorted(TABLE_SPECS)), default="accounts")
@json_option
@db_option
def fields(table: str, as_json: bool) -> None:
    """The fields tierbot imports and the header spellings it recognises for each.

    \b
    Examples:
        tierbot fields
        tierbot fields csms --json
    """
    spec = TABLE_SPECS[table]
    click.echo(to_json(describe_fields(spec)) if as_json else fields_text(spec))


@cli.command(name="audit", context_settings=CONTEXT)
@click.option("--limit", default=20, show_default=True, help="How many entries.")
@click.option("--entity", metavar="ENTITY", help="Only one entity, e.g. account:ACC-0000001.")
@json_option
@db_option
def audit_command(limit: int, entity: str | None, as_json: bool) -> None:
    """The audit log: who changed what, when, with values before and after.

    \b
    Example:
        tierbot audit --entity account:ACC-0000001
    """
    entries = audit.recent(_store(), limit, entity)
    if as_json:
        click.echo(to_json(entries))
        return
    if not entries:
        click.echo("The audit log is empty.")
        return
    for e in entries:
        change = ""
        if e["before"] is not None or e["after"] is not None:
            change = f"  {e['before']} → {e['after']}"
        click.echo(f"{e['at']}  {e['actor']}  {e['action']}  {e['entity']}{change}")


# ---------------------------------------------------------------------------------- workspace


@cli.command(context_settings=CONTEXT)
@click.option(
    "--accounts", "size", default=1000, show_default=True, help="How many accounts (1,000 to 1,000,000)."
)
@click.option(
    "--seed", default=7, show_default=True, help="Random seed: the same seed gives the same workspace."
)
@click.option("--replace", is_flag=True, help="Wipe the accounts and CSMs already in the store first.")
@click.option("--if-empty", is_flag=True, help="Do nothing if the store already holds data.")
@json_option
@db_option
def demo(size: int, seed: int, replace: bool, if_empty: bool, as_json: bool) -> None:
    """Load a realistic demo workspace: a SaaS customer base and its CS team.

    \b
    Examples:
        tierbot demo
        tierbot demo --accounts 100000 --replace
    """
    report = load_demo(
        _store(),
        actor=local_actor("cli"),
        clock=SystemClock(),
        accounts=size,
        seed=seed,
        replace=replace,
        if_empty=if_empty,
        progress=_progress,
    )
    _emit(report, as_json)


@cli.command(context_settings=CONTEXT)
@db_option
def chat() -> None:
    """Talk to tierbot in the terminal: find accounts, import status, gaps.

    \b
    Example:
        tierbot chat
    """
    store = _store()
    run_chat(Session(store=store, clock=SystemClock(), actor=local_actor("chat")))


def main() -> None:
    """Entry point of the `tierbot` console script."""
    try:
        cli(prog_name="tierbot")
    except Exception as exc:  # the last line of defence: never a traceback at a person
        if load_settings().debug:
            raise
        click.echo(
            f"Error: tierbot hit an unexpected problem ({type(exc).__name__}: {exc}). "
            "Run again with TIERBOT_DEBUG=1 for the details, and please report it.",
            err=True,
        )
        sys.exit(2)
