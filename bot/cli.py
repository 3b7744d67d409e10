"""`tierbot` on the command line. Conventions follow sqlite-utils: `-h`, an example in every help
text, tables for people, `--json` (and `--csv` for tables) for scripts, a non-zero exit with a
one-sentence message on failure."""

from __future__ import annotations

import csv
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any, cast

import click

from bot import cli_plans  # noqa: F401  (adds `tierbot handoff plan …` to the handoff group)
from bot.cli_base import (
    CONTEXT,
    TierbotGroup,
    db_option,
    emit,
    force_option,
    json_option,
    open_cli_store,
    progress,
    store_path,
)
from bot.cli_drafts import draft, writer_or_templates
from bot.cli_handoffs import handoff
from bot.cli_slack import roles, serve, slack, start
from bot.config import app_clock, load_settings, local_actor
from engine.errors import InvalidRows
from engine.fields import TABLE_SPECS, describe_fields


@click.group(cls=TierbotGroup, context_settings=CONTEXT)
@db_option
@click.version_option(package_name="tierbot", prog_name="tierbot")
def cli() -> None:
    """tierbot: segmentation and territory planning for Customer Success teams.

    \b
    Start with the demo workspace, then ask about it:
        tierbot demo
        tierbot find acme
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
    options: list[Callable[[Callable[..., Any]], Callable[..., Any]]] = [
        click.argument("file", type=click.Path(path_type=Path)),
        click.option(
            "--map",
            "mappings",
            multiple=True,
            metavar='FIELD="Header"',
            help='Read a field from a column of your choice: --map arr="Contract Value". Repeatable.',
        ),
        click.option("--decimal-comma", is_flag=True, help="Numbers are written 1.234,56 (comma as decimal point)."),
        click.option(
            "--date-format",
            metavar="FORMAT",
            help="How to read dates like 03/04/2025: DMY, MDY, YMD, or a pattern such as %d.%m.%Y.",
        ),
        click.option("--skip-invalid", is_flag=True, help="Import the good rows and leave out rows with errors."),
        click.option(
            "--allow-new-values",
            is_flag=True,
            help="Take a category value close to a known one (Medical beside Media) as new, not as a typo.",
        ),
        click.option("--dry-run", is_flag=True, help="Check the file and say what would change; write nothing."),
        click.option(
            "--errors-file",
            type=click.Path(path_type=Path),
            help="Where to write every problem found (default: FILE.errors.csv beside the file).",
        ),
        click.option("--sheet", metavar="NAME", help="Sheet of an XLSX workbook to read (default: the first)."),
        click.option("--force", is_flag=True, help="Write the errors file even over a SQLite database."),
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
            raise click.BadParameter(f'`{item}` is not FIELD="Header", e.g. arr="Contract Value".', param_hint="--map")
        parsed[field.strip()] = header.strip().strip('"').strip("'")
    return parsed


def _run_import(
    kind: str,
    file: Path,
    mappings: tuple[str, ...],
    decimal_comma: bool,
    date_format: str | None,
    skip_invalid: bool,
    allow_new_values: bool,
    dry_run: bool,
    errors_file: Path | None,
    sheet: str | None,
    force: bool,
    as_json: bool,
    aggregate: str | None = None,
    mrr: str | None = None,
) -> None:
    from bot.render import to_json
    from engine.validation import ImportOptions
    from workflows.importing import import_table

    options = ImportOptions(
        mapping=_parse_mappings(mappings),
        decimal_comma=decimal_comma,
        date_format=date_format,
        allow_new_values=allow_new_values,
    )
    store = open_cli_store(create=not dry_run, scratch_if_missing=dry_run)
    try:
        report = import_table(
            store,
            file,
            kind,
            actor=local_actor("cli"),
            clock=app_clock(),
            options=options,
            skip_invalid=skip_invalid,
            dry_run=dry_run,
            errors_file=errors_file,
            sheet=sheet,
            progress=progress,
            force=force,
            aggregate=aggregate,
            mrr=mrr,
        )
    except InvalidRows as exc:
        if as_json and exc.report is not None:
            click.echo(to_json(exc.report))
            sys.exit(1)
        raise
    if str(store.path) == ":memory:":
        report.notes.append(f"No store at {store_path()} yet: compared with an empty one (none was created).")
    emit(report, as_json)


def _import_command(kind: str, help_text: str, *extra: Callable[..., Any]) -> click.Command:
    """`tierbot import <kind> FILE`: the same options and care for accounts and the roster."""

    def command(**options: Any) -> None:
        _run_import(kind, **options)

    for option in reversed(extra):
        command = option(command)
    return import_group.command(name=kind, context_settings=CONTEXT, help=help_text)(_import_options(command))


_ACCOUNT_IMPORT_OPTIONS = (
    click.option(
        "--aggregate",
        type=click.Choice(["sum", "last"]),
        help="One account per id from a file with a row per order or subscription: sum adds the rows' ARR, last "
        "takes the latest row; other fields come from the latest row (by its order date).",
    ),
    click.option(
        "--mrr",
        metavar="COLUMN",
        help='Read ARR as 12 × this monthly column (e.g. --mrr "Monthly Fee"); an MRR column is recognised by itself.',
    ),
)


import_accounts = _import_command(
    "accounts",
    """Import accounts from a CRM export. Nothing is written if any row has an error.

    Headers are recognised by their usual spellings ("Account Name", "ARR (USD)", "Billing
    Country"…; see `tierbot fields`); re-importing the same file changes nothing, and an
    updated export changes only what changed (see `tierbot audit`). A file with several rows per
    account id (orders, subscriptions) is refused unless --aggregate says how to make one account
    of them; an MRR column (or --mrr COLUMN) gives ARR as 12 × MRR.

    \b
    Examples:
        tierbot import accounts accounts.csv
        tierbot import accounts export.csv --map arr="Contract Value" --date-format DMY
        tierbot import accounts export.xlsx --sheet Accounts --skip-invalid
        tierbot import accounts orders.csv --map arr=Sales --aggregate sum
        tierbot import accounts subscriptions.csv --mrr "Monthly Fee"
    """,
    *_ACCOUNT_IMPORT_OPTIONS,
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
    from workflows.status import workspace_status

    emit(workspace_status(open_cli_store()), as_json)


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
    from workflows.gaps import data_gaps

    report = data_gaps(open_cli_store())
    if as_csv:
        writer = csv.writer(sys.stdout)
        writer.writerow(["table", "field", "missing", "total", "share", "blocks"])
        for g in report.gaps:
            writer.writerow([g.table, g.field, g.missing, g.total, round(g.share, 4), "; ".join(g.blocks)])
        return
    emit(report, as_json)


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
        tierbot find acme
        tierbot accounts find "Acmee Corp"
        tierbot accounts find ACC-0000001
    """
    from workflows.lookup import find_account

    emit(find_account(open_cli_store(), " ".join(text)), as_json)


# `tierbot find acme`: the lookup people type most, one word shorter.
cli.add_command(accounts_find, name="find")


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
@click.option("--all-columns", is_flag=True, help="Every field tierbot holds, not only the CRM file's columns.")
@click.option(
    "--normalised",
    "--normalized",
    "normalised",
    is_flag=True,
    help="Values in tierbot's forms (1240000, 2027-05-21, South Korea, roster ids), not the CRM file's.",
)
@force_option
@json_option
@db_option
def export_accounts_command(
    file: Path, columns: str | None, all_columns: bool, normalised: bool, force: bool, as_json: bool
) -> None:
    """Write every account with its Tier column to FILE (.csv or .xlsx), ready to upload to the CRM.

    After an import the file goes back the way it came: your CRM's columns, in its order, under
    its headers, with the Tier column filled or added, and each value tierbot did not change
    written as the file wrote it (1,240,000.00, 5/21/2027, Korea, the owner's name);
    --normalised writes tierbot's forms instead. Cells that a spreadsheet would run as a
    formula are neutralised (and un-neutralised when the file is imported back). FILE is never
    written over the store in use or another SQLite database unless you pass --force.

    \b
    Examples:
        tierbot export accounts tiers.csv
        tierbot export accounts tiers.xlsx --columns crm_id,tier
        tierbot export accounts clean.csv --normalised
    """
    from workflows.exporting import export_accounts

    wanted = [c.strip() for c in columns.split(",") if c.strip()] if columns else None
    store = open_cli_store()
    emit(export_accounts(store, file, wanted, all_columns=all_columns, normalised=normalised, force=force), as_json)


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
    from bot.render import to_json
    from bot.render.workspace import fields_text

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
    from workflows.audit import audit_trail

    emit(audit_trail(open_cli_store(), limit=limit, entity=entity), as_json)


# ---------------------------------------------------------------------------------- rules


def _day(text: str | None, option: str) -> date | None:
    from workflows.tiers import parse_day

    return parse_day(text, option)


def _numbers(text: str | None, option: str) -> list[float]:
    from engine.rules import parse_amounts

    if not text:
        return []
    numbers = parse_amounts(text)
    if numbers is None:
        example = "150000,25000 or 150k,25k" if option == "--cuts" else "15,40"
        raise click.BadParameter(f"`{text}` is not a list of numbers like {example}.", param_hint=option)
    return numbers


@cli.group(cls=TierbotGroup, context_settings=CONTEXT)
def rules() -> None:
    """Rule sets: load, compare, propose, simulate, activate, and render for the CRM.

    \b
    Example:
        tierbot rules propose --by arr-share --bands 15,40
        tierbot rules simulate proposed-arr-share-15-40
        tierbot rules activate proposed-arr-share-15-40
    """


@rules.command(name="list", context_settings=CONTEXT)
@json_option
@db_option
def rules_list(as_json: bool) -> None:
    """Every rule set with its state (active, draft, archived).

    \b
    Example:
        tierbot rules list
    """
    from workflows.rules import list_rule_sets

    emit(list_rule_sets(open_cli_store()), as_json)


@rules.command(name="show", context_settings=CONTEXT)
@click.argument("name", required=False)
@json_option
@db_option
def rules_show(name: str | None, as_json: bool) -> None:
    """A rule set's rules in words (default: the active one).

    \b
    Example:
        tierbot rules show fy27-tiers
    """
    from workflows.rules import show_rule_set

    emit(show_rule_set(open_cli_store(), name), as_json)


@rules.command(name="load", context_settings=CONTEXT)
@click.argument("file", type=click.Path(path_type=Path))
@json_option
@db_option
def rules_load(file: Path, as_json: bool) -> None:
    """Check a YAML rule set and store it as a draft; a file with errors is refused whole.

    Loading a draft's name again replaces the draft. See the README for the format.

    \b
    Example:
        tierbot rules load fy27-tiers.yml
    """
    from workflows.rules import load_rule_set

    emit(load_rule_set(open_cli_store(create=True), file, actor=local_actor("cli"), clock=app_clock()), as_json)


@rules.command(name="export", context_settings=CONTEXT)
@click.argument("name")
@click.argument("file", type=click.Path(path_type=Path), required=False)
@force_option
@db_option
def rules_export(name: str, file: Path | None, force: bool) -> None:
    """Write a rule set as YAML to FILE (or print it), ready to edit and load again.

    FILE is never written over the store in use or another SQLite database unless you pass --force.

    \b
    Example:
        tierbot rules export fy27-tiers fy27-tiers.yml
    """
    from workflows.rules import export_rule_set, write_rule_set

    if file is None:
        click.echo(export_rule_set(open_cli_store(), name), nl=False)
        return
    write_rule_set(open_cli_store(), name, file, force=force)
    click.echo(f"Wrote {name} to {file}.")


@rules.command(name="activate", context_settings=CONTEXT)
@click.argument("name")
@click.option("--effective", metavar="DATE", help="When it took effect, if earlier than today (YYYY-MM-DD).")
@json_option
@db_option
def rules_activate(name: str, effective: str | None, as_json: bool) -> None:
    """Make a rule set the active one (the previous one is archived); records who and when.

    \b
    Example:
        tierbot rules activate fy27-tiers
    """
    from workflows.rules import activate_rule_set

    report = activate_rule_set(
        open_cli_store(), name, actor=local_actor("cli"), clock=app_clock(), effective=_day(effective, "--effective")
    )
    emit(report, as_json)


@rules.command(name="archive", context_settings=CONTEXT)
@click.argument("name")
@db_option
def rules_archive(name: str) -> None:
    """Retire a draft you no longer need.

    \b
    Example:
        tierbot rules archive proposed-arr-share-15-40
    """
    from workflows.rules import archive_rule_set

    archive_rule_set(open_cli_store(), name, actor=local_actor("cli"), clock=app_clock())
    click.echo(f"Archived {name}.")


@rules.command(name="diff", context_settings=CONTEXT)
@click.argument("a")
@click.argument("b")
@json_option
@db_option
def rules_diff(a: str, b: str, as_json: bool) -> None:
    """What changed from rule set A to rule set B, rule by rule.

    \b
    Example:
        tierbot rules diff fy26-tiers fy27-tiers
    """
    from workflows.rules import diff

    emit(diff(open_cli_store(), a, b), as_json)


@rules.command(name="propose", context_settings=CONTEXT)
@click.option(
    "--by",
    type=click.Choice(["arr-share", "account-share", "arr"]),
    default="arr-share",
    show_default=True,
    help="Band by share of ARR, share of accounts, or fixed ARR cut points.",
)
@click.option("--bands", metavar="P,P", help="Band sizes in percent, largest accounts first: 15,40.")
@click.option("--cuts", metavar="N,N", help="With --by arr: ARR cut points, e.g. 150000,25000.")
@click.option("--tiers", "tier_names", metavar="A,B,C", help="Tier names, highest first (default Tier 1, Tier 2…).")
@click.option(
    "--within", metavar="FIELD", help="Sub-segments: thresholds of their own per value of FIELD (e.g. setting)."
)
@click.option("--name", metavar="NAME", help="Name of the draft to save (default: from the options).")
@click.option("--dry-run", is_flag=True, help="Show the proposal without saving it.")
@json_option
@db_option
def rules_propose(
    by: str,
    bands: str | None,
    cuts: str | None,
    tier_names: str | None,
    within: str | None,
    name: str | None,
    dry_run: bool,
    as_json: bool,
) -> None:
    """Propose tier thresholds for target bands; saved as a draft (whatever rule set is active).

    Every band, the rest included, comes within 2 points of what was asked whenever the book
    allows it, each threshold rounded to the coarsest number people use that keeps it so ($1M,
    $150k, $1.2M…; finer only where needed); a band that cannot is named with the reason.
    Designated strategic accounts stay Strategic. The table shows accounts, ARR and their
    shares per tier, and the share asked and got.

    \b
    Examples:
        tierbot rules propose --by arr-share --bands 15,40
        tierbot rules propose --by account-share --bands 12,35 --tiers Enterprise,Mid-Market,SMB
        tierbot rules propose --by arr --cuts 150000,25000
        tierbot rules propose --by arr-share --bands 15,40 --within setting
    """
    from workflows.books import BookCache
    from workflows.rules import propose

    names = [t.strip() for t in tier_names.split(",") if t.strip()] if tier_names else None
    report = propose(
        open_cli_store(),
        actor=local_actor("cli"),
        clock=app_clock(),
        books=BookCache(),
        by=by,
        bands=_numbers(bands, "--bands"),
        cuts=_numbers(cuts, "--cuts"),
        tier_names=names,
        within=within,
        name=name,
        save=not dry_run,
    )
    emit(report, as_json)


@rules.command(name="simulate", context_settings=CONTEXT)
@click.argument("name")
@click.option("--movers-file", type=click.Path(path_type=Path), help="Write every mover to this CSV file.")
@force_option
@json_option
@db_option
def rules_simulate(name: str, movers_file: Path | None, force: bool, as_json: bool) -> None:
    """What-if: compare a draft with the active rule set. Nothing changes.

    Shows the movers matrix (accounts and ARR from each tier to each tier), the largest movers with
    the rule that now places them, and per-tier totals before and after.

    \b
    Examples:
        tierbot rules simulate proposed-arr-share-15-40
        tierbot rules simulate fy28-tiers --movers-file movers.csv
    """
    from workflows.books import BookCache
    from workflows.outputs import check_output
    from workflows.rules import simulate_rule_set, write_movers

    store = open_cli_store()
    if movers_file is not None:  # a file it must not write over is said before the what-if runs
        check_output(movers_file, store_path=store.path, force=force)
    simulation = simulate_rule_set(store, name, clock=app_clock(), books=BookCache())
    emit(simulation, as_json)
    if movers_file is not None:
        write_movers(simulation, movers_file, store_path=store.path, force=force)
        click.echo(f"Wrote all {simulation.moved:,} movers to {movers_file}.", err=as_json)


@rules.command(name="formula", context_settings=CONTEXT)
@click.argument("name", required=False)
@click.option("--crm", type=click.Choice(["salesforce"]), default="salesforce", show_default=True)
@click.option(
    "--field",
    "fields",
    multiple=True,
    metavar="FIELD=API[:TYPE]",
    help="Your org's API name (and type) for a field: --field arr=Annual_Recurring_Revenue__c. Repeatable.",
)
@json_option
@db_option
def rules_formula(name: str | None, crm: str, fields: tuple[str, ...], as_json: bool) -> None:
    """The rule set (default: the active one) as a CRM formula field, so the CRM tiers new accounts.

    \b
    Examples:
        tierbot rules formula --crm salesforce
        tierbot rules formula fy27-tiers --field region=Sales_Region__c:text
    """
    from workflows.rules import crm_formula

    mapping = {}
    for item in fields:
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise click.BadParameter(f"`{item}` is not FIELD=API_NAME, e.g. arr=ARR__c.", param_hint="--field")
        mapping[key.strip()] = value.strip()
    emit(crm_formula(open_cli_store(), name, crm=crm, fields=mapping), as_json)


@rules.command(name="fields", context_settings=CONTEXT)
@json_option
def rules_fields(as_json: bool) -> None:
    """The fields and operators rules can use, derived fields included.

    \b
    Example:
        tierbot rules fields
    """
    from bot.render import to_json
    from engine.rules import describe_vocabulary

    vocabulary = describe_vocabulary()
    if as_json:
        click.echo(to_json(vocabulary))
        return
    from tabulate import tabulate

    rows = [[f["name"], f["kind"], " ".join(cast(list[str], f["operators"])), f["description"]] for f in vocabulary]
    click.echo(
        tabulate(
            rows,
            headers=["Field", "Kind", "Operators", "Meaning"],
            tablefmt="simple",
            maxcolwidths=[None, None, 30, 60],
        )
    )


# ---------------------------------------------------------------------------------- tiers


@cli.group(cls=TierbotGroup, context_settings=CONTEXT)
def tiers() -> None:
    """Tier the whole book and see the tier table.

    \b
    Example:
        tierbot tiers apply
        tierbot tiers summary
    """


@tiers.command(name="apply", context_settings=CONTEXT)
@json_option
@db_option
def tiers_apply(as_json: bool) -> None:
    """Tier every account under the active rule set and store the result (the export's Tier column).

    \b
    Example:
        tierbot tiers apply
    """
    from workflows.tiers import apply_tiers

    emit(apply_tiers(open_cli_store(), actor=local_actor("cli"), clock=app_clock()), as_json)


@tiers.command(name="summary", context_settings=CONTEXT)
@click.option("--as-of", metavar="DATE", help="Use the rule set in effect on DATE (YYYY-MM-DD).")
@json_option
@db_option
def tiers_summary(as_of: str | None, as_json: bool) -> None:
    """The tier table: accounts, ARR, their shares, ARR range and average per tier.

    \b
    Examples:
        tierbot tiers summary
        tierbot tiers summary --as-of 2026-06-30
    """
    from workflows.tiers import tier_summary

    emit(tier_summary(open_cli_store(), clock=app_clock(), as_of=_day(as_of, "--as-of")), as_json)


class _TierGroup(TierbotGroup):
    """`tierbot tier ACCOUNT` explains; `tierbot tier set|clear|history …` are subcommands."""

    def resolve_command(self, ctx: click.Context, args: list[str]) -> Any:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["explain", *args]
        return super().resolve_command(ctx, args)


@cli.group(cls=_TierGroup, context_settings=CONTEXT)
def tier() -> None:
    """An account's tier and why; set or clear an override; its history.

    \b
    Examples:
        tierbot tier acme
        tierbot tier "Acme Corp" --json
        tierbot tier set "Initech" Enterprise --reason "exec sponsor" --until 2027-03-31
        tierbot tier history "Acme Corp"
    """


@tier.command(name="explain", context_settings=CONTEXT)
@click.argument("account", nargs=-1, required=True)
@click.option("--as-of", metavar="DATE", help="Under the rule set in effect on DATE (YYYY-MM-DD).")
@json_option
@db_option
def tier_explain(account: tuple[str, ...], as_of: str | None, as_json: bool) -> None:
    """The tier, the rule that fired and each condition with the value read; earlier rules and why
    they did not match; any override; the tier under the previous rule set. `tierbot tier ACCOUNT`
    is the same.

    \b
    Examples:
        tierbot tier acme corp
        tierbot tier explain ACC-0000005 --as-of 2026-06-30 --json
    """
    from workflows.tiers import explain_tier

    explanation = explain_tier(open_cli_store(), " ".join(account), clock=app_clock(), as_of=_day(as_of, "--as-of"))
    emit(explanation, as_json)


@tier.command(name="set", context_settings=CONTEXT)
@click.argument("account")
@click.argument("tier_name", metavar="TIER")
@click.option("--reason", required=True, help="Why: kept with the override and shown in every explanation.")
@click.option("--until", metavar="DATE", help="The override ends after this date (YYYY-MM-DD).")
@json_option
@db_option
def tier_set(account: str, tier_name: str, reason: str, until: str | None, as_json: bool) -> None:
    """Set an account's tier by hand: it beats the rules, recorded with who and why.

    \b
    Example:
        tierbot tier set "Initech" Enterprise --reason "exec sponsor asked" --until 2027-03-31
    """
    from workflows.tiers import set_override

    report = set_override(
        open_cli_store(),
        account,
        tier_name,
        reason=reason,
        until=_day(until, "--until"),
        actor=local_actor("cli"),
        clock=app_clock(),
    )
    emit(report, as_json)


@tier.command(name="clear", context_settings=CONTEXT)
@click.argument("account", nargs=-1, required=True)
@json_option
@db_option
def tier_clear(account: tuple[str, ...], as_json: bool) -> None:
    """End an account's override: the rules decide its tier again.

    \b
    Example:
        tierbot tier clear "Initech"
    """
    from workflows.tiers import clear_override

    emit(clear_override(open_cli_store(), " ".join(account), actor=local_actor("cli"), clock=app_clock()), as_json)


@tier.command(name="history", context_settings=CONTEXT)
@click.argument("account", nargs=-1, required=True)
@json_option
@db_option
def tier_history_command(account: tuple[str, ...], as_json: bool) -> None:
    """An account's tier changes: by rule runs and overrides, newest first.

    \b
    Example:
        tierbot tier history acme corp
    """
    from workflows.tiers import tier_history

    emit(tier_history(open_cli_store(), " ".join(account)), as_json)


# ---------------------------------------------------------------------------------- workspace


@cli.command(context_settings=CONTEXT)
@click.option("--accounts", "size", default=1000, show_default=True, help="How many accounts (1,000 to 1,000,000).")
@click.option("--seed", default=7, show_default=True, help="Random seed: the same seed gives the same workspace.")
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
    from workflows.demo import load_demo

    report = load_demo(
        open_cli_store(create=True),
        actor=local_actor("cli"),
        clock=app_clock(),
        accounts=size,
        seed=seed,
        replace=replace,
        if_empty=if_empty,
        progress=progress,
    )
    emit(report, as_json)


@cli.command(context_settings=CONTEXT)
@db_option
def chat() -> None:
    """Talk to tierbot in the terminal: find accounts, import status, gaps.

    \b
    Example:
        tierbot chat
    """
    from bot.chat import run_chat
    from bot.router import Session

    store = open_cli_store()
    run_chat(Session(store=store, clock=app_clock(), actor=local_actor("chat"), writer=writer_or_templates()))


cli.add_command(handoff)
cli.add_command(draft)
cli.add_command(serve)
cli.add_command(start)
cli.add_command(roles)
cli.add_command(slack)


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
